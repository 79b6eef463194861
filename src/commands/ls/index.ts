/** `ls`: its command-table entry (its grammar is grammar.ts, its Slack rendering slack.ts). */
import { asIs, type CommandEntry, everyHostAnswered, sizesOf } from "../entry.js";
import { runLs } from "./run.js";
import { renderLsText } from "./text.js";

export const ls: CommandEntry<"ls"> = {
  run: async (cmd, ctx) => runLs(cmd, await ctx.context(), sizesOf(ctx, cmd.fresh)),
  text: renderLsText,
  json: asIs,
  ok: everyHostAnswered,
};

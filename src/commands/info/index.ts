/** `info`: its command-table entry (its grammar is grammar.ts, its Slack rendering slack.ts). */
import { asIs, type CommandEntry, everyHostAnswered, sizesOf } from "../entry.js";
import { runInfo } from "./run.js";
import { renderInfoText } from "./text.js";

export const info: CommandEntry<"info"> = {
  run: async (cmd, ctx) => runInfo(cmd.host, await ctx.context(), sizesOf(ctx)),
  text: renderInfoText,
  json: asIs,
  ok: everyHostAnswered,
};

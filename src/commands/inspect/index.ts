/** `inspect`: its command-table entry (its grammar is grammar.ts, its Slack rendering slack.ts). */
import { asIs, type CommandEntry, everyHostAnswered, sizesOf } from "../entry.js";
import { runInspect } from "./run.js";
import { renderInspectText } from "./text.js";

export const inspect: CommandEntry<"inspect"> = {
  run: async (cmd, ctx) => runInspect(cmd.host, cmd.volume, await ctx.context(), sizesOf(ctx)),
  text: renderInspectText,
  json: asIs,
  ok: everyHostAnswered,
};

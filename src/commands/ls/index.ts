/** `ls`: its command-table entry (its grammar is grammar.ts, its Slack rendering slack.ts). */
import { asIs, type CommandEntry, everyHostAnswered } from "../entry.js";
import { runLs } from "./run.js";
import { renderLsText } from "./text.js";

export const ls: CommandEntry<"ls"> = {
  run: async (cmd, ctx) => runLs(cmd, await ctx.context()),
  text: renderLsText,
  json: asIs,
  ok: everyHostAnswered,
};

/** `hosts`: its command-table entry (its grammar is grammar.ts, its Slack rendering slack.ts). */
import { asIs, type CommandEntry, everyHostAnswered } from "../entry.js";
import { runHosts } from "./run.js";
import { renderHostsText } from "./text.js";

export const hosts: CommandEntry<"hosts"> = {
  run: async (_cmd, ctx) => runHosts(await ctx.context()),
  text: renderHostsText,
  json: asIs,
  ok: everyHostAnswered,
};

/** `help`: its command-table entry (its grammar is grammar.ts, its Slack rendering slack.ts). */
import { asIs, type CommandEntry } from "../entry.js";
import { runHelp } from "./run.js";

export const help: CommandEntry<"help"> = {
  run: async (cmd) => runHelp(cmd.topic),
  text: (r) => r.text,
  json: asIs,
  ok: () => true,
};

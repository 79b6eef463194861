/** `help [command]`: its grammar entry. */
import type { CommandSpec } from "../spec.js";

export const HELP: CommandSpec = {
  name: "help",
  summary: "usage of every command, or of one, with examples",
  args: [{ name: "command", kind: "topic", optional: true }],
  options: [],
  examples: ["help", "help ls"],
};

/** `requests`: its grammar entry. */
import type { CommandSpec } from "../spec.js";

export const REQUESTS: CommandSpec = {
  name: "requests",
  summary: "open deletion requests and the last ones decided",
  args: [],
  options: [],
  examples: ["requests"],
};

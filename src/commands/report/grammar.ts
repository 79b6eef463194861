/** `report [<target>]`: its grammar entry. */
import type { CommandSpec } from "../spec.js";

export const REPORT: CommandSpec = {
  name: "report",
  summary: "dangling volumes per host: how many, their space, the largest, and since when they dangle",
  args: [{ name: "target", kind: "target", optional: true }],
  options: [],
  examples: ["report", "report web-*"],
};

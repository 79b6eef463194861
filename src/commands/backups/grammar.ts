/** `backups [<target>] [--volume NAME]`: its grammar entry. */
import type { CommandSpec } from "../spec.js";

export const BACKUPS: CommandSpec = {
  name: "backups",
  summary:
    "the backups kept: size, age, who, why, checksum; failed ones shown as failed (all hosts by default)",
  args: [{ name: "target", kind: "target", optional: true }],
  options: [{ name: "volume", kind: "string", metavar: "NAME", help: "only the backups of volume NAME" }],
  examples: ["backups", "backups host1", "backups all --volume pgdata"],
};

/** `restore <host> <backup-id> [--as NAME]`: its grammar entry. */
import type { CommandSpec } from "../spec.js";

export const RESTORE: CommandSpec = {
  name: "restore",
  summary:
    "restores a backup into a volume that does not exist (its original name, or --as NAME), on any host, verified",
  args: [
    { name: "host", kind: "host" },
    { name: "backup-id", kind: "backup" },
  ],
  options: [
    {
      name: "as",
      kind: "string",
      metavar: "NAME",
      help: "the new volume's name (default: the original name)",
    },
  ],
  examples: [
    "restore host1 bk-20261203-061512-0a1b2c3d",
    "restore host2 bk-20261203-061512-0a1b2c3d --as pgdata-copy",
  ],
};

/** `rm <host> <volume>... [--reason]` and `prune <host> [filters]`: their grammar entries. */
import { type CommandSpec, LABEL_OPTION, type OptionSpec, PROJECT_OPTION } from "../spec.js";

/** `--no-backup`: rm and prune. */
const NO_BACKUP_OPTION: OptionSpec = {
  name: "no-backup",
  kind: "flag",
  help: "delete without a backup first (when backup.beforeDelete is required); shown to the approver and recorded",
};

export const RM: CommandSpec = {
  name: "rm",
  summary: "opens a deletion request for volumes of a host, for an approver (the CLI: deletes with --yes)",
  args: [
    { name: "host", kind: "host" },
    { name: "volume", kind: "volume", variadic: true },
  ],
  options: [
    { name: "reason", kind: "string", metavar: "TEXT", help: "why, for the approver and the record" },
    NO_BACKUP_OPTION,
  ],
  examples: ["rm host1 old-cache", 'rm host1 shop_cache blog_uploads --reason "project retired"'],
};

export const PRUNE: CommandSpec = {
  name: "prune",
  summary: "a deletion request for the dangling volumes of a host that match, as they are now (CLI: --yes)",
  args: [{ name: "host", kind: "host" }],
  options: [
    PROJECT_OPTION,
    LABEL_OPTION,
    {
      name: "older-than",
      kind: "string",
      metavar: "DURATION",
      help: "only volumes created at least this long ago: 30m, 12h, 7d, 2w",
    },
    NO_BACKUP_OPTION,
  ],
  examples: ["prune host1", "prune host1 --project shop --older-than 7d", "prune host1 --label env=dev"],
};

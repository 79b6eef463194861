/** `rm <host> <volume>... [--reason]` and `prune <host> [filters]`: their grammar entries. */
import { type CommandSpec, LABEL_OPTION, PROJECT_OPTION } from "../spec.js";

export const RM: CommandSpec = {
  name: "rm",
  summary: "opens a deletion request for volumes of a host, for an approver (the CLI: deletes with --yes)",
  args: [
    { name: "host", kind: "host" },
    { name: "volume", kind: "volume", variadic: true },
  ],
  options: [
    { name: "reason", kind: "string", metavar: "TEXT", help: "why, for the approver and the record" },
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
  ],
  examples: ["prune host1", "prune host1 --project shop --older-than 7d", "prune host1 --label env=dev"],
};

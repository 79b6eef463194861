/** `ls <target> [filters] [--sort] [--limit]`: its grammar entry and sort keys. */
import { type CommandSpec, LABEL_OPTION, PROJECT_OPTION } from "../spec.js";

const SORT_KEYS = ["name", "size", "created"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export const LS: CommandSpec = {
  name: "ls",
  summary: "volumes with size, containers using them, compose project, created, dangling",
  args: [{ name: "target", kind: "target" }],
  options: [
    { name: "dangling", kind: "flag", help: "only volumes no container uses" },
    PROJECT_OPTION,
    LABEL_OPTION,
    { name: "driver", kind: "string", metavar: "D", help: "only volumes of volume driver D" },
    { name: "name", kind: "string", metavar: "SUBSTR", help: "only volumes whose name contains SUBSTR" },
    {
      name: "sort",
      kind: "enum",
      values: SORT_KEYS,
      help: "name (default, A to Z), size (largest first) or created (newest first)",
    },
    { name: "limit", kind: "int", metavar: "N", help: "at most N volumes per host" },
    {
      name: "fresh",
      kind: "flag",
      help: "wait for a new measurement of sizes (up to sizes.timeoutSeconds), not the remembered one",
    },
  ],
  examples: [
    "ls host1",
    "ls all --dangling --sort size",
    "ls web-* --project shop",
    "ls host1,host2 --label env=prod",
    "ls host1 --fresh",
  ],
};

/**
 * The one grammar of dvol, shared by the CLI and Slack: each command's arguments, options, usage
 * line and examples. The parser and `help` are both driven by this table.
 */

export type OptionKind = "flag" | "string" | "label" | "int" | "enum";

export interface OptionSpec {
  name: string;
  kind: OptionKind;
  metavar?: string;
  values?: readonly string[];
  repeatable?: boolean;
  help: string;
}

export type ArgKind = "host" | "target" | "volume" | "topic";

export interface ArgSpec {
  name: string;
  kind: ArgKind;
  optional?: boolean;
  /** The last argument only: one or more (`<volume>...`). */
  variadic?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  args: readonly ArgSpec[];
  options: readonly OptionSpec[];
  examples: readonly string[];
}

export const SORT_KEYS = ["name", "size", "created"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "help",
    summary: "usage of every command, or of one, with examples",
    args: [{ name: "command", kind: "topic", optional: true }],
    options: [],
    examples: ["help", "help ls"],
  },
  {
    name: "hosts",
    summary: "every registered host: reachable or not, engine and API version, storage driver, volume count",
    args: [],
    options: [],
    examples: ["hosts"],
  },
  {
    name: "info",
    summary: "storage facts of a host: storage driver, root dir, driver status, and `docker system df`",
    args: [{ name: "host", kind: "host" }],
    options: [],
    examples: ["info host1"],
  },
  {
    name: "ls",
    summary: "volumes with size, containers using them, compose project, created, dangling",
    args: [{ name: "target", kind: "target" }],
    options: [
      { name: "dangling", kind: "flag", help: "only volumes no container uses" },
      { name: "project", kind: "string", metavar: "P", help: "only volumes of compose project P" },
      {
        name: "label",
        kind: "label",
        metavar: "K[=V]",
        repeatable: true,
        help: "only volumes with label K (with value V); repeat to require several",
      },
      { name: "driver", kind: "string", metavar: "D", help: "only volumes of volume driver D" },
      { name: "name", kind: "string", metavar: "SUBSTR", help: "only volumes whose name contains SUBSTR" },
      {
        name: "sort",
        kind: "enum",
        values: SORT_KEYS,
        help: "name (default, A to Z), size (largest first) or created (newest first)",
      },
      { name: "limit", kind: "int", metavar: "N", help: "at most N volumes per host" },
    ],
    examples: [
      "ls host1",
      "ls all --dangling --sort size",
      "ls web-* --project shop",
      "ls host1,host2 --label env=prod",
    ],
  },
  {
    name: "inspect",
    summary: "one volume: mountpoint, driver, options, labels, created, size, and the containers using it",
    args: [
      { name: "host", kind: "host" },
      { name: "volume", kind: "volume" },
    ],
    options: [],
    examples: ["inspect host1 shop_db-data"],
  },
  {
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
  },
  {
    name: "prune",
    summary: "a deletion request for the dangling volumes of a host that match, as they are now (CLI: --yes)",
    args: [{ name: "host", kind: "host" }],
    options: [
      { name: "project", kind: "string", metavar: "P", help: "only volumes of compose project P" },
      {
        name: "label",
        kind: "label",
        metavar: "K[=V]",
        repeatable: true,
        help: "only volumes with label K (with value V); repeat to require several",
      },
      {
        name: "older-than",
        kind: "string",
        metavar: "DURATION",
        help: "only volumes created at least this long ago: 30m, 12h, 7d, 2w",
      },
    ],
    examples: ["prune host1", "prune host1 --project shop --older-than 7d", "prune host1 --label env=dev"],
  },
  {
    name: "requests",
    summary: "open deletion requests and the last ones decided",
    args: [],
    options: [],
    examples: ["requests"],
  },
  {
    name: "report",
    summary: "dangling volumes per host: how many, their space, the largest, and since when they dangle",
    args: [{ name: "target", kind: "target", optional: true }],
    options: [],
    examples: ["report", "report web-*"],
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export function usageLine(spec: CommandSpec): string {
  const args = spec.args.map((a) =>
    a.optional ? `[<${a.name}>]` : a.variadic ? `<${a.name}>...` : `<${a.name}>`,
  );
  const opts = spec.options.map((o) => {
    const value = o.kind === "flag" ? "" : ` ${o.metavar ?? (o.values ? o.values.join("|") : "VALUE")}`;
    return `[--${o.name}${value}]`;
  });
  return ["dvol", spec.name, ...args, ...opts].join(" ");
}

export const TARGET_HELP = "<target> is a host, a comma list (host1,host2), a glob (web-*) or all.";

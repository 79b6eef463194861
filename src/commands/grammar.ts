/**
 * The one grammar of dvol, shared by the CLI and Slack: every command's grammar entry (its own
 * `<command>/grammar.ts`), in the order help lists them. The parser (parse.ts) and help are both
 * driven by this list.
 */
import { BACKUP } from "./backup/grammar.js";
import { BACKUPS } from "./backups/grammar.js";
import { PRUNE, RM } from "./delete/grammar.js";
import { HELP } from "./help/grammar.js";
import { HOSTS } from "./hosts/grammar.js";
import { INFO } from "./info/grammar.js";
import { INSPECT } from "./inspect/grammar.js";
import { LS } from "./ls/grammar.js";
import { REPORT } from "./report/grammar.js";
import { REQUESTS } from "./requests/grammar.js";
import { RESTORE } from "./restore/grammar.js";
import type { CommandSpec } from "./spec.js";

export const COMMANDS: readonly CommandSpec[] = [
  HELP,
  HOSTS,
  INFO,
  LS,
  INSPECT,
  RM,
  PRUNE,
  REQUESTS,
  REPORT,
  BACKUP,
  BACKUPS,
  RESTORE,
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** An option's value as usage shows it: its metavar, its values, or VALUE. */
export function optionValue(o: { kind: string; metavar?: string; values?: readonly string[] }): string {
  return o.kind === "flag" ? "" : ` ${o.metavar ?? (o.values ? o.values.join("|") : "VALUE")}`;
}

export function usageLine(spec: CommandSpec): string {
  const args = spec.args.map((a) =>
    a.optional ? `[<${a.name}>]` : a.variadic ? `<${a.name}>...` : `<${a.name}>`,
  );
  const opts = spec.options.map((o) => `[--${o.name}${optionValue(o)}]`);
  return ["dvol", spec.name, ...args, ...opts].join(" ");
}

export const TARGET_HELP = "<target> is a host, a comma list (host1,host2), a glob (web-*) or all.";

/**
 * The parser of the one grammar (grammar.ts): Slack text split into words as a shell would, and
 * words (argv, or those) made into a typed command, or a UsageError that shows the usage.
 */
import { MAX_RM_VOLUMES, type PruneCommand, type RmCommand } from "../approvals/commands.js";
import { DURATION_HELP, parseDuration } from "../approvals/duration.js";
import { BACKUP_ID_RE } from "../backup/manifest.js";
import type { LabelRule } from "../config/types.js";
import { parseLabelRule } from "../config/validate.js";
import { UsageError } from "../errors.js";
import { assertVolumeName } from "../volume-names.js";
import { MAX_BACKUP_VOLUMES } from "./backup/grammar.js";
import { COMMANDS, findCommand, usageLine } from "./grammar.js";
import type { SortKey } from "./ls/grammar.js";
import type { CommandSpec, OptionSpec } from "./spec.js";

export type Command =
  | { name: "help"; topic: string | null }
  | { name: "hosts" }
  | { name: "info"; host: string }
  | {
      name: "ls";
      target: string;
      dangling: boolean;
      project: string | null;
      labels: LabelRule[];
      driver: string | null;
      nameContains: string | null;
      sort: SortKey;
      limit: number | null;
      /** Wait for a new measurement of sizes (issue 12). */
      fresh: boolean;
    }
  | { name: "inspect"; host: string; volume: string }
  | RmCommand
  | PruneCommand
  | { name: "requests"; action: null; id: null }
  | { name: "requests"; action: "resume" | "cancel"; id: string }
  | { name: "report"; target: string | null }
  | { name: "backup"; host: string; volumes: string[]; reason: string | null }
  | { name: "backups"; target: string | null; volume: string | null }
  | { name: "restore"; host: string; id: string; as: string | null };

export type CommandName = Command["name"];

type CommandMap = { [C in Command as C["name"]]: C };
/**
 * The command named K. Written over each name (not as Extract) so that a table indexed by a
 * command's own name takes that command without a cast (TypeScript's correlated unions).
 */
export type CommandOf<K extends CommandName = CommandName> = {
  [P in K]: CommandMap[P] & { name: P };
}[K];

/** Room for `rm <host>` with MAX_RM_VOLUMES volumes and a --reason. */
const MAX_TOKENS = 220;
const MAX_TOKEN_LENGTH = 1000;

/**
 * Splits Slack text into words the way a shell would for simple cases: whitespace separates,
 * single or double quotes (straight or the curly ones Slack substitutes) group.
 */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let cur = "";
  let inToken = false;
  let quote: string | null = null;
  const closing: Record<string, string> = { '"': '"', "'": "'", "“": "”", "”": "”", "‘": "’", "’": "’" };
  for (const ch of text.normalize("NFC")) {
    if (quote) {
      // Slack's curly quotes are not always paired the right way round: accept either.
      if (ch === closing[quote] || (quote === "“" && ch === "“") || (quote === "‘" && ch === "‘"))
        quote = null;
      else cur += ch;
    } else if (ch in closing) {
      quote = ch;
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(cur);
      cur = "";
      inToken = false;
    } else {
      cur += ch;
      inToken = true;
    }
  }
  if (quote) throw new UsageError(`unbalanced quote ${quote}`, { hint: "Close the quote, or leave it out." });
  if (inToken) tokens.push(cur);
  return tokens;
}

function usageOf(spec: CommandSpec): string {
  return usageLine(spec);
}

function fail(spec: CommandSpec, message: string): never {
  throw new UsageError(`${spec.name}: ${message}`, { usage: usageOf(spec), hint: `See: help ${spec.name}` });
}

type OptionValue = string | true | LabelRule[];

/** Parses words (argv, or tokenized Slack text) into a command, or throws a UsageError. */
export function parseCommand(words: readonly string[]): Command {
  if (words.length > MAX_TOKENS)
    throw new UsageError(`too many words (${words.length}; at most ${MAX_TOKENS})`);
  const long = words.find((w) => w.length > MAX_TOKEN_LENGTH);
  if (long !== undefined) throw new UsageError(`a word is too long (${long.length} characters)`);
  const [name, ...rest] = words;
  if (name === undefined || name === "") {
    throw new UsageError("no command given", { usage: COMMANDS.map(usageOf).join("\n"), hint: "Try: help" });
  }
  const spec = findCommand(name);
  if (!spec) {
    throw new UsageError(`unknown command "${truncate(name)}"`, {
      usage: COMMANDS.map(usageOf).join("\n"),
      hint: "Try: help",
    });
  }

  const positional: string[] = [];
  const options = new Map<string, OptionValue>();
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] as string;
    if (!word.startsWith("--")) {
      positional.push(word);
      continue;
    }
    const eq = word.indexOf("=");
    const optName = word.slice(2, eq < 0 ? undefined : eq);
    const opt = spec.options.find((o) => o.name === optName);
    if (!opt) {
      const none = spec.options.length ? "" : ` (${spec.name} takes no options)`;
      fail(spec, `unknown option --${truncate(optName)}${none}`);
    }
    let value: string | undefined;
    if (opt.kind === "flag") {
      if (eq >= 0) fail(spec, `--${opt.name} takes no value`);
    } else {
      value = eq >= 0 ? word.slice(eq + 1) : rest[++i];
      if (value === undefined || value === "" || (eq < 0 && value.startsWith("--"))) {
        fail(spec, `--${opt.name} needs a value`);
      }
    }
    if (options.has(opt.name) && !opt.repeatable) fail(spec, `--${opt.name} given twice`);
    options.set(opt.name, optionValue(spec, opt, value, options.get(opt.name)));
  }

  const required = spec.args.filter((a) => !a.optional).length;
  if (positional.length < required) {
    const missing = spec.args[positional.length];
    fail(spec, `missing <${missing?.name ?? "argument"}>`);
  }
  if (positional.length > spec.args.length && !spec.args.at(-1)?.variadic) {
    fail(spec, `unexpected argument "${truncate(positional[spec.args.length] ?? "")}"`);
  }
  return build(spec, positional, options);
}

function optionValue(
  spec: CommandSpec,
  opt: OptionSpec,
  value: string | undefined,
  prev: OptionValue | undefined,
) {
  switch (opt.kind) {
    case "flag":
      return true;
    case "label": {
      const rule = parseLabelRule(value as string);
      if (!rule.key) fail(spec, `--label needs a key: K or K=V`);
      return [...((prev as LabelRule[] | undefined) ?? []), rule];
    }
    case "int":
      if (!/^[1-9]\d{0,6}$/.test(value as string))
        fail(spec, `--${opt.name} needs a whole number from 1 to 9999999`);
      return value as string;
    case "enum":
      if (!opt.values?.includes(value as string)) {
        fail(spec, `--${opt.name} is one of ${opt.values?.join(", ")}, not "${truncate(value as string)}"`);
      }
      return value as string;
    case "string":
      return value as string;
  }
}

function build(spec: CommandSpec, pos: string[], opts: Map<string, OptionValue>): Command {
  const s = (k: string) => (opts.get(k) as string | undefined) ?? null;
  switch (spec.name) {
    case "help": {
      const topic = pos[0] ?? null;
      if (topic !== null && !findCommand(topic)) fail(spec, `no command "${truncate(topic)}"`);
      return { name: "help", topic };
    }
    case "hosts":
      return { name: "hosts" };
    case "info":
      return { name: "info", host: pos[0] as string };
    case "ls": {
      const limit = s("limit");
      return {
        name: "ls",
        target: pos[0] as string,
        dangling: opts.get("dangling") === true,
        project: s("project"),
        labels: (opts.get("label") as LabelRule[] | undefined) ?? [],
        driver: s("driver"),
        nameContains: s("name"),
        sort: (s("sort") as SortKey | null) ?? "name",
        limit: limit === null ? null : Number(limit),
        fresh: opts.get("fresh") === true,
      };
    }
    case "inspect":
      return { name: "inspect", host: pos[0] as string, volume: assertVolumeName(pos[1] as string) };
    case "rm": {
      const volumes = [...new Set(pos.slice(1))];
      if (volumes.length > MAX_RM_VOLUMES) {
        fail(spec, `${volumes.length} volumes; at most ${MAX_RM_VOLUMES} in one request`);
      }
      for (const v of volumes) assertVolumeName(v);
      return {
        name: "rm",
        host: pos[0] as string,
        volumes,
        reason: s("reason"),
        noBackup: opts.get("no-backup") === true,
      };
    }
    case "prune": {
      const text = s("older-than");
      const olderThan = text === null ? null : parseDuration(text);
      if (text !== null && olderThan === null) {
        fail(spec, `--older-than "${truncate(text)}" is not a duration: ${DURATION_HELP}`);
      }
      return {
        name: "prune",
        host: pos[0] as string,
        project: s("project"),
        labels: (opts.get("label") as LabelRule[] | undefined) ?? [],
        olderThan,
        noBackup: opts.get("no-backup") === true,
      };
    }
    case "requests": {
      const action = pos[0] ?? null;
      if (action === null) return { name: "requests", action: null, id: null };
      if (action !== "resume" && action !== "cancel") {
        fail(spec, `"${truncate(action)}" is not resume or cancel`);
      }
      const id = pos[1]?.toUpperCase();
      if (id === undefined) fail(spec, `${action} needs the request's id (DR-…)`);
      if (!/^DR-[0-9A-Z]{8}$/.test(id))
        fail(spec, `"${truncate(pos[1] ?? "")}" is not a request id (DR- and 8 letters or digits)`);
      return { name: "requests", action, id };
    }
    case "report":
      return { name: "report", target: pos[0] ?? null };
    case "backup": {
      const volumes = [...new Set(pos.slice(1))];
      if (volumes.length > MAX_BACKUP_VOLUMES) {
        fail(spec, `${volumes.length} volumes; at most ${MAX_BACKUP_VOLUMES} in one backup`);
      }
      for (const v of volumes) assertVolumeName(v);
      return { name: "backup", host: pos[0] as string, volumes, reason: s("reason") };
    }
    case "backups": {
      const volume = s("volume");
      return {
        name: "backups",
        target: pos[0] ?? null,
        volume: volume === null ? null : assertVolumeName(volume),
      };
    }
    case "restore": {
      const id = (pos[1] as string).toLowerCase();
      if (!BACKUP_ID_RE.test(id)) {
        fail(
          spec,
          `"${truncate(pos[1] as string)}" is not a backup id (like bk-20261203-061512-0a1b2c3d; see: backups)`,
        );
      }
      const as = s("as");
      return { name: "restore", host: pos[0] as string, id, as: as === null ? null : assertVolumeName(as) };
    }
    default:
      throw new UsageError(`unknown command "${spec.name}"`);
  }
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * The command table: for each command, how it runs (with a typed result), its text (the CLI's
 * output, and the file attached in Slack), its JSON and whether it succeeded. The CLI and the
 * worker run every command through `runCommand` and render it through `COMMAND_TABLE`; the
 * grammar is src/commands/grammar.ts, what the Slack router needs (access, checks, where it runs)
 * src/commands/routes.ts, and the Slack renderings src/slack/ (this module imports runners, so the
 * Slack handler never imports it).
 */
import type { Actor, GroupResolver } from "../approvals/policy.js";
import { resolveTarget } from "../config/targets.js";
import type { CommandContext } from "../docker/context.js";
import { reportComplete, reportJson, runReport } from "../report/dangling.js";
import type { Store } from "../store/store.js";
import { runHelp } from "./help.js";
import { runHosts } from "./hosts.js";
import { runInfo } from "./info.js";
import { runInspect } from "./inspect.js";
import { runLs } from "./ls.js";
import type { CommandName, CommandOf } from "./parse.js";
import { renderReportText } from "./report.js";
import { renderRequestsText, runRequests } from "./requests.js";
import type { ResultOf } from "./results.js";
import {
  type DeletionMode,
  type DeletionResult,
  deletionSucceeded,
  renderDeletionText,
  runDeletion,
} from "./rm.js";
import { everyHostAnswered, renderText } from "./text.js";

/** How rm and prune run here, and who acts. */
export interface DeletionSetting {
  mode: DeletionMode;
  actor: Actor;
  resolveGroup: GroupResolver;
  /** Names the executor in the lease and the audit (mode "execute"). */
  executor?: string;
  concurrency?: number;
}

/**
 * What a command may use, each made on first use: the config, the hosts and the clock (help uses
 * none: the CLI loads no config for it), the store, and how deletions run.
 */
export interface RunContext {
  context: () => Promise<CommandContext>;
  store: () => Promise<Store>;
  deletion: DeletionSetting;
}

export interface CommandEntry<K extends CommandName> {
  run(cmd: CommandOf<K>, ctx: RunContext): Promise<ResultOf<K>>;
  /** The result as text. */
  text(r: ResultOf<K>): string;
  /** The result as the CLI's --json prints it. */
  json(r: ResultOf<K>): unknown;
  /** False when a host failed to answer or a volume failed to be deleted (the CLI exits 1). */
  ok(r: ResultOf<K>): boolean;
}

/** rm and prune: a plan opens no store. */
async function deletion(cmd: CommandOf<"rm" | "prune">, ctx: RunContext): Promise<DeletionResult> {
  const c = await ctx.context();
  const store = ctx.deletion.mode === "plan" ? null : await ctx.store();
  return runDeletion(cmd, { ...c, ...ctx.deletion, store });
}

const asIs = <T>(r: T): T => r;
const always = (): boolean => true;
/** The read commands that ask hosts: their text, their JSON, every host answered. */
const read = { text: renderText, json: asIs, ok: everyHostAnswered };

export const COMMAND_TABLE: { [K in CommandName]: CommandEntry<K> } = {
  help: { run: async (cmd) => runHelp(cmd.topic), text: (r) => r.text, json: asIs, ok: always },
  hosts: { run: async (_cmd, ctx) => runHosts(await ctx.context()), ...read },
  info: { run: async (cmd, ctx) => runInfo(cmd.host, await ctx.context()), ...read },
  ls: { run: async (cmd, ctx) => runLs(cmd, await ctx.context()), ...read },
  inspect: {
    run: async (cmd, ctx) => runInspect(cmd.host, cmd.volume, await ctx.context()),
    ...read,
  },
  rm: { run: deletion, text: renderDeletionText, json: asIs, ok: deletionSucceeded },
  prune: { run: deletion, text: renderDeletionText, json: asIs, ok: deletionSucceeded },
  requests: {
    run: async (_cmd, ctx) => runRequests(await ctx.store(), (await ctx.context()).now),
    text: renderRequestsText,
    json: asIs,
    ok: always,
  },
  report: {
    // Unknown hosts are refused before the store is opened. The store remembers since when each
    // volume has been dangling.
    run: async (cmd, ctx) => {
      const c = await ctx.context();
      resolveTarget(c.config, cmd.target ?? "all");
      return runReport(cmd.target, { ...c, store: await ctx.store() });
    },
    text: renderReportText,
    json: reportJson,
    ok: reportComplete,
  },
};

/** The entry of command K. */
export function entryOf<K extends CommandName>(name: K): CommandEntry<K> {
  return COMMAND_TABLE[name];
}

/** Runs a parsed command. Unknown hosts and bad names throw before any host is asked. */
export function runCommand<K extends CommandName>(cmd: CommandOf<K>, ctx: RunContext): Promise<ResultOf<K>> {
  return COMMAND_TABLE[cmd.name].run(cmd, ctx);
}

/** A result with its entry: text, JSON and success, rendered without knowing which command ran. */
export interface Ran {
  text: string;
  json: unknown;
  ok: boolean;
}

export async function runAndRender<K extends CommandName>(cmd: CommandOf<K>, ctx: RunContext): Promise<Ran> {
  const entry = COMMAND_TABLE[cmd.name];
  const r = await entry.run(cmd, ctx);
  return { text: entry.text(r), json: entry.json(r), ok: entry.ok(r) };
}

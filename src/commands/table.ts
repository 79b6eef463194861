/**
 * The command table: every command's entry (its `<command>/index.ts`: run with a typed result,
 * text, JSON, success). The CLI and the worker run every command through it. It imports runners,
 * so the Slack handler never imports it: the handler's side is src/slack/routes.ts, and the Slack
 * renderings are each command's `slack*.ts`.
 */
import { backup } from "./backup/index.js";
import { backups } from "./backups/index.js";
import { prune, rm } from "./delete/index.js";
import type { CommandEntry, RunContext } from "./entry.js";
import { help } from "./help/index.js";
import { hosts } from "./hosts/index.js";
import { info } from "./info/index.js";
import { inspect } from "./inspect/index.js";
import { ls } from "./ls/index.js";
import type { CommandName, CommandOf } from "./parse.js";
import { report } from "./report/index.js";
import { requests } from "./requests/index.js";
import { restore } from "./restore/index.js";
import type { ResultOf } from "./results.js";

export const COMMAND_TABLE: { [K in CommandName]: CommandEntry<K> } = {
  help,
  hosts,
  info,
  ls,
  inspect,
  rm,
  prune,
  requests,
  report,
  backup,
  backups,
  restore,
};

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

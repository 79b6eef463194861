/**
 * rm, prune and requests on the CLI. An operator on a terminal holds the hosts' certificates and
 * could delete with docker itself, so no Slack approval is asked: without --yes, the plan is
 * printed and nothing is deleted; with --yes, a request is opened, approved by `cli:<$USER>` and
 * executed at once, every step audited in the store (the embedded file under DVOL_STATE_DIR, or
 * DynamoDB when DVOL_TABLE is set: the same store the bot uses).
 */
import { hostname } from "node:os";
import type { GroupResolver } from "./approvals/policy.js";
import type { DeletionCommand, DeletionCommandResult } from "./commands/run.js";
import { runDeletionCommand } from "./commands/run.js";
import type { Config } from "./config/types.js";
import type { ConnectionFactory } from "./docker/connection.js";
import { openStore } from "./store/open.js";
import type { Store } from "./store/store.js";

export type StoreOpener = (env: NodeJS.ProcessEnv, cwd: string) => Promise<Store>;

export interface CliDeletionOptions {
  config: Config;
  connect: ConnectionFactory;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** --yes: delete (rm, prune). */
  yes: boolean;
  openStore?: StoreOpener;
  now?: () => Date;
}

/** The CLI checks no access rules (see above): a group is never looked up. */
const noGroups: GroupResolver = async (group) => {
  throw new Error(`the CLI does not look up user groups (${group})`);
};

/** `cli:<user>`: who acts from this terminal. */
export function cliOperator(env: NodeJS.ProcessEnv): string {
  return `cli:${env.USER || env.LOGNAME || "unknown"}`;
}

export async function runDeletionFromCli(
  cmd: DeletionCommand,
  opts: CliDeletionOptions,
): Promise<DeletionCommandResult> {
  const planOnly = cmd.name !== "requests" && !opts.yes;
  const open: StoreOpener = opts.openStore ?? ((env, cwd) => openStore(env, { cwd }));
  const store = planOnly ? null : await open(opts.env, opts.cwd);
  const operator = cliOperator(opts.env);
  try {
    return await runDeletionCommand(cmd, {
      config: opts.config,
      connect: opts.connect,
      now: opts.now ?? (() => new Date()),
      mode: planOnly ? "plan" : "execute",
      store,
      actor: { user: operator, channel: null },
      resolveGroup: noGroups,
      executor: `${operator}@${hostname()}:${process.pid}`,
    });
  } finally {
    await store?.close();
  }
}

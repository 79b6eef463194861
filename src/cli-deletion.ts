/**
 * rm, prune and requests on the CLI. An operator on a terminal holds the hosts' certificates and
 * could delete with docker itself, so no Slack approval is asked: without --yes, the plan is
 * printed and nothing is deleted; with --yes, a request is opened, approved by `cli:<$USER>` and
 * executed at once, every step audited in the store (the embedded file under DVOL_STATE_DIR, or
 * DynamoDB when DVOL_TABLE is set: the same store the bot uses).
 */
import { hostname } from "node:os";
import type { GroupResolver } from "./approvals/policy.js";
import type { DeletionSetting } from "./commands/entry.js";
import { GroupLookupError } from "./errors.js";
import type { Store } from "./store/store.js";

export type StoreOpener = (env: NodeJS.ProcessEnv, cwd: string) => Promise<Store>;

/**
 * The CLI has no Slack bot token, so it cannot read a user group's members. It checks no access
 * list for rm and prune (see above); should a list be asked on a terminal, a group there counts
 * as having no members and the refusal says why, with this hint.
 */
export const cliGroups: GroupResolver = async (group) => {
  throw new GroupLookupError(group, "the CLI has no Slack bot token to ask Slack", {
    hint: 'On a terminal only user IDs and "*" in the access lists count: run the command in Slack, where dvol looks the group up.',
  });
};

/** `cli:<user>`: who acts from this terminal. */
export function cliOperator(env: NodeJS.ProcessEnv): string {
  return `cli:${env.USER || env.LOGNAME || "unknown"}`;
}

/**
 * How rm and prune run from this terminal: without --yes the plan only (no store is opened), with
 * --yes opened, approved by the operator and executed at once.
 */
export function cliDeletion(env: NodeJS.ProcessEnv, yes: boolean): DeletionSetting {
  const operator = cliOperator(env);
  return {
    mode: yes ? "execute" : "plan",
    actor: { user: operator, channel: null },
    resolveGroup: cliGroups,
    executor: `${operator}@${hostname()}:${process.pid}`,
    executorGone: cliExecutorGone,
  };
}

/**
 * Whether an executor is a dvol CLI process of this machine (`cli:<user>@<host>:<pid>#…`) that no
 * longer runs (killed with SIGKILL, say): its request can be paused and resumed at once, without
 * waiting for its lease to run out. Any other executor is not known to be gone.
 */
export function cliExecutorGone(executor: string, host: string = hostname()): boolean {
  const m = /^cli:[^@]*@(.+):(\d+)(?:#[0-9a-f]+)?$/.exec(executor);
  if (!m || m[1] !== host) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return err instanceof Error && "code" in err && err.code === "ESRCH";
  }
}

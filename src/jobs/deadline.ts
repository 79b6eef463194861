/**
 * The worker near its deadline (SPEC §4.6): Lambda stops an invocation at the function's timeout,
 * whatever it is doing. An execution polls `stopRequested` before it starts each volume; once the
 * time left is no more than the longest call a volume can still need (the slowest host's
 * `timeoutSeconds`: each volume's calls run under one connection's deadline) plus the margin to
 * record and post (WORKER_MARGIN_SECONDS), it starts no more volumes, lets those in flight finish,
 * records them and hands the rest over: the worker invokes itself with a ContinueJob, which goes
 * on where this one stopped. The thread sees one execution. After MAX_HANDOVERS invocations the
 * execution pauses instead (kind "deadline"), to be resumed by an approver: a request that keeps
 * needing fresh invocations is one that people should look at. A resume typed in Slack
 * (`/dvol requests resume`) pauses at the deadline too, rather than handing over.
 */
import type { StopRequest } from "../approvals/execute.js";
import { COPY_MARGIN_MS } from "../backup/budget.js";
import type { Config } from "../config/types.js";
import { WORKER_FUNCTION_TIMEOUT_SECONDS, WORKER_MARGIN_SECONDS } from "../config/validate.js";
import type { ContinueJob } from "./job.js";

/** Invocations of one execution after the first; 20 × 2 min covers 1,000 volumes over a slow link. */
export const MAX_HANDOVERS = 20;

/** The worker's invocation, as the execution needs to know it. */
export interface WorkerInvocation {
  /** Time left before Lambda stops this invocation (the context's getRemainingTimeInMillis). */
  remainingMs: () => number;
  /** Starts a fresh invocation of the worker with `job` (an asynchronous self-invocation). */
  continueWith: (job: ContinueJob) => Promise<void>;
}

/** How long before the deadline no new volume is started: the slowest host's deadline and the margin. */
export function stopMarginMs(config: Pick<Config, "hosts">): number {
  const slowest = Math.max(0, ...config.hosts.map((h) => h.timeoutMs));
  return slowest + WORKER_MARGIN_SECONDS * 1000;
}

/**
 * The longest a backup before deletion may take in the worker: a fresh invocation's time less the
 * slowest host's deadline and the backup commands' margin (src/backup/budget.ts, COPY_MARGIN_MS);
 * a volume whose backup needs more is blocked in the plan (src/approvals/before-delete.ts).
 */
export function backupBudgetMs(config: Pick<Config, "hosts">): number {
  const slowest = Math.max(0, ...config.hosts.map((h) => h.timeoutMs));
  return WORKER_FUNCTION_TIMEOUT_SECONDS * 1000 - slowest - COPY_MARGIN_MS;
}

/**
 * The `stopRequested` of an execution in this invocation: null while there is time (with `needMs`,
 * the estimated time of a backup about to start, more than the margin); then a stop that hands
 * over when `canHandOver` (a dispatcher exists and fewer than MAX_HANDOVERS came before), or pauses.
 */
export function deadlineStop(
  invocation: Pick<WorkerInvocation, "remainingMs">,
  config: Pick<Config, "hosts">,
  canHandOver: boolean,
): (needMs?: number) => StopRequest | null {
  const margin = stopMarginMs(config);
  return (needMs = 0) => {
    if (invocation.remainingMs() > margin + needMs) return null;
    return canHandOver
      ? { kind: "deadline", reason: "the worker is near its time limit", handOver: true }
      : {
          kind: "deadline",
          reason: `the worker reached its time limit (${WORKER_FUNCTION_TIMEOUT_SECONDS} s) and does not hand over again`,
        };
  };
}

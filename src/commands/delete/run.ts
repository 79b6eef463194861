/**
 * `rm <host> <volume>...` and `prune <host> ...` (SPEC §2, §4): the plan, then, depending on the
 * front end, nothing more (CLI without --yes), a pending request for an approver (Slack), or, for
 * an operator on the CLI with --yes, a request approved by that operator and executed at once.
 * Every request, approval and outcome is in the store's audit trail.
 */

import type { BeforeDeleteBackups } from "../../approvals/before-delete.js";
import type { PruneCommand, RmCommand } from "../../approvals/commands.js";
import {
  countOutcomes,
  executeRequest,
  type OutcomeSummary,
  type StopRequest,
} from "../../approvals/execute.js";
import { buildPlan, type DeletionPlan } from "../../approvals/plan.js";
import { type Actor, type GroupResolver, mayRequest } from "../../approvals/policy.js";
import { approveAsOperator, openRequest } from "../../approvals/requests.js";
import type { CommandContext } from "../../docker/context.js";
import { DeletionIncompleteError, NotAllowedError } from "../../errors.js";
import type { SizesSource } from "../../sizes/view.js";
import type {
  BackupMode,
  BlockedVolume,
  DeletionRequest,
  PlannedVolume,
  RequestStatus,
  VolumeOutcome,
} from "../../store/records.js";
import type { Store } from "../../store/store.js";
import { pruneFilterText } from "./prune.js";

export type DeletionMode =
  /** Show the plan only (the CLI without --yes). */
  | "plan"
  /** Open a pending request, for an approver to decide (Slack). */
  | "request"
  /** Open, approve as the operator and execute now (the CLI with --yes). */
  | "execute";

/** How rm and prune (and requests resume|cancel) run here, and who acts. */
export interface DeletionSetting {
  mode: DeletionMode;
  actor: Actor;
  resolveGroup: GroupResolver;
  /** Names the executor in the lease and the audit (mode "execute"). */
  executor?: string;
  concurrency?: number;
  /** Polled before each deletion starts: a stop asked for (the CLI's SIGINT/SIGTERM). */
  stopRequested?: () => StopRequest | null;
  /** Whether an executor named in a request is certainly gone (a CLI process on this machine that no longer runs). */
  executorGone?: (executor: string) => boolean;
  /**
   * The store of backups for backups before deletion (backup.beforeDelete: required): the run
   * context's `backup` (index.ts), the same store as the backup commands'.
   */
  backups?: BeforeDeleteBackups;
  /**
   * The longest a backup before deletion may take where the request will execute (the worker: its
   * timeout less its margins); absent on the CLI, which has no function deadline.
   */
  backupTimeMs?: number;
}

export interface DeletionContext extends CommandContext {
  mode: DeletionMode;
  /** Where the plan's sizes come from (issue 12). */
  sizes?: SizesSource;
  /** Needed unless mode is "plan". */
  store: Store | null;
  /** Who asks: a Slack user in a channel, or the CLI (`cli:<user>`, no channel). */
  actor: Actor;
  resolveGroup: GroupResolver;
  /** Names the executor in the lease and the audit (mode "execute"). */
  executor?: string;
  concurrency?: number;
  /** Polled before each deletion starts (the CLI's SIGINT/SIGTERM): the request is then paused. */
  stopRequested?: () => StopRequest | null;
  backups?: DeletionSetting["backups"];
  backupTimeMs?: number;
}

export interface DeletionResult {
  command: "rm" | "prune";
  host: string;
  /**
   * planned: nothing done; opened: a request waits for an approver; executed: it ran; paused: it
   * stopped before the end (pausedReason says why), to be resumed or cancelled.
   */
  stage: "planned" | "opened" | "executed" | "paused" | "nothing-to-delete";
  pausedReason: string | null;
  /** The command, as recorded ("rm host1 a b"). */
  request: string;
  requestId: string | null;
  status: RequestStatus | null;
  requester: string;
  reason: string | null;
  expiresAt: string | null;
  plan: PlannedVolume[];
  blocked: BlockedVolume[];
  /** Matching volumes left out because one request holds at most 1,000 (prune). */
  leftOut: number;
  /** One per planned volume once executed, in the plan's order. */
  outcomes: VolumeOutcome[];
  summary: OutcomeSummary | null;
  /** prune's filters, as text ("dangling, project shop, older than 7d"). */
  filters: string | null;
  /** Each volume backed up first (`first`), not despite backup.beforeDelete (`skipped`: --no-backup), or `off`. */
  backup: BackupMode;
}

function resultOf(
  cmd: RmCommand | PruneCommand,
  plan: DeletionPlan,
  stage: DeletionResult["stage"],
  requester: string,
  request: DeletionRequest | null,
): DeletionResult {
  const order = new Map(plan.plan.map((v, i) => [v.name, i]));
  const outcomes = [...(request?.outcomes ?? [])].sort(
    (a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0),
  );
  return {
    command: cmd.name,
    host: plan.host,
    stage,
    request: plan.command,
    requestId: request?.id ?? null,
    status: request?.status ?? null,
    requester,
    reason: plan.reason,
    expiresAt: request?.expiresAt ?? null,
    plan: plan.plan,
    blocked: plan.blocked,
    leftOut: plan.leftOut,
    outcomes,
    summary: stage === "executed" || stage === "paused" ? countOutcomes(outcomes) : null,
    pausedReason: stage === "paused" ? (request?.paused?.reason ?? null) : null,
    filters: cmd.name === "prune" ? pruneFilterText(cmd) : null,
    backup: plan.backup ?? "off",
  };
}

/** Runs rm or prune in the given mode. Unknown hosts, bad names and refused requesters throw first. */
export async function runDeletion(
  cmd: RmCommand | PruneCommand,
  ctx: DeletionContext,
): Promise<DeletionResult> {
  const who = ctx.actor.user;
  if (ctx.mode === "request") {
    const allowed = await mayRequest(ctx.config.access, ctx.actor, ctx.resolveGroup);
    if (!allowed.ok) throw new NotAllowedError(allowed.message, allowed.hint);
  }
  const plan = await buildPlan(cmd, ctx, ctx.backupTimeMs ?? null, ctx.sizes);
  if (ctx.mode === "plan") return resultOf(cmd, plan, "planned", who, null);
  if (plan.plan.length === 0) return resultOf(cmd, plan, "nothing-to-delete", who, null);
  const store = ctx.store;
  if (!store) throw new Error("runDeletion: a store is needed to open a request");
  const deps = { store, now: ctx.now };
  const opened = await openRequest(deps, {
    plan,
    requester: who,
    channel: ctx.actor.channel,
    ttlHours: ctx.config.requests.ttlHours,
  });
  if (ctx.mode === "request") return resultOf(cmd, plan, "opened", who, opened);

  const approved = await approveAsOperator(deps, opened.id, who);
  if (!approved.ok) throw new DeletionIncompleteError(opened.id, approved.message);
  const run = await executeRequest(
    {
      store,
      config: ctx.config,
      connect: ctx.connect,
      now: ctx.now,
      executor: ctx.executor ?? who,
      concurrency: ctx.concurrency,
      stopRequested: ctx.stopRequested,
      backups: ctx.backups,
    },
    opened.id,
  );
  if (run.status === "paused") return resultOf(cmd, plan, "paused", who, run.request);
  if (run.status !== "done") {
    throw new DeletionIncompleteError(opened.id, `execution did not complete (${run.status})`);
  }
  return resultOf(cmd, plan, "executed", who, run.request);
}

/** False when a volume failed to be deleted, or an rm can delete none of the volumes it names. */
export function deletionSucceeded(r: DeletionResult): boolean {
  return (
    r.stage !== "paused" && (r.summary?.failed ?? 0) === 0 && !(r.command === "rm" && r.plan.length === 0)
  );
}

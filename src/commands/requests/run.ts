/**
 * `requests`: the open deletion requests and the last ones decided (SPEC §2); `requests resume
 * DR-…` resumes a paused request (an approver; then executes it, every remaining volume checked
 * again), `requests cancel DR-…` cancels one (its requester or an approver; nothing deleted is
 * undone). On the CLI the operator acts (see approveAsOperator); in Slack the policy decides.
 */
import { countOutcomes, executeRequest, type OutcomeSummary } from "../../approvals/execute.js";
import {
  cancelRequest,
  changeAsOperator,
  type LifeAction,
  pauseIfExecutorGone,
  resumeRequest,
} from "../../approvals/life.js";
import { decisionText, requestsOverview } from "../../approvals/requests.js";
import type { CommandContext } from "../../docker/context.js";
import type { DeletionRequest, RequestStatus } from "../../store/records.js";
import type { Store } from "../../store/store.js";
import type { DeletionSetting } from "../delete/run.js";

export interface RequestRow {
  id: string;
  kind: "rm" | "prune";
  host: string;
  status: RequestStatus;
  requester: string;
  reason: string | null;
  command: string;
  createdAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  volumes: number;
  sizeBytes: number;
  blocked: number;
  /** Once executed (or while executing: what is done so far). */
  outcomes: OutcomeSummary | null;
  /** "waiting for an approver", "approved by U0BOB at … and executed". */
  state: string;
}

export interface RequestsResult {
  command: "requests";
  open: RequestRow[];
  decided: RequestRow[];
  /** `requests resume|cancel DR-…`: what happened (open and decided are then empty). */
  change: RequestChange | null;
}

export interface RequestChange {
  action: LifeAction;
  id: string;
  /** False when refused (not allowed, no such request, nothing to resume, lapsed), or paused again. */
  ok: boolean;
  /** False when refused: nothing changed. */
  changed: boolean;
  /** What happened, for people ("DR-… resumed: 12 of 12 deleted", "DR-… cancelled: 3 of 12 had been deleted"). */
  message: string;
  hint: string | null;
  /** The request as it now is (null when there is none). */
  request: DeletionRequest | null;
}

/** How many decided requests `requests` shows. */
const DECIDED_SHOWN = 10;

function requestRow(r: DeletionRequest): RequestRow {
  return {
    id: r.id,
    kind: r.kind,
    host: r.host,
    status: r.status,
    requester: r.requester,
    reason: r.reason,
    command: r.command,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
    volumes: r.plan.length,
    sizeBytes: r.plan.reduce((a, v) => a + (v.sizeBytes ?? 0), 0),
    blocked: r.blocked.length,
    outcomes: r.outcomes.length > 0 || r.status === "done" ? countOutcomes(r.outcomes) : null,
    state: decisionText(r),
  };
}

/** Lists requests; pending ones past their expiry are marked expired (and audited) on the way. */
export async function runRequests(store: Store, now: () => Date): Promise<RequestsResult> {
  const { open, decided } = await requestsOverview({ store, now }, { decidedLimit: DECIDED_SHOWN });
  return { command: "requests", open: open.map(requestRow), decided: decided.map(requestRow), change: null };
}

const counted = (r: DeletionRequest) => {
  const deleted = r.outcomes.filter((o) => o.result === "deleted").length;
  return `${deleted} of ${r.plan.length} deleted`;
};

/**
 * Resumes or cancels a request, as `deletion` says who acts: the CLI's operator (mode "execute"),
 * or a Slack user checked by the policy. A resume executes the request at once.
 */
export async function runRequestChange(
  action: LifeAction,
  id: string,
  ctx: CommandContext,
  store: Store,
  deletion: DeletionSetting,
): Promise<RequestsResult> {
  const deps = { store, now: ctx.now };
  const result = (
    change: Omit<RequestChange, "action" | "id" | "changed">,
    changed = true,
  ): RequestsResult => ({
    command: "requests",
    open: [],
    decided: [],
    change: { action, id, changed, ...change },
  });
  const found = await store.getRequest(id);
  if (found && deletion.executorGone) await pauseIfExecutorGone(deps, found, deletion.executorGone);
  const policy = { access: ctx.config.access, resolveGroup: deletion.resolveGroup };
  const changed =
    deletion.mode !== "request"
      ? await changeAsOperator(deps, id, deletion.actor.user, action)
      : action === "resume"
        ? await resumeRequest(deps, id, deletion.actor, policy)
        : await cancelRequest(deps, id, deletion.actor, policy);
  if (!changed.ok) {
    return result(
      { ok: false, message: changed.message, hint: changed.hint, request: changed.request },
      false,
    );
  }
  if (action === "cancel") {
    const r = changed.request;
    return result({
      ok: true,
      message: `${id} cancelled: ${counted(r)} before; nothing more will be deleted.`,
      hint: null,
      request: r,
    });
  }
  const run = await executeRequest(
    {
      store,
      config: ctx.config,
      connect: ctx.connect,
      now: ctx.now,
      executor: deletion.executor ?? deletion.actor.user,
      concurrency: deletion.concurrency,
      stopRequested: deletion.stopRequested,
      backups: deletion.backups,
    },
    id,
  );
  const r = "request" in run ? run.request : changed.request;
  switch (run.status) {
    case "done":
      return result({
        ok: true,
        message: `${id} resumed and executed: ${counted(r)}.`,
        hint: null,
        request: r,
      });
    case "paused":
      return result({
        ok: false,
        message: `${id} resumed, and paused again: ${counted(r)}; ${r.paused?.reason ?? "stopped"}.`,
        hint: pausedHint(id),
        request: r,
      });
    default:
      return result({
        ok: false,
        message: `${id} resumed, but not executed here (${run.status}): ${decisionText(r)}.`,
        hint: "See where it stands with: requests",
        request: r,
      });
  }
}

/** How to go on with a paused request, from a terminal. */
export function pausedHint(id: string): string {
  return `resume: dvol requests resume ${id}\ncancel: dvol requests cancel ${id}`;
}

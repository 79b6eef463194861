/**
 * A request's life after approval (SPEC §4.6): an approver resumes a paused request, the requester
 * or an approver cancels a pending, approved or paused one (never undoing a deletion), and an
 * execution whose executor is gone, or that was handed over and never continued, is paused so that
 * it can be resumed. Each change is one conditional write on the request's version, audited, as in
 * requests.ts (opening and deciding), whose checks it shares.
 */
import type { DeletionRequest, PauseRecord } from "../store/records.js";
import { type Actor, mayCancel, mayResume, type PolicyDecision } from "./policy.js";
import {
  alreadyDecided,
  audit,
  auditSeq,
  type DecisionPolicy,
  type DecisionResult,
  decisionText,
  expireIfDue,
  notFound,
  progressText,
  type RequestDeps,
  refuseUnlessAllowed,
  SYSTEM_ACTOR,
  writeNext,
} from "./requests.js";
export type LifeAction = "resume" | "cancel";

/** Why `action` cannot apply to `r` in its state, or null when it can. */
function wrongState(r: DeletionRequest, action: LifeAction): DecisionResult | null {
  const can = action === "resume" ? ["paused"] : ["pending", "approved", "paused"];
  if (can.includes(r.status)) return null;
  if (r.status === "lapsed") {
    return {
      ok: false,
      reason: "lapsed",
      message: `${r.id} has lapsed (${decisionText(r)}): it will not be ${action === "resume" ? "resumed" : "cancelled"}.`,
      hint: `Nothing more will be deleted; open a new request if the other volumes should still go: ${r.command}`,
      request: r,
    };
  }
  const what =
    r.status === "executing"
      ? "it is being executed right now"
      : r.status === "approved"
        ? "it is approved and about to run, not paused"
        : r.status === "pending"
          ? "it is waiting for an approver, not paused"
          : "it is over";
  return {
    ok: false,
    reason: "state",
    message: `${r.id}: nothing to ${action}: ${what} (${decisionText(r)}).`,
    hint: "See where it stands with: requests",
    request: r,
  };
}

/**
 * Resumes or cancels a request once: it must exist, be in a state the action applies to and not
 * have lapsed, and the actor must be allowed; then one conditional write changes it (a concurrent
 * change that came first wins). A resume puts a paused request back to approved, with the failed
 * volumes' outcomes dropped so that they are tried again; the execution that follows re-checks every
 * remaining volume as at approval. A cancel never undoes a deletion: the audit says what was done.
 */
async function change(
  deps: RequestDeps,
  id: string,
  actor: Actor,
  action: LifeAction,
  allow: (request: DeletionRequest) => Promise<PolicyDecision>,
  detail: Record<string, unknown> = {},
): Promise<DecisionResult> {
  for (;;) {
    let current = await deps.store.getRequest(id);
    if (!current) return notFound(id);
    current = await expireIfDue(deps, current);
    if (current.status === "expired") return alreadyDecided(current);
    const refused = wrongState(current, action);
    if (refused) return refused;

    const denied = await refuseUnlessAllowed(deps, current, actor, action, allow);
    if (denied) return denied;
    const now = deps.now();
    const next = await writeNext(
      deps.store,
      current,
      action === "resume"
        ? { status: "approved", outcomes: current.outcomes.filter((o) => o.result !== "failed") }
        : { status: "cancelled", closedBy: actor.user, closedAt: now.toISOString() },
    );
    if (!next) continue;
    await audit(
      deps.store,
      next,
      now,
      auditSeq(next.version),
      actor.user,
      action === "resume" ? "resumed" : "cancelled",
      {
        channel: actor.channel,
        previousStatus: current.status,
        done: progressText(current),
        remaining: current.plan.length - current.outcomes.filter((o) => o.result !== "failed").length,
        ...detail,
      },
    );
    return { ok: true, request: next };
  }
}

/** An approver resumes a paused request (then executes it). */
export function resumeRequest(
  deps: RequestDeps,
  id: string,
  actor: Actor,
  policy: DecisionPolicy,
): Promise<DecisionResult> {
  return change(deps, id, actor, "resume", (r) => mayResume(policy.access, r, actor, policy.resolveGroup));
}

/** The requester or an approver cancels a pending, approved or paused request. */
export function cancelRequest(
  deps: RequestDeps,
  id: string,
  actor: Actor,
  policy: DecisionPolicy,
): Promise<DecisionResult> {
  return change(deps, id, actor, "cancel", (r) => mayCancel(policy.access, r, actor, policy.resolveGroup));
}

/** The CLI's resume or cancel: an operator holding the host's certificates (see approveAsOperator). */
export function changeAsOperator(
  deps: RequestDeps,
  id: string,
  operator: string,
  action: LifeAction,
): Promise<DecisionResult> {
  return change(deps, id, { user: operator, channel: null }, action, async () => ({ ok: true }), {
    via: "cli",
  });
}

/**
 * An executing request whose executor is gone (a CLI process on this machine that no longer runs,
 * killed with SIGKILL, say) is marked paused, so that it can be resumed: the resumed execution takes
 * over, and a planned volume already gone is recorded as deleted by the run that stopped, never
 * deleted twice. `isGone` tells, from the executor's name, that it is certainly gone.
 */
export function pauseIfExecutorGone(
  deps: RequestDeps,
  r: DeletionRequest,
  isGone: (executor: string) => boolean,
): Promise<DeletionRequest> {
  return pauseWhile(deps, r, (current, now) => {
    if (current.status !== "executing" || current.executor === null) return null;
    const leaseOver = current.leaseUntil !== null && Date.parse(current.leaseUntil) <= now.getTime();
    if (!leaseOver && !isGone(current.executor)) return null;
    const reason = `its executor stopped without a word (${current.executor}); volumes it was deleting are checked again`;
    return { kind: "signal", reason, at: now.toISOString(), unrecorded: true };
  });
}

/**
 * An execution handed over that no invocation will continue (the worker could not invoke itself):
 * paused, with why, so that an approver can resume it. A request another executor has claimed
 * meanwhile, or that is no longer executing, is left as it is.
 */
export function pauseUnclaimed(
  deps: RequestDeps,
  r: DeletionRequest,
  reason: string,
): Promise<DeletionRequest> {
  return pauseWhile(deps, r, (current, now) =>
    current.status === "executing" && current.executor === null
      ? { kind: "deadline", reason, at: now.toISOString() }
      : null,
  );
}

/**
 * Pauses `r` with the record `why` gives, for as long as `why` gives one for the request as stored
 * (re-read after a concurrent write), and audits the pause; the request as it then is.
 */
async function pauseWhile(
  deps: RequestDeps,
  r: DeletionRequest,
  why: (current: DeletionRequest, now: Date) => PauseRecord | null,
): Promise<DeletionRequest> {
  let current: DeletionRequest | null = r;
  while (current) {
    const now = deps.now();
    const paused = why(current, now);
    if (paused === null) return current;
    const next = await writeNext(deps.store, current, {
      status: "paused",
      executor: null,
      leaseUntil: null,
      paused,
    });
    if (next) {
      await audit(deps.store, next, now, auditSeq(next.version), SYSTEM_ACTOR, "paused", {
        kind: paused.kind,
        reason: paused.reason,
        done: progressText(next),
      });
      return next;
    }
    current = await deps.store.getRequest(r.id);
  }
  return r;
}

/**
 * The life of a deletion request over the Store (SPEC §4): opened (pending), then decided once:
 * approved, rejected, or expired after `requests.ttlHours`; an execution that stopped is paused,
 * then resumed by an approver or cancelled by the requester or an approver; an approved request
 * not finished within `requests.ttlHours` of its approval lapses. Expiry is checked here against the
 * injected clock, never left to the store. Every change is one conditional write on the request's
 * version, so two clicks, a Slack retry and a Lambda retry decide at most once; every step,
 * refusals included, is an audit record.
 */
import { randomInt } from "node:crypto";
import { NothingToDeleteError, StoreError } from "../errors.js";
import {
  type AuditAction,
  type AuditRecord,
  CLOSED_STATUSES,
  type DeletionRequest,
  OPEN_STATUSES,
} from "../store/records.js";
import type { Store } from "../store/store.js";
import type { DeletionPlan } from "./plan.js";
import {
  type Access,
  type Actor,
  type GroupResolver,
  mayApprove,
  mayReject,
  type PolicyDecision,
  type RefusalReason,
} from "./policy.js";

export interface RequestDeps {
  store: Store;
  now: () => Date;
}

/** Who decides, and how group membership is looked up. */
export interface DecisionPolicy {
  access: Access;
  resolveGroup: GroupResolver;
}

export type DecisionFailure = RefusalReason | "not-found" | "decided" | "expired" | "lapsed" | "state";

export type DecisionResult =
  | { ok: true; request: DeletionRequest }
  | {
      ok: false;
      reason: DecisionFailure;
      /** For the person who clicked (ephemeral in Slack): what happened, what to do. */
      message: string;
      hint: string;
      request: DeletionRequest | null;
    };

/** The actor of steps dvol takes by itself (expiry). */
export const SYSTEM_ACTOR = "dvol";

const ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** "DR-" and 8 characters of [0-9A-Z]. */
export function newRequestId(): string {
  let s = "DR-";
  for (let i = 0; i < 8; i++) s += ID_CHARS[randomInt(ID_CHARS.length)];
  return s;
}

/**
 * Audit records are ordered by `at`, then `seq`. A record written after a successful update
 * takes `version * 1000 + k` (unique: only one writer wins each version); a refusal, which
 * changes nothing, takes a number above those of its version.
 */
export function auditSeq(version: number, k = 0): number {
  return version * 1000 + k;
}

export async function audit(
  store: Store,
  request: Pick<DeletionRequest, "id">,
  at: Date,
  seq: number,
  actor: string,
  action: AuditAction,
  detail: Record<string, unknown>,
): Promise<void> {
  const record: AuditRecord = { requestId: request.id, at: at.toISOString(), seq, actor, action, detail };
  await store.appendAudit(record);
}

/** Writes `next` (version bumped) if the stored request is still `current`; null when another writer came first. */
export async function writeNext(
  store: Store,
  current: DeletionRequest,
  change: Partial<DeletionRequest>,
): Promise<DeletionRequest | null> {
  const next: DeletionRequest = { ...current, ...change, version: current.version + 1 };
  return (await store.updateRequest(next, current.version)) ? next : null;
}

export interface OpenInput {
  plan: DeletionPlan;
  /** Slack user ID, or "cli:<user>". The caller has checked mayRequest. */
  requester: string;
  channel: string | null;
  messageTs?: string | null;
  ttlHours: number;
}

/** Stores a new pending request for the plan and audits it. A plan with nothing to delete is refused. */
export async function openRequest(deps: RequestDeps, input: OpenInput): Promise<DeletionRequest> {
  const { plan } = input;
  if (plan.plan.length === 0) {
    const asked = plan.blocked.length;
    throw new NothingToDeleteError(
      plan.host,
      asked > 0
        ? `every volume asked for is blocked (${asked}: in use, protected or missing)`
        : "no volume matches",
    );
  }
  const now = deps.now();
  for (let attempt = 0; attempt < 5; attempt++) {
    const request: DeletionRequest = {
      id: newRequestId(),
      kind: plan.kind,
      host: plan.host,
      requester: input.requester,
      reason: plan.reason,
      command: plan.command,
      channel: input.channel,
      messageTs: input.messageTs ?? null,
      status: "pending",
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + input.ttlHours * 3_600_000).toISOString(),
      plan: plan.plan,
      blocked: plan.blocked,
      backup: plan.backup ?? "off",
      decidedBy: null,
      decidedAt: null,
      executor: null,
      leaseUntil: null,
      outcomes: [],
      version: 1,
    };
    if (await deps.store.createRequest(request)) {
      await audit(deps.store, request, now, auditSeq(1), input.requester, "requested", {
        host: request.host,
        kind: request.kind,
        command: request.command,
        reason: request.reason,
        volumes: request.plan.map((v) => v.name),
        sizeBytes: request.plan.reduce((a, v) => a + (v.sizeBytes ?? 0), 0),
        blocked: request.blocked,
        expiresAt: request.expiresAt,
        // first: each volume backed up before it is deleted; skipped: --no-backup while backups
        // are required (the approver was shown it); off: backup.beforeDelete is off.
        backup: plan.backup ?? "off",
        noBackup: plan.backup === "skipped",
      });
      return request;
    }
  }
  throw new StoreError("could not find a free request id after 5 attempts", { hint: "Try again." });
}

/** Records where the request's Slack messages are: the parent, and the plan in its thread (not a state change). */
export async function attachMessage(
  deps: RequestDeps,
  id: string,
  where: Partial<Pick<DeletionRequest, "channel" | "messageTs" | "planTs">>,
): Promise<DeletionRequest | null> {
  for (;;) {
    const current = await deps.store.getRequest(id);
    if (!current) return null;
    const next = await writeNext(deps.store, current, where);
    if (next) return next;
  }
}

export function isExpired(request: DeletionRequest, now: Date): boolean {
  return request.status === "pending" && now.getTime() >= Date.parse(request.expiresAt);
}

/** When an approved request lapses: requests.ttlHours (as when it was opened) after its approval. */
export function lapsesAt(r: DeletionRequest): number | null {
  if (r.decidedAt === null) return null;
  return Date.parse(r.decidedAt) + (Date.parse(r.expiresAt) - Date.parse(r.createdAt));
}

/** An approved, executing or paused request past its lapse time (an executing one only once its lease ran out). */
export function isLapsed(r: DeletionRequest, now: Date): boolean {
  if (r.status !== "approved" && r.status !== "executing" && r.status !== "paused") return false;
  const at = lapsesAt(r);
  if (at === null || now.getTime() < at) return false;
  return !(r.status === "executing" && r.leaseUntil !== null && Date.parse(r.leaseUntil) > now.getTime());
}

const minute = (iso: string | null | undefined) =>
  iso ? ` at ${iso.slice(0, 16).replace("T", " ")} UTC` : "";

/** "3 of 12 deleted" (deleted so far, over the planned volumes). */
export function progressText(r: DeletionRequest): string {
  const deleted = r.outcomes.filter((o) => o.result === "deleted").length;
  return `${deleted} of ${r.plan.length} deleted`;
}

/** "approved by U0BOB at 2026-11-29 14:03 UTC". */
export function decisionText(r: DeletionRequest): string {
  const at = minute(r.decidedAt);
  const by = `approved by ${r.decidedBy ?? "someone"}${at}`;
  switch (r.status) {
    case "pending":
      return "waiting for an approver";
    case "expired":
      return `expired${at}, unapproved`;
    case "rejected":
      return `rejected by ${r.decidedBy ?? "someone"}${at}`;
    case "approved":
    case "executing":
      return `${by}, being executed`;
    case "paused":
      return `${by}; paused: ${progressText(r)}; ${r.paused?.reason ?? "stopped"}`;
    case "done":
      return `${by} and executed`;
    case "cancelled":
      return `cancelled by ${r.closedBy ?? "someone"}${minute(r.closedAt)}; ${progressText(r)}`;
    case "lapsed":
      return `${by}; lapsed${minute(r.closedAt)}, not finished in time; ${progressText(r)}`;
  }
}

export function alreadyDecided(r: DeletionRequest): DecisionResult {
  if (r.status === "expired") {
    return {
      ok: false,
      reason: "expired",
      message: `${r.id} has expired (${decisionText(r)}): nothing will be deleted.`,
      hint: `Open a new request if the volumes should still go: ${r.command}`,
      request: r,
    };
  }
  return {
    ok: false,
    reason: "decided",
    message: `${r.id} was already decided: ${decisionText(r)}.`,
    hint: "Nothing changed.",
    request: r,
  };
}

/**
 * Marks an approved request past its lapse time as lapsed (audited, with what had been done).
 * Null when another writer came first (look again).
 */
export async function lapse(deps: RequestDeps, r: DeletionRequest): Promise<DeletionRequest | null> {
  const now = deps.now();
  const next = await writeNext(deps.store, r, {
    status: "lapsed",
    executor: null,
    leaseUntil: null,
    closedBy: SYSTEM_ACTOR,
    closedAt: now.toISOString(),
  });
  if (!next) return null;
  await audit(deps.store, next, now, auditSeq(next.version), SYSTEM_ACTOR, "lapsed", {
    lapsedAt: new Date(lapsesAt(r) ?? now.getTime()).toISOString(),
    previousStatus: r.status,
    done: progressText(next),
  });
  return next;
}

/**
 * Marks a pending request past its expiry as expired, and an approved one past its lapse time as
 * lapsed (audited). Returns the request as it now is.
 */
export async function expireIfDue(deps: RequestDeps, request: DeletionRequest): Promise<DeletionRequest> {
  let current: DeletionRequest | null = request;
  while (current && isLapsed(current, deps.now())) {
    const lapsed = await lapse(deps, current);
    if (lapsed) return lapsed;
    current = await deps.store.getRequest(request.id);
  }
  while (current && isExpired(current, deps.now())) {
    const now = deps.now();
    const next = await writeNext(deps.store, current, { status: "expired", decidedAt: now.toISOString() });
    if (next) {
      await audit(deps.store, next, now, auditSeq(next.version), SYSTEM_ACTOR, "expired", {
        expiresAt: next.expiresAt,
      });
      return next;
    }
    current = await deps.store.getRequest(request.id);
  }
  return current ?? request;
}

/** Expires every pending request past its expiry and lapses every approved one past its lapse time; returns those. */
export async function expireDue(deps: RequestDeps): Promise<DeletionRequest[]> {
  const open = await deps.store.listRequests({ statuses: OPEN_STATUSES });
  const expired: DeletionRequest[] = [];
  for (const r of open) {
    if (!isExpired(r, deps.now()) && !isLapsed(r, deps.now())) continue;
    const after = await expireIfDue(deps, r);
    if ((after.status === "expired" || after.status === "lapsed") && after.version !== r.version) {
      expired.push(after);
    }
  }
  return expired;
}

type Decision = "approve" | "reject";

/**
 * Asks the policy whether `actor` may do `tried` to `current`; a refusal is audited (with a sequence
 * number of its own, so that refusals never collide with the request's steps) and returned.
 */
export async function refuseUnlessAllowed(
  deps: RequestDeps,
  current: DeletionRequest,
  actor: Actor,
  tried: string,
  allow: (request: DeletionRequest) => Promise<PolicyDecision>,
): Promise<DecisionResult | null> {
  const allowed = await allow(current);
  if (allowed.ok) return null;
  await audit(
    deps.store,
    current,
    deps.now(),
    auditSeq(current.version, 900 + randomInt(100)),
    actor.user,
    "refused",
    { tried, reason: allowed.reason, message: allowed.message },
  );
  return { ...allowed, request: current };
}

/**
 * Decides a pending request once. In order: it must exist, be pending and not expired (an expired
 * one is marked so), and the actor must be allowed; then one conditional write decides it. A
 * concurrent decision that wrote first wins, and this one answers "already decided".
 */
async function decide(
  deps: RequestDeps,
  id: string,
  actor: Actor,
  decision: Decision,
  allow: (request: DeletionRequest) => Promise<PolicyDecision>,
  detail: Record<string, unknown> = {},
): Promise<DecisionResult> {
  for (;;) {
    const current = await deps.store.getRequest(id);
    if (!current) return notFound(id);
    if (current.status !== "pending") return alreadyDecided(current);
    if (isExpired(current, deps.now())) return alreadyDecided(await expireIfDue(deps, current));

    const refused = await refuseUnlessAllowed(deps, current, actor, decision, allow);
    if (refused) return refused;

    const now = deps.now();
    const next = await writeNext(deps.store, current, {
      status: decision === "approve" ? "approved" : "rejected",
      decidedBy: actor.user,
      decidedAt: now.toISOString(),
    });
    if (!next) continue; // another writer came first: look again
    await audit(
      deps.store,
      next,
      now,
      auditSeq(next.version),
      actor.user,
      decision === "approve" ? "approved" : "rejected",
      { channel: actor.channel, ...detail },
    );
    return { ok: true, request: next };
  }
}

/** An approver approves a pending request (not its requester unless allowSelfApproval). */
export function approveRequest(
  deps: RequestDeps,
  id: string,
  actor: Actor,
  policy: DecisionPolicy,
): Promise<DecisionResult> {
  return decide(deps, id, actor, "approve", (r) => mayApprove(policy.access, r, actor, policy.resolveGroup));
}

/** The requester or an approver rejects a pending request. */
export function rejectRequest(
  deps: RequestDeps,
  id: string,
  actor: Actor,
  policy: DecisionPolicy,
): Promise<DecisionResult> {
  return decide(deps, id, actor, "reject", (r) => mayReject(policy.access, r, actor, policy.resolveGroup));
}

/**
 * The CLI's approval (`rm|prune --yes`): an operator who holds the host's certificates could
 * delete with docker itself, so no approver is asked; the request is still decided once, within
 * its expiry, and on record (`cli:<user>`, `via: "cli"`).
 */
export function approveAsOperator(deps: RequestDeps, id: string, operator: string): Promise<DecisionResult> {
  return decide(deps, id, { user: operator, channel: null }, "approve", async () => ({ ok: true }), {
    via: "cli",
    rule: "an operator holding the host's certificates needs no approver",
  });
}

/** Open requests (pending ones past expiry are expired on the way) and the last decided ones. */
export async function requestsOverview(
  deps: RequestDeps,
  opts: { decidedLimit?: number } = {},
): Promise<{ open: DeletionRequest[]; decided: DeletionRequest[] }> {
  await expireDue(deps);
  const [open, decided] = await Promise.all([
    deps.store.listRequests({ statuses: OPEN_STATUSES }),
    deps.store.listRequests({ statuses: CLOSED_STATUSES, limit: opts.decidedLimit ?? 10 }),
  ]);
  return { open, decided };
}

export function notFound(id: string): DecisionResult {
  return {
    ok: false,
    reason: "not-found",
    message: `There is no deletion request ${id}.`,
    hint: "See the open ones with: requests",
    request: null,
  };
}

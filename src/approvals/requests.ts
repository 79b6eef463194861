/**
 * The life of a deletion request over the Store (SPEC §4): opened (pending), then decided once:
 * approved, rejected, or expired after `requests.ttlHours`. Expiry is checked here against the
 * injected clock, never left to the store. Every change is one conditional write on the request's
 * version, so two clicks, a Slack retry and a Lambda retry decide at most once; every step,
 * refusals included, is an audit record.
 */
import { randomInt } from "node:crypto";
import { NothingToDeleteError, StoreError } from "../errors.js";
import type { AuditAction, AuditRecord, DeletionRequest } from "../store/records.js";
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

export type DecisionFailure = RefusalReason | "not-found" | "decided" | "expired";

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
      });
      return request;
    }
  }
  throw new StoreError("could not find a free request id after 5 attempts", { hint: "Try again." });
}

/** Records where the request's Slack parent message is (not a state change). */
export async function attachMessage(
  deps: RequestDeps,
  id: string,
  channel: string,
  messageTs: string,
): Promise<DeletionRequest | null> {
  for (;;) {
    const current = await deps.store.getRequest(id);
    if (!current) return null;
    const next = await writeNext(deps.store, current, { channel, messageTs });
    if (next) return next;
  }
}

export function isExpired(request: DeletionRequest, now: Date): boolean {
  return request.status === "pending" && now.getTime() >= Date.parse(request.expiresAt);
}

/** "approved by U0BOB at 2026-11-29 14:03 UTC". */
export function decisionText(r: DeletionRequest): string {
  const at = r.decidedAt ? ` at ${r.decidedAt.slice(0, 16).replace("T", " ")} UTC` : "";
  switch (r.status) {
    case "pending":
      return "waiting for an approver";
    case "expired":
      return `expired${at}, unapproved`;
    case "rejected":
      return `rejected by ${r.decidedBy ?? "someone"}${at}`;
    case "approved":
    case "executing":
      return `approved by ${r.decidedBy ?? "someone"}${at}, being executed`;
    case "done":
      return `approved by ${r.decidedBy ?? "someone"}${at} and executed`;
  }
}

function alreadyDecided(r: DeletionRequest): DecisionResult {
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

/** Marks a pending request past its expiry as expired (audited). Returns the request as it now is. */
export async function expireIfDue(deps: RequestDeps, request: DeletionRequest): Promise<DeletionRequest> {
  let current: DeletionRequest | null = request;
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

/** Expires every pending request that is past its expiry; returns those it expired. */
export async function expireDue(deps: RequestDeps): Promise<DeletionRequest[]> {
  const pending = await deps.store.listRequests({ statuses: ["pending"] });
  const expired: DeletionRequest[] = [];
  for (const r of pending) {
    if (!isExpired(r, deps.now())) continue;
    const after = await expireIfDue(deps, r);
    if (after.status === "expired" && after.version !== r.version) expired.push(after);
  }
  return expired;
}

type Decision = "approve" | "reject";

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
    if (!current) {
      return {
        ok: false,
        reason: "not-found",
        message: `There is no deletion request ${id}.`,
        hint: "See the open ones with: requests",
        request: null,
      };
    }
    if (current.status !== "pending") return alreadyDecided(current);
    if (isExpired(current, deps.now())) return alreadyDecided(await expireIfDue(deps, current));

    const allowed = await allow(current);
    if (!allowed.ok) {
      await audit(
        deps.store,
        current,
        deps.now(),
        auditSeq(current.version, 900 + randomInt(100)),
        actor.user,
        "refused",
        { tried: decision, reason: allowed.reason, message: allowed.message },
      );
      return { ...allowed, request: current };
    }

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
    deps.store.listRequests({ statuses: ["pending", "approved", "executing"] }),
    deps.store.listRequests({ statuses: ["done", "rejected", "expired"], limit: opts.decidedLimit ?? 10 }),
  ]);
  return { open, decided };
}

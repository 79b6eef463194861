// Unit tests of the deletion-request state machine (src/approvals/requests.ts) over an in-memory
// store with an injected clock: open, approve, reject, expire, decided once, and the audit trail.
import { describe, expect, it } from "vitest";
import { cancelRequest, resumeRequest } from "../../../src/approvals/life.js";
import type { DeletionPlan } from "../../../src/approvals/plan.js";
import type { GroupResolver } from "../../../src/approvals/policy.js";
import {
  approveAsOperator,
  approveRequest,
  expireDue,
  openRequest,
  rejectRequest,
  requestsOverview,
} from "../../../src/approvals/requests.js";
import type { Config } from "../../../src/config/types.js";
import { NothingToDeleteError } from "../../../src/errors.js";
import { MemoryStore } from "../../../src/store/memory.js";
import { manualClock } from "../../support/clock.js";
import { fakeConfig } from "../../support/fake-engine.js";

const HOUR = 3_600_000;
const groups: GroupResolver = async (g) => (g === "S0OPS" ? ["U0CAROL"] : []);

function plan(over: Partial<DeletionPlan> = {}): DeletionPlan {
  return {
    kind: "rm",
    host: "host1",
    command: "rm host1 a b web",
    reason: "retired",
    plan: [
      { name: "a", driver: "local", sizeBytes: 1000, createdAt: "2026-01-01T00:00:00Z", project: null },
      { name: "b", driver: "local", sizeBytes: 2000, createdAt: "2026-01-01T00:00:00Z", project: "shop" },
    ],
    blocked: [{ name: "web", reason: "in-use", detail: "used by web-1 (running)" }],
    leftOut: 0,
    ...over,
  };
}

function setup(access: Partial<Config["access"]> = {}) {
  const clock = manualClock("2026-11-29T12:00:00Z");
  const store = new MemoryStore({ now: clock.ms });
  const deps = { store, now: clock.now };
  const policy = {
    access: fakeConfig({ access: { approvers: ["U0BOB", "S0OPS"], ...access } }).access,
    resolveGroup: groups,
  };
  const open = () =>
    openRequest(deps, { plan: plan(), requester: "U0ALICE", channel: "C0OPS", ttlHours: 24 });
  const as = (user: string) => ({ user, channel: "C0OPS" });
  return { store, clock, deps, policy, open, as };
}

describe("openRequest", () => {
  it("stores a pending request that expires after ttlHours, and audits it", async () => {
    const { store, open } = setup();
    const r = await open();
    expect(r.id).toMatch(/^DR-[0-9A-Z]{8}$/);
    expect(r).toMatchObject({
      status: "pending",
      requester: "U0ALICE",
      createdAt: "2026-11-29T12:00:00.000Z",
      expiresAt: "2026-11-30T12:00:00.000Z",
      version: 1,
      decidedBy: null,
      outcomes: [],
    });
    expect(await store.getRequest(r.id)).toEqual(r);
    const [audit] = await store.listAudit(r.id);
    expect(audit).toMatchObject({ actor: "U0ALICE", action: "requested", at: "2026-11-29T12:00:00.000Z" });
    expect(audit?.detail).toMatchObject({ volumes: ["a", "b"], sizeBytes: 3000, reason: "retired" });
  });

  it("refuses a plan with nothing to delete", async () => {
    const { deps } = setup();
    await expect(
      openRequest(deps, { plan: plan({ plan: [] }), requester: "U0ALICE", channel: null, ttlHours: 24 }),
    ).rejects.toThrow(NothingToDeleteError);
  });
});

describe("approve and reject", () => {
  it("an approver approves; the request is decided once, and a second click says so", async () => {
    const { store, deps, policy, open, as, clock } = setup();
    const r = await open();
    clock.advance(HOUR);
    const ok = await approveRequest(deps, r.id, as("U0BOB"), policy);
    expect(ok).toMatchObject({
      ok: true,
      request: { status: "approved", decidedBy: "U0BOB", decidedAt: "2026-11-29T13:00:00.000Z", version: 2 },
    });
    const again = await approveRequest(deps, r.id, as("U0BOB"), policy);
    expect(again).toMatchObject({ ok: false, reason: "decided" });
    if (!again.ok) expect(again.message).toContain("already decided: approved by U0BOB");
    const rejected = await rejectRequest(deps, r.id, as("U0ALICE"), policy);
    expect(rejected).toMatchObject({ ok: false, reason: "decided" });
    expect((await store.getRequest(r.id))?.status).toBe("approved");
    expect((await store.listAudit(r.id)).map((a) => a.action)).toEqual(["requested", "approved"]);
  });

  it("two approvals at once: exactly one wins", async () => {
    const { store, deps, policy, open, as } = setup();
    const r = await open();
    const results = await Promise.all([
      approveRequest(deps, r.id, as("U0BOB"), policy),
      approveRequest(deps, r.id, as("U0CAROL"), policy),
      approveRequest(deps, r.id, as("U0BOB"), policy),
    ]);
    expect(results.filter((x) => x.ok)).toHaveLength(1);
    expect(results.filter((x) => !x.ok).map((x) => !x.ok && x.reason)).toEqual(["decided", "decided"]);
    expect((await store.getRequest(r.id))?.version).toBe(2);
    expect((await store.listAudit(r.id)).filter((a) => a.action === "approved")).toHaveLength(1);
  });

  it("the requester cannot approve their own request (four eyes): refused, audited, nothing changes", async () => {
    const { store, deps, policy, open, as } = setup({ approvers: ["U0ALICE", "U0BOB"] });
    const r = await open();
    const d = await approveRequest(deps, r.id, as("U0ALICE"), policy);
    expect(d).toMatchObject({ ok: false, reason: "self-approval" });
    expect(await store.getRequest(r.id)).toEqual(r);
    const audit = await store.listAudit(r.id);
    expect(audit.map((a) => a.action)).toEqual(["requested", "refused"]);
    expect(audit[1]).toMatchObject({
      actor: "U0ALICE",
      detail: { tried: "approve", reason: "self-approval" },
    });
  });

  it("with allowSelfApproval, a requester who is an approver may approve", async () => {
    const { deps, policy, open, as } = setup({ approvers: ["U0ALICE"], allowSelfApproval: true });
    const r = await open();
    expect(await approveRequest(deps, r.id, as("U0ALICE"), policy)).toMatchObject({ ok: true });
  });

  it("a non-approver is refused; a member of an approver group is accepted", async () => {
    const { store, deps, policy, open, as } = setup();
    const r = await open();
    expect(await approveRequest(deps, r.id, as("U0EVE"), policy)).toMatchObject({
      ok: false,
      reason: "approver",
    });
    expect((await store.getRequest(r.id))?.status).toBe("pending");
    expect(await approveRequest(deps, r.id, as("U0CAROL"), policy)).toMatchObject({
      ok: true,
      request: { decidedBy: "U0CAROL" },
    });
  });

  it("the requester or an approver rejects; a rejected request cannot be approved", async () => {
    const { store, deps, policy, open, as } = setup();
    const r1 = await open();
    expect(await rejectRequest(deps, r1.id, as("U0EVE"), policy)).toMatchObject({
      ok: false,
      reason: "rejecter",
    });
    expect(await rejectRequest(deps, r1.id, as("U0ALICE"), policy)).toMatchObject({
      ok: true,
      request: { status: "rejected", decidedBy: "U0ALICE" },
    });
    expect(await approveRequest(deps, r1.id, as("U0BOB"), policy)).toMatchObject({
      ok: false,
      reason: "decided",
    });
    const r2 = await open();
    expect(await rejectRequest(deps, r2.id, as("U0BOB"), policy)).toMatchObject({ ok: true });
    expect((await store.listAudit(r2.id)).map((a) => [a.actor, a.action])).toEqual([
      ["U0ALICE", "requested"],
      ["U0BOB", "rejected"],
    ]);
  });

  it("an unknown request says so", async () => {
    const { deps, policy, as } = setup();
    expect(await approveRequest(deps, "DR-00000000", as("U0BOB"), policy)).toMatchObject({
      ok: false,
      reason: "not-found",
      request: null,
    });
  });
});

describe("expiry (checked in code with the injected clock)", () => {
  it("a click after ttlHours expires the request, says so, and nothing can decide it any more", async () => {
    const { store, deps, policy, open, as, clock } = setup();
    const r = await open();
    clock.advance(24 * HOUR - 1);
    const stillOpen = await open();
    clock.advance(1);
    const d = await approveRequest(deps, r.id, as("U0BOB"), policy);
    expect(d).toMatchObject({ ok: false, reason: "expired", request: { status: "expired" } });
    expect(await rejectRequest(deps, r.id, as("U0ALICE"), policy)).toMatchObject({
      ok: false,
      reason: "expired",
    });
    expect((await store.listAudit(r.id)).map((a) => [a.actor, a.action])).toEqual([
      ["U0ALICE", "requested"],
      ["dvol", "expired"],
    ]);
    expect(await approveRequest(deps, stillOpen.id, as("U0BOB"), policy)).toMatchObject({ ok: true });
  });

  it("expireDue expires every pending request past its time, once", async () => {
    const { deps, open, clock } = setup();
    const a = await open();
    clock.advance(HOUR);
    const b = await open();
    clock.advance(23 * HOUR);
    expect((await expireDue(deps)).map((r) => r.id)).toEqual([a.id]);
    expect(await expireDue(deps)).toEqual([]);
    clock.advance(HOUR);
    expect((await expireDue(deps)).map((r) => r.id)).toEqual([b.id]);
  });

  it("requestsOverview lists open requests and the last closed, expiring and lapsing on the way", async () => {
    const { deps, policy, open, as, clock } = setup();
    const a = await open();
    const b = await open();
    await approveRequest(deps, b.id, as("U0BOB"), policy);
    clock.advance(HOUR);
    const c = await open();
    clock.advance(23 * HOUR);
    const o = await requestsOverview(deps);
    // a expired after its 24 h; b, approved 24 h ago and never executed, has lapsed.
    expect(o.open.map((r) => [r.id, r.status])).toEqual([[c.id, "pending"]]);
    expect(o.decided.map((r) => [r.id, r.status]).sort()).toEqual(
      [
        [a.id, "expired"],
        [b.id, "lapsed"],
      ].sort(),
    );
  });
});

describe("approveAsOperator (the CLI's --yes)", () => {
  it("approves without an approver, once, on record as the CLI user", async () => {
    const { store, deps, clock } = setup();
    const r = await openRequest(deps, { plan: plan(), requester: "cli:alice", channel: null, ttlHours: 1 });
    expect(await approveAsOperator(deps, r.id, "cli:alice")).toMatchObject({
      ok: true,
      request: { status: "approved", decidedBy: "cli:alice" },
    });
    expect(await approveAsOperator(deps, r.id, "cli:alice")).toMatchObject({ ok: false, reason: "decided" });
    const audit = await store.listAudit(r.id);
    expect(audit[1]).toMatchObject({ actor: "cli:alice", action: "approved", detail: { via: "cli" } });
    const late = await openRequest(deps, {
      plan: plan(),
      requester: "cli:alice",
      channel: null,
      ttlHours: 1,
    });
    clock.advance(HOUR);
    expect(await approveAsOperator(deps, late.id, "cli:alice")).toMatchObject({
      ok: false,
      reason: "expired",
    });
  });
});

describe("resume and cancel: who may, and from where", () => {
  async function pausedRequest() {
    const t = setup();
    const r = await t.open();
    await approveRequest(t.deps, r.id, t.as("U0BOB"), t.policy);
    const cur = await t.store.getRequest(r.id);
    if (!cur) throw new Error("gone");
    await t.store.updateRequest(
      {
        ...cur,
        status: "paused",
        version: cur.version + 1,
        paused: { kind: "unreachable", reason: "host1: connection refused", at: "2026-11-29T12:10:00Z" },
      },
      cur.version,
    );
    return { ...t, id: r.id };
  }

  it("an approver (also through a group) resumes a paused request; the requester who is not one is refused", async () => {
    const { deps, policy, as, id, store } = await pausedRequest();
    const refused = await resumeRequest(deps, id, as("U0ALICE"), policy);
    expect(refused).toMatchObject({ ok: false, reason: "resumer" });
    expect(refused.ok === false && refused.message).toContain("Only an approver may resume");
    expect(await store.getRequest(id)).toMatchObject({ status: "paused" });
    const ok = await resumeRequest(deps, id, as("U0CAROL"), policy);
    expect(ok).toMatchObject({ ok: true, request: { status: "approved" } });
    const trail = await store.listAudit(id);
    expect(trail.map((a) => [a.actor, a.action])).toEqual(
      expect.arrayContaining([
        ["U0ALICE", "refused"],
        ["U0CAROL", "resumed"],
      ]),
    );
  });

  it("the requester or an approver cancels; anybody else is refused and nothing changes", async () => {
    const { deps, policy, as, id, store } = await pausedRequest();
    expect(await cancelRequest(deps, id, as("U0MALLORY"), policy)).toMatchObject({
      ok: false,
      reason: "canceller",
    });
    expect(await store.getRequest(id)).toMatchObject({ status: "paused" });
    expect(await cancelRequest(deps, id, as("U0ALICE"), policy)).toMatchObject({
      ok: true,
      request: { status: "cancelled", closedBy: "U0ALICE" },
    });
  });

  it("a resume or cancel from another channel than the request's is refused, whatever access.channels allows", async () => {
    const { deps, policy, id, store } = await pausedRequest();
    const elsewhere = { user: "U0BOB", channel: "C0OTHER" };
    const r = await resumeRequest(deps, id, elsewhere, policy);
    expect(r.ok).toBe(false);
    expect(await cancelRequest(deps, id, elsewhere, policy)).toMatchObject({ ok: false });
    expect(await store.getRequest(id)).toMatchObject({ status: "paused" });
  });

  it("nothing to resume in a pending request; a pending request can be cancelled by its requester", async () => {
    const { deps, policy, open, as } = setup();
    const r = await open();
    const res = await resumeRequest(deps, r.id, as("U0BOB"), policy);
    expect(res).toMatchObject({ ok: false, reason: "state" });
    expect(res.ok === false && res.message).toContain("waiting for an approver");
    expect(await cancelRequest(deps, r.id, as("U0ALICE"), policy)).toMatchObject({ ok: true });
  });
});

// Unit tests of execution (src/approvals/execute.ts) on a fake engine and an in-memory store:
// re-checks, 409 as a skip, bounded concurrency, at most one DELETE per volume with concurrent
// executions, replays, and a crashed executor taken over after its lease.
import { describe, expect, it, vi } from "vitest";
import { type ExecuteDeps, executeRequest } from "../../../src/approvals/execute.js";
import { changeAsOperator } from "../../../src/approvals/life.js";
import { buildPlan } from "../../../src/approvals/plan.js";
import { approveAsOperator, openRequest } from "../../../src/approvals/requests.js";
import { parseCommand } from "../../../src/commands/parse.js";
import type { Config } from "../../../src/config/types.js";
import { HostError } from "../../../src/errors.js";
import { MemoryStore } from "../../../src/store/memory.js";
import { manualClock } from "../../support/clock.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";

const START = "2026-11-29T12:00:00Z";

const names = (n: number, prefix = "v") =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, "0")}`);

/**
 * Runs `start()` to its end on vitest's fake timers, so that an engine answer a test delays with
 * setTimeout (and the ledger's flush timer) takes no real time. The clock of the code under test
 * is the injected one, which these timers do not move.
 */
async function onFakeTimers<T>(start: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  try {
    const run = start();
    run.catch(() => {});
    await vi.runAllTimersAsync();
    return await run;
  } finally {
    vi.useRealTimers();
  }
}

async function approved(fake: FakeEngine, volumes: string[], config: Config = fakeConfig()) {
  const clock = manualClock(START);
  const store = new MemoryStore({ now: clock.ms });
  const cmd = parseCommand(["rm", "host1", ...volumes]);
  if (cmd.name !== "rm") throw new Error("not rm");
  const plan = await buildPlan(cmd, { config, connect: fake.factory(), now: clock.now });
  const r = await openRequest(
    { store, now: clock.now },
    { plan, requester: "cli:t", channel: null, ttlHours: 24 },
  );
  await approveAsOperator({ store, now: clock.now }, r.id, "cli:t");
  fake.calls.length = 0;
  const deps = (over: Partial<ExecuteDeps> = {}): ExecuteDeps => ({
    store,
    config,
    connect: fake.factory(),
    now: clock.now,
    executor: "test",
    ...over,
  });
  return { store, clock, id: r.id, plan, deps };
}

describe("executeRequest", () => {
  it("deletes the planned volumes that are still safe, and records each outcome and the end", async () => {
    const fake = new FakeEngine();
    for (const n of ["va", "vb", "vc", "vd", "ve"]) fake.addVolume({ name: n, sizeBytes: 100 });
    const { deps, id, store } = await approved(fake, ["va", "vb", "vc", "vd", "ve"]);
    // Between plan and execution: c gets used, d is re-created under the same name, e is deleted.
    fake.addContainer({ name: "late", state: "running", volumes: ["vc"] });
    fake.addVolume({ name: "vd", createdAt: "2026-06-01T00:00:00Z" });
    fake.volumes.delete("ve");

    const res = await executeRequest(deps(), id);
    expect(res.status).toBe("done");
    if (res.status !== "done") return;
    expect(res.replay).toBe(false);
    expect(res.request.status).toBe("done");
    expect(res.request.leaseUntil).toBeNull();
    const byName = Object.fromEntries(res.request.outcomes.map((o) => [o.name, o]));
    expect(byName.va).toEqual({ name: "va", result: "deleted", freedBytes: 100 });
    expect(byName.vb).toEqual({ name: "vb", result: "deleted", freedBytes: 100 });
    expect(byName.vc).toMatchObject({ result: "skipped", reason: "in use: used by late (running)" });
    expect(byName.vd).toMatchObject({ result: "skipped" });
    expect(byName.vd?.result === "skipped" && byName.vd.reason).toContain("re-created since");
    expect(byName.ve).toMatchObject({
      result: "skipped",
      reason: "no longer exists (deleted outside this request)",
    });
    expect([...fake.volumes.keys()].sort()).toEqual(["vc", "vd"]);
    expect(fake.deletes()).toBe(2);

    const actions = (await store.listAudit(id)).map((a) => a.action);
    expect(actions.slice(0, 3)).toEqual(["requested", "approved", "executing"]);
    expect(actions.filter((a) => a === "volume")).toHaveLength(5);
    expect(actions.at(-1)).toBe("executed");
    const executed = (await store.listAudit(id)).at(-1);
    expect(executed?.detail).toMatchObject({ deleted: 2, skipped: 3, failed: 0, freedBytes: 200 });
  });

  it("takes a 409 from the engine (a container came between check and delete) as a skip", async () => {
    const fake = new FakeEngine().addVolume({ name: "va" });
    const { deps, id } = await approved(fake, ["va"]);
    fake.beforeAnswer = (req) => {
      if (req.method === "DELETE") fake.addContainer({ name: "sneaky", state: "created", volumes: ["va"] });
    };
    const res = await executeRequest(deps(), id);
    expect(res.status === "done" && res.request.outcomes).toEqual([
      {
        name: "va",
        result: "skipped",
        reason: "in use: engine error 409: remove va: volume is in use - [c0]",
      },
    ]);
  });

  it("re-checks protect rules at execution; an engine error is a failure that pauses the request", async () => {
    const fake = new FakeEngine().addVolume({ name: "va" }).addVolume({ name: "vb" });
    const { deps, id } = await approved(fake, ["va", "vb"]);
    fake.addVolume({ name: "va", labels: { keep: "yes" } });
    fake.beforeAnswer = (req) => {
      if (req.method === "DELETE") throw new Error("boom");
    };
    const config = fakeConfig({ protect: { labels: [{ key: "keep", value: undefined }] } });
    const res = await executeRequest(deps({ config }), id);
    if (res.status !== "paused") throw new Error(res.status);
    expect(res.request).toMatchObject({ status: "paused", paused: { kind: "failure" } });
    expect(res.request.outcomes.find((o) => o.name === "va")).toMatchObject({
      result: "skipped",
      reason: "protected: has protected label keep",
    });
    expect(res.request.outcomes.find((o) => o.name === "vb")).toMatchObject({
      result: "failed",
      error: "unexpected error: boom",
    });
  });

  it("keeps at most `concurrency` volumes in flight", async () => {
    const fake = new FakeEngine();
    const vols = names(40);
    for (const n of vols) fake.addVolume({ name: n });
    const { deps, id } = await approved(fake, vols);
    let inFlight = 0;
    let most = 0;
    fake.beforeAnswer = async (req) => {
      if (req.method !== "DELETE") return;
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
    };
    const res = await onFakeTimers(() => executeRequest(deps({ concurrency: 4 }), id));
    expect(res.status).toBe("done");
    expect(most).toBe(4);
    expect(fake.deletes()).toBe(40);
  });

  it("two executions at once: one executes, the other is told it is busy; one DELETE per volume", async () => {
    const fake = new FakeEngine();
    const vols = names(20);
    for (const n of vols) fake.addVolume({ name: n });
    const { deps, id } = await approved(fake, vols);
    fake.beforeAnswer = () => new Promise((r) => setTimeout(r, 1));
    const [x, y] = await onFakeTimers(() =>
      Promise.all([executeRequest(deps(), id), executeRequest(deps(), id)]),
    );
    expect([x.status, y.status].sort()).toEqual(["busy", "done"]);
    for (const n of vols) expect(fake.deletes(n)).toBe(1);
  });

  it("a replay after completion sends nothing and answers with the recorded outcomes", async () => {
    const fake = new FakeEngine().addVolume({ name: "va" });
    const { deps, id } = await approved(fake, ["va"]);
    const first = await executeRequest(deps(), id);
    fake.calls.length = 0;
    const again = await executeRequest(deps(), id);
    expect(again).toMatchObject({ status: "done", replay: true });
    expect(again.status === "done" && again.request).toEqual(first.status === "done" && first.request);
    expect(fake.calls).toEqual([]);
  });

  it("does not execute a request that is not approved", async () => {
    const fake = new FakeEngine().addVolume({ name: "va" });
    const clock = manualClock(START);
    const store = new MemoryStore({ now: clock.ms });
    const cmd = parseCommand(["rm", "host1", "va"]);
    if (cmd.name !== "rm") throw new Error("not rm");
    const plan = await buildPlan(cmd, { config: fakeConfig(), connect: fake.factory(), now: clock.now });
    const r = await openRequest(
      { store, now: clock.now },
      { plan, requester: "U0A", channel: null, ttlHours: 1 },
    );
    const deps = { store, config: fakeConfig(), connect: fake.factory(), now: clock.now, executor: "t" };
    expect(await executeRequest(deps, r.id)).toMatchObject({ status: "not-approved" });
    expect(await executeRequest(deps, "DR-NOPE0000")).toEqual({ status: "not-found", id: "DR-NOPE0000" });
    expect(fake.deletes()).toBe(0);
  });

  it("a crash mid-way, then a retry: busy while the lease holds, then takes over and reports all", async () => {
    const fake = new FakeEngine();
    const vols = names(12);
    for (const n of vols) fake.addVolume({ name: n, sizeBytes: 10 });
    const { deps, id, clock, store } = await approved(fake, vols);
    const crash = new Error("simulated crash");
    await expect(
      executeRequest(
        deps({
          concurrency: 2,
          leaseMs: 60_000,
          afterDelete: (_n, count) => {
            if (count === 5) throw crash;
          },
        }),
        id,
      ),
    ).rejects.toBe(crash);
    const mid = await store.getRequest(id);
    expect(mid?.status).toBe("executing");
    const recorded = mid?.outcomes.length ?? 0;
    expect(recorded).toBeLessThan(5);
    const deletedBeforeRetry = fake.deletes();
    expect(deletedBeforeRetry).toBeGreaterThanOrEqual(5);

    expect(await executeRequest(deps(), id)).toMatchObject({ status: "busy" });
    expect(fake.deletes()).toBe(deletedBeforeRetry);

    clock.advance(60_001);
    const res = await executeRequest(deps(), id);
    if (res.status !== "done") throw new Error(res.status);
    expect(res.request.outcomes).toHaveLength(12);
    expect(res.request.outcomes.every((o) => o.result === "deleted" && o.freedBytes === 10)).toBe(true);
    const noted = res.request.outcomes.filter((o) => o.result === "deleted" && o.note);
    expect(noted.length).toBe(deletedBeforeRetry - recorded);
    for (const n of vols) expect(fake.deletes(n)).toBe(1);
    expect(fake.volumes.size).toBe(0);
    const executing = (await store.listAudit(id)).filter((a) => a.action === "executing");
    expect(executing.map((a) => a.detail.takeover)).toEqual([false, true]);
  });

  it("a host that cannot be reached at the start: nothing sent, the request paused until resumed", async () => {
    const fake = new FakeEngine().addVolume({ name: "va" }).addVolume({ name: "vb" });
    const { deps, id, store, clock } = await approved(fake, ["va", "vb"]);
    const down = deps({
      connect: async () => {
        throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      },
    });
    const res = await executeRequest(down, id);
    expect(res.status).toBe("paused");
    expect(await store.getRequest(id)).toMatchObject({
      status: "paused",
      executor: null,
      leaseUntil: null,
      outcomes: [],
      paused: { kind: "unreachable" },
    });
    expect(fake.deletes()).toBe(0);
    // A paused request is not executed by a stray retry: only a resume sends it on.
    expect((await executeRequest(deps(), id)).status).toBe("not-approved");
    expect(fake.deletes()).toBe(0);
    // Meanwhile someone deletes vb by hand: the resumed execution re-checks and skips it.
    fake.volumes.delete("vb");
    const resumed = await changeAsOperator({ store, now: clock.now }, id, "cli:t", "resume");
    expect(resumed.ok).toBe(true);
    const done = await executeRequest(deps(), id);
    if (done.status !== "done") throw new Error(done.status);
    expect([...done.request.outcomes].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: "va", result: "deleted", freedBytes: 1000 },
      { name: "vb", result: "skipped", reason: "no longer exists (deleted outside this request)" },
    ]);
  });

  it("renews its lease before each DELETE; once another executor took over, it sends none", async () => {
    const fake = new FakeEngine();
    const vols = names(6);
    for (const n of vols) fake.addVolume({ name: n });
    const { deps, id, store, clock } = await approved(fake, vols);
    let stolen = false;
    fake.beforeAnswer = async (req) => {
      if (req.method === "DELETE" && !stolen) {
        stolen = true;
        // This executor stalls past its lease, and a retry takes the request over meanwhile.
        clock.advance(2_000);
        const r = await store.getRequest(id);
        if (r) await store.updateRequest({ ...r, executor: "other", version: r.version + 1 }, r.version);
      }
    };
    const res = await executeRequest(deps({ concurrency: 1, leaseMs: 1_000 }), id);
    expect(res.status).toBe("lost");
    expect(fake.deletes()).toBe(1);
  });
});

describe("executeRequest: every way an execution stops ends paused, handed over or lapsed", () => {
  it("a stop asked for (a signal) starts no new volume, records those in flight and pauses", async () => {
    const fake = new FakeEngine();
    const vols = names(10);
    for (const n of vols) fake.addVolume({ name: n });
    const { deps, id, store, clock } = await approved(fake, vols);
    let asked = false;
    fake.beforeAnswer = (req) => {
      if (req.method === "DELETE" && fake.deletes() >= 2) asked = true;
    };
    const stopRequested = () =>
      asked ? { kind: "signal" as const, reason: "the dvol process got SIGINT" } : null;
    const res = await executeRequest(deps({ concurrency: 1, stopRequested }), id);
    if (res.status !== "paused") throw new Error(res.status);
    expect(res.request.paused).toMatchObject({ kind: "signal", reason: "the dvol process got SIGINT" });
    const deletedNow = fake.deletes();
    expect(deletedNow).toBeGreaterThan(0);
    expect(deletedNow).toBeLessThan(10);
    // Every DELETE sent has its outcome on record.
    expect(res.request.outcomes.filter((o) => o.result === "deleted")).toHaveLength(deletedNow);
    expect((await store.listAudit(id)).map((a) => a.action)).toContain("paused");

    await changeAsOperator({ store, now: clock.now }, id, "cli:t", "resume");
    const done = await executeRequest(deps(), id);
    if (done.status !== "done") throw new Error(done.status);
    expect(done.request.outcomes.filter((o) => o.result === "deleted")).toHaveLength(10);
    for (const n of vols) expect(fake.deletes(n)).toBe(1);
  });

  it("a stop with handOver leaves the request executing with no executor; the next run continues it", async () => {
    const fake = new FakeEngine();
    const vols = names(8);
    for (const n of vols) fake.addVolume({ name: n });
    const { deps, id, store } = await approved(fake, vols);
    let calls = 0;
    const stopRequested = () =>
      ++calls > 3 ? { kind: "deadline" as const, reason: "near the time limit", handOver: true } : null;
    const first = await executeRequest(deps({ concurrency: 1, stopRequested }), id);
    if (first.status !== "handed-over") throw new Error(first.status);
    expect(first.request).toMatchObject({ status: "executing", executor: null, leaseUntil: null });
    expect(first.request.outcomes.length).toBe(3);
    expect((await store.listAudit(id)).map((a) => a.action)).toContain("handover");
    const second = await executeRequest(deps(), id);
    if (second.status !== "done") throw new Error(second.status);
    expect(second.request.outcomes.map((o) => o.result)).toEqual(Array(8).fill("deleted"));
    for (const n of vols) expect(fake.deletes(n)).toBe(1);
  });

  it("a host lost mid-way pauses with the volume in flight unrecorded; the resume finds it gone and records it deleted", async () => {
    const fake = new FakeEngine();
    const vols = names(5);
    for (const n of vols) fake.addVolume({ name: n });
    const { deps, id, store, clock } = await approved(fake, vols);
    let down = false;
    fake.beforeAnswer = (req) => {
      if (down) throw new HostError("host1", "refused", "connection refused");
      // The third DELETE reaches the engine, and the answer is lost with the host.
      if (req.method === "DELETE" && req.path.endsWith("/v002")) {
        fake.volumes.delete("v002");
        down = true;
        throw new HostError("host1", "refused", "connection refused");
      }
    };
    const res = await executeRequest(deps({ concurrency: 1 }), id);
    if (res.status !== "paused") throw new Error(res.status);
    expect(res.request.paused).toMatchObject({ kind: "unreachable", unrecorded: true });
    expect(res.request.outcomes.map((o) => o.name)).toEqual(["v000", "v001"]);
    down = false;
    await changeAsOperator({ store, now: clock.now }, id, "cli:t", "resume");
    const done = await executeRequest(deps(), id);
    if (done.status !== "done") throw new Error(done.status);
    const byName = Object.fromEntries(done.request.outcomes.map((o) => [o.name, o.result]));
    expect(byName).toEqual({
      v000: "deleted",
      v001: "deleted",
      v002: "deleted",
      v003: "deleted",
      v004: "deleted",
    });
    for (const n of vols) expect(fake.deletes(n)).toBe(1);
  });

  it("an approved request not finished within ttlHours of its approval lapses and sends nothing", async () => {
    const fake = new FakeEngine().addVolume({ name: "va" });
    const { deps, id, store, clock } = await approved(fake, ["va"]);
    clock.advance(25 * 3_600_000);
    const res = await executeRequest(deps(), id);
    expect(res.status).toBe("lapsed");
    expect(fake.deletes()).toBe(0);
    expect(await store.getRequest(id)).toMatchObject({ status: "lapsed" });
    const again = await changeAsOperator({ store, now: clock.now }, id, "cli:t", "resume");
    expect(again).toMatchObject({ ok: false, reason: "lapsed" });
    expect((await executeRequest(deps(), id)).status).toBe("not-approved");
    expect(fake.deletes()).toBe(0);
  });

  it("a cancelled paused request keeps what was deleted, sends nothing more, and says who cancelled", async () => {
    const fake = new FakeEngine().addVolume({ name: "va" }).addVolume({ name: "vb" });
    const { deps, id, store, clock } = await approved(fake, ["va", "vb"]);
    let n = 0;
    const res = await executeRequest(
      deps({ concurrency: 1, stopRequested: () => (++n > 1 ? { kind: "signal", reason: "SIGTERM" } : null) }),
      id,
    );
    expect(res.status).toBe("paused");
    const c = await changeAsOperator({ store, now: clock.now }, id, "cli:bob", "cancel");
    expect(c).toMatchObject({ ok: true, request: { status: "cancelled", closedBy: "cli:bob" } });
    expect(c.request?.outcomes).toEqual([{ name: "va", result: "deleted", freedBytes: 1000 }]);
    expect((await executeRequest(deps(), id)).status).toBe("not-approved");
    expect(fake.deletes("vb")).toBe(0);
    const cancelled = (await store.listAudit(id)).find((a) => a.action === "cancelled");
    expect(cancelled).toMatchObject({
      actor: "cli:bob",
      detail: { done: expect.stringContaining("1 of 2") },
    });
    expect(await changeAsOperator({ store, now: clock.now }, id, "cli:bob", "resume")).toMatchObject({
      ok: false,
      reason: "state",
      message: expect.stringContaining("cancelled by cli:bob"),
    });
  });
});

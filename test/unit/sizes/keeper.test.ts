// Unit tests of the keeper of measurements (src/sizes/keeper.ts) on the fake engine: one
// measurement per host, coalesced in a process and across processes (a store claim), an engine
// that answers "a disk usage operation is already running", a failure, a stop.
import { describe, expect, it } from "vitest";
import type { HostConfig } from "../../../src/config/types.js";
import type { EngineRequest } from "../../../src/docker/connection.js";
import { HostError } from "../../../src/errors.js";
import { type MeasureDeps, SizeKeeper, sizesClaimKey } from "../../../src/sizes/keeper.js";
import { createMemoryState, MemoryStore } from "../../../src/store/memory.js";
import { manualClock } from "../../support/clock.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";

const host = fakeConfig().hosts[0] as HostConfig;
const df = (e: FakeEngine) => e.calls.filter((c) => c.includes("/system/df")).length;
/** Waits as a real wait would, but for one turn of the event loop only. */
const tick: NonNullable<MeasureDeps["sleep"]> = () => new Promise((r) => setImmediate(r));

function engine(): FakeEngine {
  return new FakeEngine()
    .addVolume({ name: "a", sizeBytes: 1_000, createdAt: "2026-11-01T00:00:00Z" })
    .addVolume({ name: "b", sizeBytes: 2_000, createdAt: "2026-11-02T00:00:00Z" });
}

/** Holds every /system/df until `release()`. */
function held(e: FakeEngine) {
  let release = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  e.beforeAnswer = async (req) => {
    if (req.path.endsWith("/system/df")) await gate;
  };
  return () => release();
}

function depsOf(e: FakeEngine, store: MemoryStore | null, clock = manualClock("2026-12-07T03:00:00Z")) {
  return {
    connect: e.factory(),
    store,
    now: clock.now,
    timeoutMs: 600_000,
    sleep: tick,
  } satisfies MeasureDeps;
}

describe("SizeKeeper", () => {
  it("measures a host once for every command of the process that asks meanwhile, and remembers it", async () => {
    const e = engine();
    const release = held(e);
    const store = new MemoryStore();
    const keeper = new SizeKeeper();
    const first = keeper.measure(host, depsOf(e, store));
    const second = keeper.measure(host, depsOf(e, store));
    expect(second).toBe(first);
    release();
    const outcome = await first.done;
    expect(outcome).toMatchObject({ ok: true });
    expect(df(e)).toBe(1);
    expect((await store.getSizes("host1", "measured"))?.volumes).toEqual([
      { name: "a", createdAt: "2026-11-01T00:00:00Z", sizeBytes: 1_000 },
      { name: "b", createdAt: "2026-11-02T00:00:00Z", sizeBytes: 2_000 },
    ]);
  });

  it("measures once across processes: the one holding the store's claim asks the engine, the other takes its snapshot", async () => {
    const e = engine();
    const release = held(e);
    const state = createMemoryState();
    const [one, two] = [new SizeKeeper(), new SizeKeeper()];
    const a = one.measure(host, depsOf(e, new MemoryStore({ state })));
    const b = two.measure(host, depsOf(e, new MemoryStore({ state })));
    // Both have started; the second watches the store while the first's call is held.
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(df(e)).toBe(1);
    release();
    const [ra, rb] = await Promise.all([a.done, b.done]);
    if (!ra.ok || !rb.ok) throw new Error(`not measured: ${JSON.stringify([ra, rb])}`);
    expect(rb.snapshot).toEqual(ra.snapshot);
    expect(df(e)).toBe(1);
    expect(one.engineCalls + two.engineCalls).toBe(1);
    // The claim is given up once the measurement is kept.
    expect(
      await new MemoryStore({ state }).claim(
        sizesClaimKey("host1"),
        "2026-12-07T04:00:00Z",
        "2026-12-07T03:00:00Z",
      ),
    ).toBe(true);
  });

  it("takes the engine's 'a disk usage operation is already running' as a measurement under way: it asks again, and it is no failure", async () => {
    const e = engine();
    let refusals = 2;
    e.beforeAnswer = (req) => {
      if (req.path.endsWith("/system/df") && refusals-- > 0) {
        throw new HostError("host1", "api", "engine error 409: a disk usage operation is already running", {
          statusCode: 409,
        });
      }
    };
    const outcome = await new SizeKeeper().measure(host, depsOf(e, new MemoryStore())).done;
    expect(outcome).toMatchObject({ ok: true, snapshot: { host: "host1" } });
    expect(df(e)).toBe(3);
  });

  it("says why when the engine fails, and gives the claim up", async () => {
    const e = engine();
    e.beforeAnswer = (req) => {
      if (req.path.endsWith("/system/df")) {
        throw new HostError("host1", "api", "engine error 500: disk is on fire", { statusCode: 500 });
      }
    };
    const store = new MemoryStore();
    const outcome = await new SizeKeeper().measure(host, depsOf(e, store)).done;
    expect(outcome).toEqual({ ok: false, error: expect.stringContaining("disk is on fire") });
    expect(await store.getSizes("host1", "measured")).toBeNull();
    expect(await store.claim(sizesClaimKey("host1"), "2026-12-07T04:00:00Z", "2026-12-07T03:00:00Z")).toBe(
      true,
    );
  });

  it("settle waits for a measurement up to its time, then stops it: the engine call is cut and the claim given up", async () => {
    const e = engine();
    held(e);
    let closed = 0;
    const factory = e.factory();
    const store = new MemoryStore();
    const keeper = new SizeKeeper();
    const m = keeper.measure(host, {
      ...depsOf(e, store),
      connect: async (h) => {
        const conn = await factory(h);
        return {
          ...conn,
          // A real connection's close destroys its sockets: the call in flight fails.
          call: <T>(req: EngineRequest) =>
            new Promise<T>((resolve, reject) => {
              conn.call<T>(req).then(resolve, reject);
              closeHooks.push(() => reject(new Error("socket hang up")));
            }),
          close: () => {
            closed++;
            for (const f of closeHooks.splice(0)) f();
          },
        };
      },
    });
    const closeHooks: (() => void)[] = [];
    await keeper.settle(10);
    expect(await m.done).toEqual({ ok: false, error: "the measurement was stopped" });
    expect(closed).toBeGreaterThan(0);
    expect(keeper.inFlight()).toEqual([]);
    expect(await store.claim(sizesClaimKey("host1"), "2026-12-07T04:00:00Z", "2026-12-07T03:00:00Z")).toBe(
      true,
    );
  });
});

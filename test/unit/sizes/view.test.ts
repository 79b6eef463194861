// Unit tests of what `ls` shows of sizes (src/sizes/view.ts through runLs and its text) on the
// fake engine: never measured, remembered with their age, fresh, a volume made again, and an
// engine that keeps answering "a disk usage operation is already running". Fake timers stand for
// the waits (a measurement held by the engine).
import { afterEach, describe, expect, it, vi } from "vitest";
import { type LsResult, runLs } from "../../../src/commands/ls/run.js";
import { renderLsText } from "../../../src/commands/ls/text.js";
import { parseCommand } from "../../../src/commands/parse.js";
import type { Config } from "../../../src/config/types.js";
import { HostError } from "../../../src/errors.js";
import { SizeKeeper } from "../../../src/sizes/keeper.js";
import type { SizesSource } from "../../../src/sizes/view.js";
import { MemoryStore } from "../../../src/store/memory.js";
import { manualClock } from "../../support/clock.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";

const T0 = "2026-12-07T08:00:00.000Z";
/** A host deadline of 2 s: without remembered sizes, ls waits 1 s for a measurement. */
const config: Config = {
  ...fakeConfig(),
  hosts: fakeConfig().hosts.map((h) => ({ ...h, timeoutMs: 2_000 })),
};
const ls = (...opts: string[]) =>
  parseCommand(["ls", "host1", ...opts]) as Extract<ReturnType<typeof parseCommand>, { name: "ls" }>;

function engine(): FakeEngine {
  return new FakeEngine()
    .addVolume({ name: "a", sizeBytes: 5_200_000, createdAt: "2026-11-01T00:00:00Z" })
    .addVolume({ name: "b", sizeBytes: 2_000, createdAt: "2026-11-02T00:00:00Z" })
    .addContainer({ name: "web", state: "running", volumes: ["a"] });
}

/** The engine never finishes measuring. */
function slow(e: FakeEngine): FakeEngine {
  e.beforeAnswer = (req) => (req.path.endsWith("/system/df") ? new Promise(() => {}) : undefined);
  return e;
}

function source(store: MemoryStore | null, fresh = false): SizesSource {
  return { keeper: new SizeKeeper(), store: async () => store, policy: fresh ? { fresh: true } : "answer" };
}

async function run(e: FakeEngine, src: SizesSource, at = T0, opts: string[] = []): Promise<LsResult> {
  const clock = manualClock(at);
  const pending = runLs(ls(...opts), { config, connect: e.factory(), now: clock.now }, src);
  let done = false;
  pending.finally(() => {
    done = true;
  });
  // The waits are timers made along the way: time goes on in steps until ls has answered, and the
  // event loop turns between steps (the store's compression runs on libuv's threads).
  for (let i = 0; i < 10_000 && !done && vi.isFakeTimers(); i++) {
    await vi.advanceTimersByTimeAsync(50);
    await new Promise((r) => setImmediate(r));
  }
  const r = await pending;
  await src.keeper.settle(0);
  return r;
}

const host = (r: LsResult) => {
  const h = r.hosts[0];
  if (!h?.ok) throw new Error(`host failed: ${JSON.stringify(h)}`);
  return h;
};

afterEach(() => {
  vi.useRealTimers();
});

describe("sizes in ls", () => {
  it("never measured and slow: every volume listed, sizes null and null, the host not failed and the reason shown", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const r = await run(slow(engine()), source(new MemoryStore()));
    const h = host(r);
    expect(h.volumes.map((v) => [v.name, v.sizeBytes, v.sizeMeasuredAt, v.refCount, v.dangling])).toEqual([
      ["a", null, null, 1, false],
      ["b", null, null, 0, true],
    ]);
    expect(h.sizes).toEqual({
      measuredAt: null,
      fresh: false,
      late: "measuring sizes takes longer than 1 s; --fresh waits for it (up to 600 s)",
    });
    const text = renderLsText(r);
    expect(text).toMatch(/^a\s+local\s+not yet measured\s+1\s/m);
    expect(text).toContain("size not yet measured (measuring sizes takes longer than 1 s");
  });

  it("remembered and slow: the remembered sizes with when they were measured, and '· 3 h ago' in text", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const store = new MemoryStore();
    await store.putSizes("measured", {
      host: "host1",
      measuredAt: "2026-12-07T05:00:00.000Z",
      volumes: [
        { name: "a", createdAt: "2026-11-01T00:00:00Z", sizeBytes: 4_000_000 },
        // b was made again since: its old size is not its own.
        { name: "b", createdAt: "2026-10-01T00:00:00Z", sizeBytes: 9_999 },
      ],
    });
    const r = await run(slow(engine()), source(store));
    const h = host(r);
    expect(h.volumes.map((v) => [v.name, v.sizeBytes, v.sizeMeasuredAt])).toEqual([
      ["a", 4_000_000, "2026-12-07T05:00:00.000Z"],
      ["b", null, null],
    ]);
    expect(h.sizes).toMatchObject({ measuredAt: "2026-12-07T05:00:00.000Z", fresh: false });
    const text = renderLsText(r);
    expect(text).toMatch(/^a\s+local\s+4\.0 MB · 3 h ago\s+1\s/m);
    expect(text).toMatch(/^b\s+local\s+not yet measured\s+0\s/m);
    expect(text).toContain("sizes as measured 3 h ago (measuring sizes takes longer than 0.5 s");
  });

  it("measured now: the engine's sizes, fresh, kept in the store; within a minute they are used again without a measurement", async () => {
    const e = engine();
    const store = new MemoryStore();
    const r = await run(e, source(store));
    const h = host(r);
    expect(h.volumes.map((v) => [v.name, v.sizeBytes, v.sizeMeasuredAt])).toEqual([
      ["a", 5_200_000, T0],
      ["b", 2_000, T0],
    ]);
    expect(h.sizes).toEqual({ measuredAt: T0, fresh: true, late: null });
    expect(renderLsText(r)).toMatch(/^a\s+local\s+5\.2 MB\s+1\s/m);
    const asked = e.calls.filter((c) => c.includes("/system/df")).length;
    const again = await run(e, source(store), "2026-12-07T08:00:30.000Z");
    expect(host(again).sizes).toEqual({ measuredAt: T0, fresh: true, late: null });
    expect(e.calls.filter((c) => c.includes("/system/df")).length).toBe(asked);
    // --fresh measures anew.
    await run(e, source(store, true), "2026-12-07T08:00:40.000Z", ["--fresh"]);
    expect(e.calls.filter((c) => c.includes("/system/df")).length).toBe(asked + 1);
  });

  it("an engine that keeps answering 'a disk usage operation is already running' is a late measurement, not a failed host", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const e = engine();
    e.beforeAnswer = (req) => {
      if (req.path.endsWith("/system/df")) {
        throw new HostError("host1", "api", "engine error 409: a disk usage operation is already running", {
          statusCode: 409,
        });
      }
    };
    const r = await run(e, source(new MemoryStore()));
    const h = host(r);
    expect(h.volumes).toHaveLength(2);
    expect(h.sizes?.late).toMatch(/^measuring sizes takes longer than/);
    expect(e.calls.filter((c) => c.includes("/system/df")).length).toBeGreaterThan(1);
  });

  it("a failed measurement is said on the host, which is not failed", async () => {
    const e = engine();
    e.beforeAnswer = (req) => {
      if (req.path.endsWith("/system/df")) {
        throw new HostError("host1", "api", "engine error 500: disk is on fire", { statusCode: 500 });
      }
    };
    const h = host(await run(e, source(null)));
    expect(h.volumes).toHaveLength(2);
    expect(h.sizes?.late).toMatch(/^sizes could not be measured: .*disk is on fire/);
  });
});

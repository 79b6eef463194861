// Unit tests of `info` on a big host (src/commands/info/run.ts, issue 12) on the fake engine: the
// storage part always, the `system df` part when /system/df answers within the host's deadline,
// otherwise the volumes row from the fast calls with remembered sizes and the rest marked as not
// measured; never a second /system/df beside the keeper's measurement. Fake timers stand for the
// waits (an engine that never finishes measuring).
import { afterEach, describe, expect, it, vi } from "vitest";
import { type InfoResult, runInfo } from "../../../../src/commands/info/run.js";
import { renderInfoSlack } from "../../../../src/commands/info/slack.js";
import { renderInfoText } from "../../../../src/commands/info/text.js";
import type { Config } from "../../../../src/config/types.js";
import type { ConnectionFactory } from "../../../../src/docker/connection.js";
import { SizeKeeper } from "../../../../src/sizes/keeper.js";
import type { SizesSource } from "../../../../src/sizes/view.js";
import { MemoryStore } from "../../../../src/store/memory.js";
import { manualClock } from "../../../support/clock.js";
import { FakeEngine, fakeConfig } from "../../../support/fake-engine.js";
import { shown } from "../../../support/read-results.js";

const T0 = "2026-12-07T08:00:00.000Z";
/** A host deadline of 5 s: info waits 4 s for /system/df, 2 s with remembered sizes. */
const config: Config = {
  ...fakeConfig(),
  hosts: fakeConfig().hosts.map((h) => ({ ...h, timeoutMs: 5_000 })),
};

const INFO = {
  Driver: "overlay2",
  DockerRootDir: "/var/lib/docker",
  DriverStatus: [["Backing Filesystem", "extfs"]],
  ServerVersion: "20.10.24",
};

function engine(): FakeEngine {
  return new FakeEngine()
    .addVolume({ name: "a", sizeBytes: 5_200_000, createdAt: "2026-11-01T00:00:00Z" })
    .addVolume({ name: "b", sizeBytes: 2_000, createdAt: "2026-11-02T00:00:00Z" })
    .addContainer({ name: "web", state: "running", volumes: ["a"] });
}

/** The fake engine, with `/info` answered (the fake has none). */
function connect(e: FakeEngine): ConnectionFactory {
  const inner = e.factory();
  return async (host) => {
    const conn = await inner(host);
    return {
      ...conn,
      call: async <T>(req: Parameters<typeof conn.call>[0]) => {
        if (req.path.replace(/^\/v\d+\.\d+/, "") === "/info") {
          e.calls.push(`${req.method} ${req.path}`);
          return INFO as T;
        }
        return conn.call<T>(req);
      },
    };
  };
}

/** The engine never finishes measuring. */
function slow(e: FakeEngine): FakeEngine {
  e.beforeAnswer = (req) => (req.path.endsWith("/system/df") ? new Promise(() => {}) : undefined);
  return e;
}

function source(store: MemoryStore | null, keeper = new SizeKeeper()): SizesSource {
  return { keeper, store: async () => store, policy: "answer" };
}

/** runInfo, time going on in steps; `elapsed` is how long it took on the fake clock. */
async function run(e: FakeEngine, src: SizesSource): Promise<{ r: InfoResult; elapsed: number }> {
  const startedAt = Date.now();
  // The fake clock (vi's Date) read from T0.
  const now = () => new Date(Date.now() - startedAt + Date.parse(T0));
  const pending = runInfo("host1", { config, connect: connect(e), now }, src);
  let done = false;
  pending.finally(() => {
    done = true;
  });
  for (let i = 0; i < 10_000 && !done && vi.isFakeTimers(); i++) {
    // Time jumps only to the next timer set: the store's real work (compression on libuv's
    // threads) takes no fake time.
    await vi.advanceTimersToNextTimerAsync();
    await new Promise((r) => setImmediate(r));
  }
  const r = await pending;
  return { r, elapsed: Date.now() - startedAt };
}

const host = (r: InfoResult) => {
  const h = r.hosts[0];
  if (!h?.ok) throw new Error(`host failed: ${JSON.stringify(h)}`);
  return h;
};

afterEach(() => {
  vi.useRealTimers();
});

describe("info on a big host", () => {
  it("df answering: the storage and the engine's df, fresh, and the text as before", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { r } = await run(engine(), source(new MemoryStore()));
    const h = host(r);
    expect(h.storage).toMatchObject({ storageDriver: "overlay2", dockerRootDir: "/var/lib/docker" });
    expect(h.diskUsage.volumes).toEqual({
      count: 2,
      active: 1,
      sizeBytes: 5_202_000,
      reclaimableBytes: 2_000,
    });
    expect(h.sizes).toEqual({ measuredAt: T0, fresh: true, late: null });
    const text = renderInfoText(r);
    expect(text).toContain("Storage Driver: overlay2");
    expect(text).not.toContain("Disk usage:");
    expect(text).toMatch(/^Local Volumes\s+2\s+1\s+5\.2 MB\s+2\.0 kB \(0%\)\s+█/m);
  });

  it("df never answering, nothing remembered: answers within the deadline with the storage, the volume counts, and the rest marked late", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { r, elapsed } = await run(slow(engine()), source(new MemoryStore()));
    expect(elapsed).toBe(4_000);
    const h = host(r);
    expect(h.storage.storageDriver).toBe("overlay2");
    expect(h.diskUsage).toEqual({
      images: null,
      containers: null,
      volumes: { count: 2, active: 1, sizeBytes: null, reclaimableBytes: null, sizeMeasuredAt: null },
      buildCache: null,
    });
    expect(h.sizes).toEqual({
      measuredAt: null,
      fresh: false,
      late: "disk usage not measured within the deadline: the engine takes longer than 4 s",
    });
    const text = renderInfoText(r);
    expect(text).toContain("Storage Driver: overlay2");
    expect(text).toContain("Disk usage: size not yet measured (disk usage not measured within the deadline");
    expect(text).toMatch(/^Images\s+-\s+-\s+not measured within the deadline/m);
    expect(text).toMatch(/^Local Volumes\s+2\s+1\s+not yet measured\s*$/m);
    const slack = shown(renderInfoSlack(r));
    expect(slack).toContain(
      "*Disk usage:* size not yet measured (disk usage not measured within the deadline",
    );
    expect(slack).toContain("not measured within the deadline");
  });

  it("df never answering, sizes remembered: waits 2 s at most, shows the remembered volume sizes with their age", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const store = new MemoryStore();
    await store.putSizes("measured", {
      host: "host1",
      measuredAt: "2026-12-07T05:00:00.000Z",
      volumes: [
        { name: "a", createdAt: "2026-11-01T00:00:00Z", sizeBytes: 4_000_000 },
        { name: "b", createdAt: "2026-11-02T00:00:00Z", sizeBytes: 1_000 },
      ],
    });
    const { r, elapsed } = await run(slow(engine()), source(store));
    expect(elapsed).toBe(2_000);
    const h = host(r);
    expect(h.diskUsage.volumes).toEqual({
      count: 2,
      active: 1,
      sizeBytes: 4_001_000,
      reclaimableBytes: 1_000,
      sizeMeasuredAt: "2026-12-07T05:00:00.000Z",
    });
    expect(h.sizes).toMatchObject({ measuredAt: "2026-12-07T05:00:00.000Z", fresh: false });
    const text = renderInfoText(r);
    expect(text).toContain(
      "Disk usage: sizes as measured 3 h ago (disk usage not measured within the deadline",
    );
    expect(text).toMatch(/^Local Volumes\s+2\s+1\s+4\.0 MB · 3 h ago\s+1\.0 kB \(0%\)$/m);
  });

  it("a keeper measurement of the host under way: joined, no /system/df of its own", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const e = slow(engine());
    const keeper = new SizeKeeper();
    const clock = manualClock(T0);
    keeper.measure(config.hosts[0] as Config["hosts"][number], {
      connect: connect(e),
      store: null,
      now: clock.now,
      timeoutMs: 600_000,
    });
    await vi.advanceTimersByTimeAsync(10);
    const before = e.calls.filter((c) => c.includes("/system/df")).length;
    expect(before).toBe(1);
    const { r } = await run(e, source(new MemoryStore(), keeper));
    expect(e.calls.filter((c) => c.includes("/system/df")).length).toBe(1);
    expect(host(r).sizes?.late).toMatch(/a measurement of volume sizes was under way/);
    expect(host(r).diskUsage.volumes).toMatchObject({ count: 2, active: 1 });
    await keeper.settle(0);
  });
});

// Unit tests of the dangling report (src/report/dangling.ts) and `dvol report` on the CLI: fake
// engines, an in-memory store and an injected clock; no network, no Docker.
import { describe, expect, it } from "vitest";
import { main } from "../../../src/cli.js";
import { renderReportText } from "../../../src/commands/report/text.js";
import type { Config, HostConfig } from "../../../src/config/types.js";
import type { ConnectionFactory } from "../../../src/docker/connection.js";
import { HostError } from "../../../src/errors.js";
import { danglingMemoKey, reportJson, runReport } from "../../../src/report/dangling.js";
import { createMemoryState, type MemoryState, MemoryStore } from "../../../src/store/memory.js";
import { manualClock } from "../../support/clock.js";
import { writeConfig } from "../../support/dvol.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";

function host(name: string): HostConfig {
  return { name, endpoint: { kind: "socket", path: `/fake-${name}.sock` }, labels: {}, timeoutMs: 20_000 };
}

function configOf(...names: string[]): Config {
  return { ...fakeConfig(), hosts: names.map(host) };
}

/** Each host talks to its own fake; a host without one refuses the connection. */
function factory(engines: Record<string, FakeEngine>): ConnectionFactory {
  return async (h) => {
    const fake = engines[h.name];
    if (!fake) throw new HostError(h.name, "refused", "connection refused");
    return fake.factory()(h);
  };
}

const DAY = 86_400_000;

function engine1(): FakeEngine {
  return new FakeEngine()
    .addVolume({
      name: "old-cache",
      sizeBytes: 5_200_000,
      createdAt: "2026-11-01T10:00:00Z",
      labels: { "com.docker.compose.project": "shop" },
    })
    .addVolume({ name: "tmp-data", sizeBytes: 1_000, createdAt: "2026-11-02T10:00:00Z" })
    .addVolume({ name: "web-data", sizeBytes: 9_000_000 })
    .addContainer({ name: "web-1", state: "running", volumes: ["web-data"] });
}

describe("runReport", () => {
  it("reports each host's dangling volumes, largest first, with count and total, and names a dead host", async () => {
    const clock = manualClock("2026-11-29T08:00:00Z");
    const store = new MemoryStore({ now: clock.ms });
    const h2 = new FakeEngine().addVolume({ name: "h2-a", sizeBytes: 3_000 });
    const r = await runReport(null, {
      config: configOf("host1", "host2", "dead"),
      connect: factory({ host1: engine1(), host2: h2 }),
      now: clock.now,
      store,
    });
    expect(r.date).toBe("2026-11-29");
    const json = reportJson(r);
    expect(json.hosts.map((h) => [h.host, h.ok, h.danglingCount, h.danglingBytes])).toEqual([
      ["host1", true, 2, 5_201_000],
      ["host2", true, 1, 3_000],
      ["dead", false, null, null],
    ]);
    expect(json.hosts[0]?.volumes).toEqual([
      {
        name: "old-cache",
        sizeBytes: 5_200_000,
        sizeMeasuredAt: "2026-11-29T08:00:00.000Z",
        growthBytes: null,
        project: "shop",
        createdAt: "2026-11-01T10:00:00Z",
        danglingSince: "2026-11-29T08:00:00.000Z",
      },
      {
        name: "tmp-data",
        sizeBytes: 1_000,
        sizeMeasuredAt: "2026-11-29T08:00:00.000Z",
        growthBytes: null,
        project: null,
        createdAt: "2026-11-02T10:00:00Z",
        danglingSince: "2026-11-29T08:00:00.000Z",
      },
    ]);
    expect(json.hosts[2]?.error).toMatch(/dead/);
    const text = renderReportText(r);
    expect(text).toMatch(/^Dangling volumes, 2026-11-29: 3 on 2 hosts, 5\.2 MB; 1 host unavailable/);
    expect(text).toMatch(/host1: 2 dangling, 5\.2 MB {2}█/);
    expect(text).toMatch(/old-cache +5\.2 MB +shop +27d +2026-11-29 08:00/);
    expect(text).toMatch(/dead: unavailable/);
  });

  it("keeps 'dangling since' across runs, and starts anew when used again or re-created", async () => {
    const clock = manualClock("2026-11-20T08:00:00Z");
    const store = new MemoryStore({ now: clock.ms });
    const fake = engine1();
    const ctx = { config: configOf("host1"), connect: factory({ host1: fake }), now: clock.now, store };
    const since = async () => {
      const r = reportJson(await runReport("host1", ctx));
      return Object.fromEntries((r.hosts[0]?.volumes ?? []).map((v) => [v.name, v.danglingSince]));
    };
    const first = "2026-11-20T08:00:00.000Z";
    expect(await since()).toEqual({ "old-cache": first, "tmp-data": first });

    clock.advance(DAY);
    expect(await since()).toEqual({ "old-cache": first, "tmp-data": first });

    // old-cache used again: no longer dangling, its memo goes.
    fake.addContainer({ name: "job", state: "exited", volumes: ["old-cache"] });
    clock.advance(DAY);
    expect(await since()).toEqual({ "tmp-data": first });
    expect(await store.getMemo(danglingMemoKey("host1", "old-cache", "2026-11-01T10:00:00Z"))).toBeNull();

    // Dangling again: anew. tmp-data re-created under the same name: anew.
    fake.containers.splice(
      fake.containers.findIndex((c) => c.name === "job"),
      1,
    );
    fake.addVolume({ name: "tmp-data", sizeBytes: 1_000, createdAt: "2026-11-22T07:00:00Z" });
    clock.advance(DAY);
    const third = "2026-11-23T08:00:00.000Z";
    expect(await since()).toEqual({ "old-cache": third, "tmp-data": third });

    // Far later (past the memo's refresh point), still the same day of first sight.
    clock.advance(150 * DAY);
    expect(await since()).toEqual({ "old-cache": third, "tmp-data": third });
    clock.advance(150 * DAY);
    expect(await since()).toEqual({ "old-cache": third, "tmp-data": third });
  });

  it("shows the largest ones in the text, and how many more", async () => {
    const fake = new FakeEngine();
    for (let i = 0; i < 25; i++)
      fake.addVolume({ name: `v${String(i).padStart(2, "0")}`, sizeBytes: 1000 + i });
    const r = await runReport("host1", {
      config: configOf("host1"),
      connect: factory({ host1: fake }),
      now: () => new Date("2026-11-29T08:00:00Z"),
      store: new MemoryStore(),
    });
    const text = renderReportText(r);
    expect(text).toContain("v24");
    expect(text).not.toContain("v14 ");
    expect(text).toContain("… and 15 more");
  });

  it("gives each host its share of the space as a bar", async () => {
    const r = await runReport(null, {
      config: configOf("a", "b"),
      connect: factory({
        a: new FakeEngine().addVolume({ name: "x", sizeBytes: 3_000 }),
        b: new FakeEngine().addVolume({ name: "y", sizeBytes: 1_000 }),
      }),
      now: () => new Date("2026-11-29T08:00:00Z"),
      store: new MemoryStore(),
    });
    const text = renderReportText(r);
    expect(text).toContain("a: 1 dangling, 3.0 kB  ███████▌  ");
    expect(text).toContain("b: 1 dangling, 1.0 kB  ██▌       ");
  });
});

describe("dvol report on the CLI", () => {
  const config = writeConfig([{ name: "host1", socket: "/nonexistent/docker.sock" }]);

  async function cli(args: string[], fake: FakeEngine, state: MemoryState, now: Date) {
    let stdout = "";
    let opened = 0;
    const code = await main(["--config", config, ...args], {
      stdout: (t) => {
        stdout += `${t}\n`;
      },
      stderr: () => {},
      env: { USER: "alice" },
      cwd: "/",
      connect: fake.factory(),
      openStore: async () => {
        opened++;
        return new MemoryStore({ state, now: () => now.getTime() });
      },
      now: () => now,
    });
    return { code, stdout, opened };
  }

  it("prints the report as JSON with --json, remembering since when across runs", async () => {
    const state = createMemoryState();
    const fake = engine1();
    await cli(["report"], fake, state, new Date("2026-11-28T08:00:00Z"));
    const run = await cli(["--json", "report", "host1"], fake, state, new Date("2026-11-29T08:00:00Z"));
    expect(run.stdout).toContain('"command":"report"');
    expect(run.code).toBe(0);
    expect(run.opened).toBe(1);
    const json = JSON.parse(run.stdout);
    expect(json.command).toBe("report");
    expect(json.date).toBe("2026-11-29");
    expect(json.hosts[0].danglingCount).toBe(2);
    expect(json.hosts[0].volumes[0].danglingSince).toBe("2026-11-28T08:00:00.000Z");
  });

  it("refuses an unknown target before asking any host", async () => {
    const run = await cli(["report", "nope"], engine1(), createMemoryState(), new Date());
    expect(run.code).toBe(2);
    expect(run.opened).toBe(0);
  });
});

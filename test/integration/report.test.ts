// The dangling report (dvol report) against the real engines of the test bed, over mutual TLS:
// its volumes are those `docker volume ls -f dangling=true` lists on each host, with the sizes the
// engine's /system/df gives, and a host that cannot be reached is named. Other test files create
// and delete volumes on the shared engines at the same time, so the comparison is restricted to
// the fixed scenario's volumes, which nobody changes.
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { reportJson } from "../../src/report/dangling.js";
import { engineHost, runCli, writeConfig } from "../support/dvol.js";
import { runDocker, socketGetJson } from "../support/engines.js";
import { DANGLING_VOLUME_NAMES, SCENARIO_VOLUME_NAMES } from "../support/scenario.js";
import { requireTestbed, testbedEngines } from "../support/testbed-types.js";

const testbed = requireTestbed();
const engines = testbedEngines(testbed);

type ReportJson = ReturnType<typeof reportJson>;

interface EngineDfVolume {
  Name: string;
  UsageData: { Size: number; RefCount: number };
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const scenario = new Set<string>(SCENARIO_VOLUME_NAMES);

describe("dvol report on the test bed's engines", () => {
  it("lists, per engine, what docker volume ls -f dangling=true lists, with the engine's sizes; names a dead host", async () => {
    const hosts = engines.map((e) => engineHost(e.kind, e, testbed));
    const dead = engineHost("dead", engines[0] as (typeof engines)[number], testbed, {
      url: `tcp://127.0.0.1:${await closedPort()}`,
    });
    const config = writeConfig([...hosts, dead]);
    const env = { DVOL_STATE_DIR: mkdtempSync(join(tmpdir(), "dvol-report-")), USER: "tester" };

    const run = await runCli<ReportJson>(["--config", config, "--json", "report"], { env });
    expect(run.code).toBe(1);
    expect(run.json.command).toBe("report");
    expect(run.json.hosts.map((h) => h.host)).toEqual([...engines.map((e) => e.kind), "dead"]);
    const deadHost = run.json.hosts.at(-1);
    expect(deadHost).toMatchObject({ host: "dead", ok: false, volumes: [] });
    expect(deadHost?.error).toMatch(/^dead: connection refused/);

    for (const engine of engines) {
      const h = run.json.hosts.find((x) => x.host === engine.kind);
      if (!h?.ok) throw new Error(`host failed: ${JSON.stringify(h)}`);
      // The engine's own answers, taken right after.
      const danglingNow = (await runDocker(engine, ["volume", "ls", "-q", "-f", "dangling=true"]))
        .split("\n")
        .filter((n) => scenario.has(n))
        .sort();
      const df = await socketGetJson<{ Volumes: EngineDfVolume[] }>(engine.socketPath, "/system/df");
      const sizes = new Map(df.Volumes.map((v) => [v.Name, v.UsageData.Size]));

      const reported = h.volumes.filter((v) => scenario.has(v.name));
      expect(reported.map((v) => v.name).sort()).toEqual(danglingNow);
      expect(danglingNow).toEqual([...DANGLING_VOLUME_NAMES].sort());
      for (const v of reported) expect(v.sizeBytes, v.name).toBe(sizes.get(v.name));
      expect(h.danglingCount).toBe(h.volumes.length);
      expect(h.danglingBytes).toBe(h.volumes.reduce((a, v) => a + (v.sizeBytes ?? 0), 0));
      // Largest first.
      const s = h.volumes.map((v) => v.sizeBytes ?? -1);
      expect(s).toEqual([...s].sort((a, b) => b - a));
    }

    // A second run with the same store keeps "dangling since".
    const again = await runCli<ReportJson>(["--config", config, "--json", "report", engines[0]?.kind ?? ""], {
      env,
    });
    const since = (r: ReportJson, host: string) =>
      Object.fromEntries(
        (r.hosts.find((x) => x.host === host)?.volumes ?? [])
          .filter((v) => scenario.has(v.name))
          .map((v) => [v.name, v.danglingSince]),
      );
    const first = engines[0]?.kind ?? "";
    expect(since(again.json, first)).toEqual(since(run.json, first));

    const text = await runCli(["--config", config, "report"], { env });
    expect(text.stdout).toMatch(/^Dangling volumes, \d{4}-\d\d-\d\d: /);
    expect(text.stdout).toContain("dead: unavailable: connection refused");
  });
});

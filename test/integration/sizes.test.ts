// Sizes on big hosts (issue 12), against the real docker 20.10 engine of the test bed: a volume of
// 300,000 small files (and 600,000 hard links to them) makes its /system/df slow (it walks every file); dvol still lists every
// volume within a one-second host deadline, remembers each completed measurement, measures once
// for concurrent commands, and the daily report shows growth. dvol reaches the engine through a
// recording mutual-TLS front (test/support/recording-proxy.ts) that counts its requests.

import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli.js";
import type { InfoResult } from "../../src/commands/info/run.js";
import type { LsResult } from "../../src/commands/ls/run.js";
import { loadConfig } from "../../src/config/load.js";
import { SecretResolver } from "../../src/config/secrets.js";
import { tlsConnectionFactory } from "../../src/docker/connection.js";
import { postDailyReport } from "../../src/jobs/run-report.js";
import { reportJson } from "../../src/report/dangling.js";
import { SizeKeeper } from "../../src/sizes/keeper.js";
import type { SlackOutbox } from "../../src/slack/post.js";
import { MemoryStore } from "../../src/store/memory.js";
import { BUSYBOX_IMAGE, runDocker, socketGetJson, socketRequest } from "../support/engines.js";
import { type RecordingProxy, startRecordingProxy } from "../support/recording-proxy.js";
import { requireTestbed } from "../support/testbed-types.js";

const run = promisify(execFile);
const testbed = requireTestbed();
const engine = testbed.engines.docker20;

const SLOW = "dvol-sizes-many-files";
const SLOW_USER = "dvol-sizes-many-files-user";
const GROW = "dvol-sizes-grows";
const FILES = 300_000;
/** Less than the scenario's 1 MiB volume: other tests' "largest volumes" stay theirs. */
const GROW_BYTES = 100_000;
const ADDED_BYTES = 200_000;

interface VolumeJson {
  Name: string;
  Mountpoint: string;
  UsageData?: { Size: number; RefCount: number } | null;
}

async function createVolume(name: string): Promise<string> {
  const res = await socketRequest(engine.socketPath, "POST", "/volumes/create", 10_000, {
    Name: name,
    Labels: { "dvol.test": "sizes" },
  });
  if (res.status !== 201) throw new Error(`creating ${name}: HTTP ${res.status} ${res.body}`);
  return (await socketGetJson<VolumeJson>(engine.socketPath, `/volumes/${name}`)).Mountpoint;
}

/**
 * 300 directories of 1,000 one-byte files, written as root straight into the volume, then two
 * trees of hard links to them: 900,000 entries, each of which the engine's walk stats.
 */
async function fillWithFiles(mountpoint: string): Promise<void> {
  const base = join(mountpoint, "t0");
  for (let d = 0; d < FILES / 1000; d++) {
    const dir = join(base, `d${d}`);
    await mkdir(dir, { recursive: true });
    await Promise.all(Array.from({ length: 1000 }, (_, f) => writeFile(join(dir, `f${f}`), "x")));
  }
  for (const copy of ["t1", "t2"]) await run("cp", ["-al", base, join(mountpoint, copy)]);
}

async function engineSizes(): Promise<Map<string, number>> {
  const df = await socketGetJson<{ Volumes: VolumeJson[] }>(engine.socketPath, "/system/df");
  return new Map(df.Volumes.map((v) => [v.Name, v.UsageData?.Size ?? -1]));
}

let proxy: RecordingProxy;
let stateDir: string;
let config: string;
let growMountpoint: string;

/** The CLI in this process, on its own keeper (as a separate process would be), sharing the store. */
async function cli<T>(args: string[], now?: () => Date): Promise<{ code: number; json: T; stdout: string }> {
  let stdout = "";
  const code = await main(["--config", config, ...args], {
    stdout: (t) => {
      stdout += `${t}\n`;
    },
    stderr: () => {},
    env: { DVOL_STATE_DIR: stateDir },
    cwd: tmpdir(),
    sizeKeeper: new SizeKeeper(),
    ...(now ? { now } : {}),
  });
  return { code, stdout, json: (args.includes("--json") ? JSON.parse(stdout) : null) as T };
}

function hostOf(r: LsResult) {
  const h = r.hosts[0];
  if (!h?.ok) throw new Error(`host failed: ${JSON.stringify(h)}`);
  return h;
}

beforeAll(async () => {
  await Promise.all([SLOW, GROW].map((v) => runDocker(engine, ["volume", "rm", "-f", v]).catch(() => {})));
  await runDocker(engine, ["rm", "-f", SLOW_USER]).catch(() => {});
  const slow = await createVolume(SLOW);
  await fillWithFiles(slow);
  // Used by a container (never started), so that no prune of another test takes it.
  await runDocker(engine, [
    "create",
    "--name",
    SLOW_USER,
    "--network",
    "none",
    "-v",
    `${SLOW}:/data`,
    BUSYBOX_IMAGE,
  ]);
  growMountpoint = await createVolume(GROW);
  // In a directory of its own: on docker 20.10 a volume's CreatedAt moves when an entry is added at
  // its top level (it follows _data's change time), which would make it "another volume".
  await mkdir(join(growMountpoint, "data"));
  await writeFile(join(growMountpoint, "data", "a"), Buffer.alloc(GROW_BYTES, 1));

  proxy = await startRecordingProxy(testbed.pki, engine.socketPath);
  stateDir = await mkdtemp(join(tmpdir(), "dvol-sizes-state-"));
  const dir = await mkdtemp(join(tmpdir(), "dvol-sizes-cfg-"));
  config = join(dir, "dvol.config.yaml");
  await writeFile(
    config,
    JSON.stringify({
      hosts: [
        {
          name: "big",
          url: proxy.url,
          timeoutSeconds: 1,
          tls: {
            ca: `file:${testbed.pki.ca.cert}`,
            cert: `file:${testbed.pki.client.cert}`,
            key: `file:${testbed.pki.client.key}`,
            serverName: engine.serverName,
          },
        },
      ],
      sizes: { timeoutSeconds: 120 },
      report: { channel: "C0REPORT" },
    }),
  );
}, 300_000);

afterAll(async () => {
  await proxy?.close();
  await runDocker(engine, ["rm", "-f", SLOW_USER]).catch(() => {});
  await Promise.all([SLOW, GROW].map((v) => runDocker(engine, ["volume", "rm", "-f", v]).catch(() => {})));
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
}, 120_000);

describe("a host whose measurement of sizes is slow (900,000 entries, host deadline 1 s)", () => {
  it("lists every volume within the deadline, exit 0; after a measurement its sizes are the engine's and remembered", async () => {
    // The engine alone: its measurement takes longer than the host's deadline.
    const t0 = performance.now();
    const fromEngine = await engineSizes();
    const engineMs = performance.now() - t0;
    expect(engineMs, "the 300,000 files make /system/df slower than the host's deadline").toBeGreaterThan(
      1_000,
    );

    const started = performance.now();
    const first = await cli<LsResult>(["--json", "ls", "big"]);
    const tookMs = performance.now() - started;
    expect(first.code).toBe(0);
    const h = hostOf(first.json);
    expect(tookMs).toBeLessThan(2_500);
    const names = (await socketGetJson<{ Volumes: VolumeJson[] }>(engine.socketPath, "/volumes")).Volumes.map(
      (v) => v.Name,
    );
    for (const n of [SLOW, GROW]) expect(names).toContain(n);
    expect(h.volumes.map((v) => v.name).sort()).toEqual(expect.arrayContaining([SLOW, GROW]));
    // Never measured: null and null, and the reason shown.
    for (const v of h.volumes) expect([v.sizeBytes, v.sizeMeasuredAt]).toEqual([null, null]);
    expect(h.sizes?.late).toMatch(/measuring sizes takes longer than/);
    expect(h.volumes.find((v) => v.name === SLOW)).toMatchObject({ refCount: 1, dangling: false });
    expect(h.volumes.find((v) => v.name === GROW)).toMatchObject({ refCount: 0, dangling: true });

    // --fresh waits for a measurement (up to sizes.timeoutSeconds): sizes equal the engine's.
    const fresh = await cli<LsResult>(["--json", "ls", "big", "--fresh"]);
    expect(fresh.code).toBe(0);
    const f = hostOf(fresh.json);
    expect(f.sizes).toMatchObject({ fresh: true, late: null });
    for (const name of [SLOW, GROW]) {
      const v = f.volumes.find((x) => x.name === name);
      expect(v?.sizeBytes, name).toBe(fromEngine.get(name));
      expect(v?.sizeMeasuredAt).toBe(f.sizes?.measuredAt);
    }
    expect(f.volumes.find((v) => v.name === GROW)?.sizeBytes).toBe(GROW_BYTES);

    // Three hours later the measurement is slow again: the remembered sizes, with their age.
    const later = new Date(Date.now() + 3 * 3_600_000);
    const again = await cli<LsResult>(["--json", "ls", "big"], () => later);
    expect(again.code).toBe(0);
    const a = hostOf(again.json);
    expect(a.sizes).toMatchObject({ fresh: false, measuredAt: f.sizes?.measuredAt });
    expect(a.volumes.find((v) => v.name === GROW)).toMatchObject({
      sizeBytes: GROW_BYTES,
      sizeMeasuredAt: f.sizes?.measuredAt,
    });
    const text = await cli<null>(["ls", "big"], () => later);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`${GROW}\\s+local\\s+100 kB · 3 h ago`));
    expect(text.stdout).toMatch(/sizes as measured 3 h ago \(measuring sizes takes longer than/);
  }, 180_000);

  it("two concurrent commands cause one measurement on the engine, and both show it", async () => {
    const before = proxy.count("/system/df");
    const [a, b] = await Promise.all([
      cli<LsResult>(["--json", "ls", "big", "--fresh"]),
      cli<LsResult>(["--json", "ls", "big", "--fresh"]),
    ]);
    expect(proxy.count("/system/df") - before).toBe(1);
    expect([a.code, b.code]).toEqual([0, 0]);
    const ha = hostOf(a.json);
    const hb = hostOf(b.json);
    expect(ha.sizes?.fresh && hb.sizes?.fresh).toBe(true);
    expect(hb.sizes?.measuredAt).toBe(ha.sizes?.measuredAt);
    expect(hb.volumes.find((v) => v.name === SLOW)?.sizeBytes).toBe(
      ha.volumes.find((v) => v.name === SLOW)?.sizeBytes,
    );
  }, 180_000);
  it("info answers within the deadline: the storage, and the df part late with the remembered volume sizes, exit 0", async () => {
    const before = proxy.count("/system/df");
    const started = performance.now();
    const r = await cli<InfoResult>(["--json", "info", "big"]);
    const tookMs = performance.now() - started;
    expect(r.code).toBe(0);
    expect(tookMs).toBeLessThan(2_500);
    const h = r.json.hosts[0];
    if (!h?.ok) throw new Error(`host failed: ${JSON.stringify(h)}`);
    const info = await socketGetJson<{ Driver: string; DockerRootDir: string }>(engine.socketPath, "/info");
    expect(h.storage).toMatchObject({ storageDriver: info.Driver, dockerRootDir: info.DockerRootDir });
    expect(h.sizes).toMatchObject({
      fresh: false,
      late: expect.stringMatching(/not measured within the deadline/),
    });
    expect(h.diskUsage.images).toBeNull();
    const names = (await socketGetJson<{ Volumes: VolumeJson[] }>(engine.socketPath, "/volumes")).Volumes;
    // Measured by the --fresh above: remembered, with when.
    expect(h.diskUsage.volumes).toMatchObject({ count: names.length, sizeMeasuredAt: h.sizes?.measuredAt });
    expect(h.diskUsage.volumes?.sizeBytes).toBeGreaterThanOrEqual(GROW_BYTES);
    // One /system/df of its own, cut when it answered.
    expect(proxy.count("/system/df") - before).toBe(1);
    const text = await cli<null>(["info", "big"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Storage Driver: ${info.Driver}`);
    expect(text.stdout).toMatch(/^Images\s+-\s+-\s+not measured within the deadline/m);
  }, 60_000);
});

describe("the daily report", () => {
  it("shows growth across two reports a day apart, after data is added to a dangling volume", async () => {
    let now = new Date("2026-12-01T08:00:00Z");
    const store = new MemoryStore({ now: () => now.getTime() });
    const posts: string[] = [];
    const slack: SlackOutbox = {
      async post(channel, msg) {
        posts.push(JSON.stringify(msg.blocks));
        return { channel, ts: `${posts.length}.0`, fileId: null };
      },
      async respond() {},
    };
    const loaded = await loadConfig({ file: config, env: {}, cwd: tmpdir() });
    const connect = tlsConnectionFactory(new SecretResolver({ baseDir: loaded.baseDir, env: {} }));
    const errors: string[] = [];
    const report = () =>
      postDailyReport({
        config: async () => loaded,
        connect: () => connect,
        slack,
        store: async () => store,
        now: () => now,
        sizeKeeper: new SizeKeeper(),
        logger: { info() {}, warn() {}, error: (m: string) => errors.push(m) },
      });

    const day1 = await report();
    if (day1.status !== "posted") throw new Error(`not posted: ${JSON.stringify(day1)}`);
    const h1 = reportJson(day1.result).hosts[0];
    if (!h1?.ok) throw new Error(`host failed: ${JSON.stringify(h1)}`);
    // Measured first, with the long deadline: fresh sizes although the host's deadline is 1 s.
    expect(h1.sizesLate).toBeNull();
    expect(h1.growth).toBeNull();
    expect(h1.volumes.find((v) => v.name === GROW)).toMatchObject({
      sizeBytes: GROW_BYTES,
      growthBytes: null,
    });
    expect(errors).toEqual([]);
    expect((await store.getSizes("big", "reported"))?.history?.map((d) => d.day)).toEqual(["2026-12-01"]);

    await writeFile(join(growMountpoint, "data", "b"), Buffer.alloc(ADDED_BYTES, 2));
    now = new Date("2026-12-02T08:00:00Z");
    const day2 = await report();
    if (day2.status !== "posted") throw new Error(`not posted: ${JSON.stringify(day2)}`);
    const h2 = reportJson(day2.result).hosts[0];
    if (!h2?.ok) throw new Error(`host failed: ${JSON.stringify(h2)}`);
    expect(h2.volumes.find((v) => v.name === GROW)).toMatchObject({
      sizeBytes: GROW_BYTES + ADDED_BYTES,
      growthBytes: ADDED_BYTES,
    });
    expect(h2.growth).toMatchObject({ since: "2026-12-01", danglingBytesBefore: h1.danglingBytes });
    expect(h2.growth?.growers).toContainEqual({
      name: GROW,
      sizeBytes: GROW_BYTES + ADDED_BYTES,
      growthBytes: ADDED_BYTES,
    });
    expect(posts[1]).toContain("+200 kB");
    expect(posts[1]).toContain("since yesterday");
    // The store keeps the history of daily totals.
    expect((await store.getSizes("big", "reported"))?.history?.map((d) => d.day)).toEqual([
      "2026-12-01",
      "2026-12-02",
    ]);
  }, 180_000);
});

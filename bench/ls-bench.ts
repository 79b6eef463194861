// Benchmark 1: `dvol ls` of one host with thousands of volumes, sizes included, against
// `docker system df -v` (the engine's own CLI) over the same mutual-TLS endpoint, alternating.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  BUSYBOX_IMAGE,
  type Engine,
  type EngineKind,
  importBusyboxImage,
  socketGetJson,
  socketRequest,
} from "../test/support/engines.js";
import type { Pki } from "../test/support/pki.js";
import { log, mapLimit, median, type RunSample, timedRun } from "./lib.js";
import { newestProfile } from "./profile.js";
import { cleanEnv, createVolume, runDvol, runDvolFile, withEngine, writeDvolConfig } from "./testbed.js";

/** `empty`: no volume holds data; `quarter`: every 4th volume holds 1-8 KiB. */
export type LsShape = "empty" | "quarter";
export const LS_SHAPES: readonly LsShape[] = ["empty", "quarter"];

export interface LsBenchOptions {
  volumes: number;
  shape: LsShape;
  repeat: number;
  concurrency: number;
  /** When set, one extra dvol run under `node --cpu-prof`, its profile written here. */
  profileDir?: string;
  /**
   * Another build of the CLI (run as `node FILE`, e.g. the one before a change), measured in the
   * same rounds, so before and after are compared within one run.
   */
  baseline?: string;
  /** Where the measured runs' stdout goes (the checked answers are from the warm-up runs, piped). */
  stdout: "pipe" | "null";
}

export interface LsBenchResult {
  kind: EngineKind;
  shape: LsShape;
  stdout: "pipe" | "null";
  engineVersion: string;
  apiVersion: string;
  volumes: number;
  inUse: number;
  sized: number;
  composeLabelled: number;
  populateMs: number;
  dvol: RunSample[];
  docker: RunSample[];
  /** dvol / docker of each alternating pair. */
  pairRatios: number[];
  /** The --baseline build's runs, its wall and CPU ratios to docker's in the same rounds. */
  baseline: { file: string; runs: RunSample[]; pairRatios: number[]; cpuRatios: number[] } | null;
  /** dvol's CPU / docker's CPU (user + sys) of each pair. */
  cpuRatios: number[];
  /**
   * The engine alone: wall time of `GET /v<api>/system/df?type=volume` (what dvol asks) on its unix
   * socket from this (warm) process, once per pair: no TLS, no process start, no CLI.
   */
  engineAloneMs: number[];
  /** Volumes in dvol's JSON answer (the check that it is not empty). */
  dvolVolumesListed: number;
  dvolInUseListed: number;
  dvolSizedListed: number;
  /** Volume lines in docker's answer. */
  dockerVolumesListed: number;
  /** The extra profiled dvol run's .cpuprofile, when asked for. */
  profile: string | null;
}

/** Scenario: names, compose labels on every 3rd, a few KiB of data in every 4th, 50 in use. */
interface PlannedVolume {
  name: string;
  labels: Record<string, string>;
  bytes: number;
}

const CONTAINERS = 5;
const MOUNTS_PER_CONTAINER = 10;

export function plan(n: number, shape: LsShape): PlannedVolume[] {
  const out: PlannedVolume[] = [];
  const width = String(n).length;
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(width, "0");
    const bytes = shape === "quarter" && i % 4 === 0 ? 1024 * (1 + (i % 8)) : 0;
    if (i % 3 === 0) {
      const project = `proj${String(i % 50).padStart(2, "0")}`;
      const volume = `data${id}`;
      out.push({
        name: `${project}_${volume}`,
        labels: { "com.docker.compose.project": project, "com.docker.compose.volume": volume },
        bytes,
      });
    } else {
      out.push({ name: `bench-vol-${id}`, labels: i % 7 === 0 ? { tier: "cold" } : {}, bytes });
    }
  }
  return out;
}

export async function populate(engine: Engine, volumes: PlannedVolume[], concurrency: number): Promise<void> {
  const volumesDir = join(engine.dataRoot, "volumes");
  let done = 0;
  await mapLimit(volumes, concurrency, async (v) => {
    const mountpoint = await createVolume(engine, v.name, v.labels);
    if (v.bytes > 0) {
      // Written straight into the local driver's directory, as root: no container per volume.
      if (!mountpoint.startsWith(`${volumesDir}/`)) throw new Error(`unexpected mountpoint ${mountpoint}`);
      await writeFile(join(mountpoint, "blob"), Buffer.alloc(v.bytes, 0x5a));
    }
    if (++done % 1000 === 0) log(`${engine.kind}: ${done}/${volumes.length} volumes`);
  });
  // A few created (never started) containers mount some volumes, so not every volume dangles.
  await importBusyboxImage(engine);
  for (let c = 0; c < CONTAINERS; c++) {
    const mounted = volumes.slice(c * MOUNTS_PER_CONTAINER + 1, (c + 1) * MOUNTS_PER_CONTAINER + 1);
    const res = await socketRequest(
      engine.socketPath,
      "POST",
      `/containers/create?name=bench-user-${c}`,
      60_000,
      {
        Image: BUSYBOX_IMAGE,
        Cmd: ["true"],
        NetworkDisabled: true,
        HostConfig: { NetworkMode: "none", Binds: mounted.map((v, j) => `${v.name}:/m${j}`) },
      },
    );
    if (res.status !== 201)
      throw new Error(`creating container bench-user-${c}: HTTP ${res.status} ${res.body}`);
  }
  const listed = await socketGetJson<{ Volumes: unknown[] | null }>(engine.socketPath, "/volumes");
  if ((listed.Volumes?.length ?? 0) < volumes.length) {
    throw new Error(
      `${engine.kind} lists ${listed.Volumes?.length ?? 0} volumes, expected ${volumes.length}`,
    );
  }
}

interface LsJson {
  command: string;
  hosts: {
    host: string;
    ok: boolean;
    error: string | null;
    volumes?: { sizeBytes: number | null; refCount: number | null }[];
  }[];
}

export async function benchLs(
  kind: EngineKind,
  pki: Pki,
  dir: string,
  opts: LsBenchOptions,
): Promise<LsBenchResult> {
  return withEngine(kind, pki, join(dir, `${kind}-${opts.shape}`), async (engine) => {
    const scratch = join(dir, `${kind}-${opts.shape}-scratch`);
    await mkdir(scratch, { recursive: true });
    const volumes = plan(opts.volumes, opts.shape);
    const t0 = Date.now();
    await populate(engine, volumes, opts.concurrency);
    const populateMs = Date.now() - t0;
    log(`${kind}: ${volumes.length} volumes (${opts.shape}) in ${Math.round(populateMs / 1000)} s`);
    const dfPath = `/v${engine.apiVersion}/system/df?type=volume`;
    const engineAlone = async (): Promise<number> => {
      const t = performance.now();
      const res = await socketRequest(engine.socketPath, "GET", dfPath, 60_000);
      if (res.status !== 200) throw new Error(`GET ${dfPath}: HTTP ${res.status}`);
      return performance.now() - t;
    };

    const config = await writeDvolConfig(scratch, pki, [
      { name: "h", url: engine.url, serverName: engine.serverName },
    ]);
    const dvolArgs = ["--config", config, "--json", "ls", "h"];
    const dockerEnv = cleanEnv(engine.dockerEnv);
    const out = opts.stdout;
    const dvol = (stdout = out) => runDvol(dvolArgs, scratch, [], stdout);
    const baselineFile = opts.baseline;
    const before = baselineFile
      ? (stdout = out) => runDvolFile(baselineFile, dvolArgs, scratch, stdout)
      : null;
    const baseline = baselineFile
      ? { file: baselineFile, runs: [] as RunSample[], pairRatios: [] as number[], cpuRatios: [] as number[] }
      : null;
    const docker = (stdout = out) =>
      timedRun(engine.dockerCli, ["system", "df", "-v"], {
        env: dockerEnv,
        cwd: scratch,
        scratchDir: scratch,
        stdout,
      });

    const check = (what: string, s: RunSample) => {
      if (s.code !== 0)
        throw new Error(`${what} exited ${s.code}: ${s.stderr.trim() || s.stdout.slice(0, 500)}`);
    };
    // Warm-up (not counted): page cache, engine's first walk of the volumes.
    // Their answers are the ones checked below (piped whatever --stdout says).
    const dvolWarm = await dvol("pipe");
    check("dvol ls (warm-up)", dvolWarm);
    const dockerWarm = await docker("pipe");
    check("docker system df -v (warm-up)", dockerWarm);
    if (before) check("baseline dvol ls (warm-up)", await before("pipe"));

    const dvolRuns: RunSample[] = [];
    const dockerRuns: RunSample[] = [];
    const pairRatios: number[] = [];
    const cpuRatios: number[] = [];
    const engineAloneMs: number[] = [await engineAlone()].slice(1); // first call: warm-up
    for (let r = 0; r < opts.repeat; r++) {
      // Alternate which goes first, so neither always runs on a just-warmed engine.
      let a: RunSample;
      let b: RunSample;
      if (r % 2 === 0) {
        a = await dvol();
        b = await docker();
      } else {
        b = await docker();
        a = await dvol();
      }
      check("dvol ls", a);
      check("docker system df -v", b);
      if (before && baseline) {
        // Third in every round, after a docker run in half of them and after dvol in the others.
        const c = await before();
        check("baseline dvol ls", c);
        baseline.runs.push(c);
        baseline.pairRatios.push(c.wallMs / b.wallMs);
        baseline.cpuRatios.push(c.cpuMs / Math.max(b.cpuMs, 10));
      }
      dvolRuns.push(a);
      dockerRuns.push(b);
      pairRatios.push(a.wallMs / b.wallMs);
      cpuRatios.push(a.cpuMs / Math.max(b.cpuMs, 10));
      engineAloneMs.push(await engineAlone());
      log(
        `${kind} ${opts.shape}: run ${r + 1}/${opts.repeat}: dvol ${Math.round(a.wallMs)} ms (CPU ${Math.round(a.cpuMs)}), ` +
          `docker ${Math.round(b.wallMs)} ms (CPU ${Math.round(b.cpuMs)}), engine alone ${Math.round(engineAloneMs[r] ?? 0)} ms`,
      );
    }

    let profile: string | null = null;
    if (opts.profileDir) {
      const profDir = join(opts.profileDir, `ls-${kind}-${opts.shape}`);
      check(
        "dvol ls (profiled)",
        await runDvol(dvolArgs, scratch, ["--cpu-prof", "--cpu-prof-dir", profDir]),
      );
      profile = await newestProfile(profDir);
    }

    const json = JSON.parse(dvolWarm.stdout) as LsJson;
    const host = json.hosts[0];
    if (!host?.ok) throw new Error(`dvol ls: host not ok: ${host?.error}`);
    const listed = host.volumes ?? [];
    const lastDocker = dockerWarm;
    const names = new Set(volumes.map((v) => v.name));
    const dockerVolumesListed = lastDocker.stdout
      .split("\n")
      .filter((l) => names.has(l.split(/\s+/)[0] ?? "")).length;
    return {
      kind,
      shape: opts.shape,
      stdout: opts.stdout,
      engineVersion: engine.version,
      apiVersion: engine.apiVersion,
      volumes: volumes.length,
      inUse: CONTAINERS * MOUNTS_PER_CONTAINER,
      sized: volumes.filter((v) => v.bytes > 0).length,
      composeLabelled: volumes.filter((v) => "com.docker.compose.project" in v.labels).length,
      populateMs,
      dvol: dvolRuns,
      docker: dockerRuns,
      pairRatios,
      baseline,
      cpuRatios,
      engineAloneMs,
      dvolVolumesListed: listed.length,
      dvolInUseListed: listed.filter((v) => (v.refCount ?? 0) > 0).length,
      dvolSizedListed: listed.filter((v) => (v.sizeBytes ?? 0) > 0).length,
      dockerVolumesListed,
      profile,
    };
  });
}

export const lsMedianRatio = (r: LsBenchResult): number => median(r.pairRatios);

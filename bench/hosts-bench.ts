// Benchmark 2: `dvol hosts` over many hosts that each answer with added latency: one real engine,
// and in front of it one delaying TCP proxy per host, each host reached over mutual TLS through
// its own proxy (the proxy passes TLS through untouched, so verification is the real one).
//
// Two diagnostics help read the figure: how long the one engine takes to answer every host's
// calls by itself (on its unix socket, no TLS, no dvol), and the same dvol run with the engine
// replaced by a mutual-TLS stub that serves the engine's recorded answers at once.
import { mkdir, readFile } from "node:fs/promises";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Engine, type EngineKind, socketRequest } from "../test/support/engines.js";
import type { Pki } from "../test/support/pki.js";
import { type DelayProxy, startDelayProxy } from "../test/support/tcp-proxy.js";
import { log, type RunSample, withCleanup } from "./lib.js";
import { newestProfile } from "./profile.js";
import { createVolume, runDvol, withEngine, writeDvolConfig } from "./testbed.js";

export interface HostsBenchOptions {
  hosts: number;
  delaysMs: number[];
  repeat: number;
  /** When set, one extra dvol run per engine-backed delay under `node --cpu-prof`, written here. */
  profileDir?: string;
}

export type Backend = "engine" | "stub";

export interface HostsRun {
  backend: Backend;
  delayMs: number;
  /** Hosts in the config (the benchmark's count, or 1 for the single-host reference). */
  hosts: number;
  runs: RunSample[];
  /** Hosts that answered ok in every measured run (all of them, or the benchmark fails). */
  okHosts: number;
  /** TCP connections the proxies accepted per dvol run (dvol's connections to all hosts). */
  connectionsPerRun: number;
  profile: string | null;
}

export interface HostsBenchResult {
  kind: EngineKind;
  engineVersion: string;
  apiVersion: string;
  hosts: number;
  engineVolumes: number;
  runs: HostsRun[];
  /** Wall times of the engine answering every host's calls at once on its unix socket. */
  engineAloneMs: number[];
}

interface HostsJson {
  command: string;
  hosts: { host: string; ok: boolean; error: string | null; volumeCount?: number }[];
}

const ENGINE_VOLUMES = 10;
/** What `dvol hosts` asks each host (src/docker/engine.ts, Engine.overview). */
/** What `hosts` asks each host (src/docker/engine.ts, Engine.overview); /version is recorded for the stub. */
const OVERVIEW_PATHS = ["/info", "/volumes"] as const;

async function withProxies<T>(
  targetPort: number,
  count: number,
  delayMs: number,
  body: (proxies: DelayProxy[]) => Promise<T>,
): Promise<T> {
  const proxies: DelayProxy[] = [];
  return withCleanup(
    `${count} proxies at ${delayMs} ms`,
    async () => {
      await Promise.all(proxies.map((p) => p.close()));
    },
    async () => {
      for (let i = 0; i < count; i++) {
        proxies.push(await startDelayProxy({ targetHost: "127.0.0.1", targetPort, delayMs }));
      }
      return body(proxies);
    },
  );
}

/**
 * A mutual-TLS server with the engine's certificate that answers the overview calls with the
 * engine's own recorded answers, at once. Used to tell dvol's share of the time from the engine's.
 */
async function withStub<T>(
  pki: Pki,
  answers: Map<string, string>,
  body: (port: number) => Promise<T>,
): Promise<T> {
  const [key, cert, ca] = await Promise.all([
    readFile(pki.server.key),
    readFile(pki.server.cert),
    readFile(pki.ca.cert),
  ]);
  const apiVersion = String(
    (JSON.parse(answers.get("/version") ?? "{}") as { ApiVersion?: string }).ApiVersion,
  );
  const server = createServer(
    { key, cert, ca, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2" },
    (req, res) => {
      const path = (req.url ?? "").replace(/\?.*$/, "").replace(/^\/v\d+\.\d+/, "");
      const answer = answers.get(path);
      // Like every engine, announce the API version on each answer.
      res.writeHead(answer === undefined ? 404 : 200, {
        "Content-Type": "application/json",
        "Api-Version": apiVersion,
      });
      res.end(answer ?? JSON.stringify({ message: `stub: no ${path}` }));
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return withCleanup(
    "mTLS stub",
    async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    () => body((server.address() as AddressInfo).port),
  );
}

/** The engine alone: every host's overview calls at once, on the unix socket. */
async function engineAlone(engine: Engine, hosts: number, repeat: number): Promise<number[]> {
  const once = async () => {
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: hosts }, () =>
        Promise.all(
          OVERVIEW_PATHS.map(async (p) => {
            const res = await socketRequest(engine.socketPath, "GET", p, 60_000);
            if (res.status !== 200) throw new Error(`GET ${p}: HTTP ${res.status}`);
          }),
        ),
      ),
    );
    return performance.now() - t0;
  };
  await once(); // warm-up
  const out: number[] = [];
  for (let r = 0; r < repeat; r++) out.push(await once());
  return out;
}

async function measure(
  backend: Backend,
  targetPort: number,
  serverName: string,
  pki: Pki,
  dir: string,
  delayMs: number,
  hosts: number,
  opts: HostsBenchOptions,
  profileDir: string | undefined,
): Promise<HostsRun> {
  return withProxies(targetPort, hosts, delayMs, async (proxies) => {
    const scratch = join(dir, `hosts-${backend}-${hosts}-${delayMs}ms`);
    await mkdir(scratch, { recursive: true });
    const width = String(hosts).length;
    const config = await writeDvolConfig(
      scratch,
      pki,
      proxies.map((p, i) => ({
        name: `h${String(i + 1).padStart(width, "0")}`,
        url: `tcp://127.0.0.1:${p.port}`,
        serverName, // verified against the engine's certificate, through the proxy
      })),
    );
    const args = ["--config", config, "--json", "hosts"];
    const connections = () => proxies.reduce((a, p) => a + p.connections, 0);
    const label = `hosts (${hosts} x ${backend}, ${delayMs} ms)`;
    const verify = (s: RunSample): number => {
      let json: HostsJson;
      try {
        json = JSON.parse(s.stdout) as HostsJson;
      } catch {
        throw new Error(`dvol ${label}: exit ${s.code}, no JSON: ${s.stderr.trim().slice(0, 500)}`);
      }
      const ok = json.hosts.filter(
        (h) => h.ok && h.volumeCount !== undefined && h.volumeCount >= ENGINE_VOLUMES,
      );
      if (s.code !== 0 || ok.length !== hosts) {
        const bad = json.hosts.filter((h) => !h.ok).map((h) => `${h.host}: ${h.error}`);
        throw new Error(
          `dvol ${label}: exit ${s.code}, ${ok.length}/${hosts} ok; ${bad.slice(0, 3).join("; ")}`,
        );
      }
      return ok.length;
    };
    verify(await runDvol(args, scratch)); // warm-up, not counted
    const before = connections();
    const runs: RunSample[] = [];
    let okHosts = hosts;
    for (let r = 0; r < opts.repeat; r++) {
      const s = await runDvol(args, scratch);
      okHosts = Math.min(okHosts, verify(s));
      runs.push(s);
      log(`${label}: run ${r + 1}/${opts.repeat}: ${Math.round(s.wallMs)} ms`);
    }
    const connectionsPerRun = (connections() - before) / opts.repeat;
    let profile: string | null = null;
    if (profileDir) {
      const profDir = join(profileDir, `hosts-${backend}-${hosts}-${delayMs}ms`);
      verify(await runDvol(args, scratch, ["--cpu-prof", "--cpu-prof-dir", profDir]));
      profile = await newestProfile(profDir);
    }
    return { backend, delayMs, hosts, runs, okHosts, connectionsPerRun, profile };
  });
}

export async function benchHosts(
  kind: EngineKind,
  pki: Pki,
  dir: string,
  opts: HostsBenchOptions,
): Promise<HostsBenchResult> {
  return withEngine(kind, pki, join(dir, `${kind}-hosts`), async (engine) => {
    for (let i = 0; i < ENGINE_VOLUMES; i++) await createVolume(engine, `hosts-bench-${i}`);
    const runs: HostsRun[] = [];
    for (const delayMs of opts.delaysMs) {
      runs.push(
        await measure(
          "engine",
          engine.port,
          engine.serverName,
          pki,
          dir,
          delayMs,
          opts.hosts,
          opts,
          opts.profileDir,
        ),
      );
    }
    // One host alone: start-up plus the round trips, what no number of hosts can go below.
    const d0 = opts.delaysMs[0] ?? 0;
    runs.push(await measure("engine", engine.port, engine.serverName, pki, dir, d0, 1, opts, undefined));
    const engineAloneMs = await engineAlone(engine, opts.hosts, opts.repeat);
    log(`engine alone: ${engineAloneMs.map((m) => Math.round(m)).join(", ")} ms`);

    const answers = new Map<string, string>();
    for (const p of [...OVERVIEW_PATHS, "/version"]) {
      answers.set(p, (await socketRequest(engine.socketPath, "GET", p)).body);
    }
    await withStub(pki, answers, async (port) => {
      for (const delayMs of opts.delaysMs) {
        runs.push(
          await measure("stub", port, engine.serverName, pki, dir, delayMs, opts.hosts, opts, undefined),
        );
      }
    });
    return {
      kind,
      engineVersion: engine.version,
      apiVersion: engine.apiVersion,
      hosts: opts.hosts,
      engineVolumes: ENGINE_VOLUMES,
      runs,
      engineAloneMs,
    };
  });
}

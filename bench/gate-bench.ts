// Benchmark: `dvol --json ls h` of one host with 5,000 volumes through a dvol gate, against the same
// command directly over the engine's own mutual-TLS port: same engine, same run, alternating.
// Target (issue 13): within 1.1x of direct (median of the per-pair wall-time ratios).
//
// The gate is the built CLI, `node bin/dvol.cjs gate --config gate.yaml`, as it runs on a host: its
// own process, in front of the engine's unix socket, with its own CA and a read-only client
// certificate, auditing to a file. Its CPU time is read from /proc/<pid>/stat around each gated run.
//
//   npx tsx bench/gate-bench.ts [--repeat N] [--volumes N] [--engines docker28,docker20]
//                               [--node FILE] [--gate-node FILE] [--no-build] [--profile] [--out FILE]
//
// --node runs the measured dvol processes and the gate on another Node (e.g. Node 24); --profile
// runs the gate under `node --cpu-prof` (its profile summarised in the results). As root, after
// scripts/testbed/install.sh; writes bench/gate-results.md.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { stringify } from "yaml";
import { type EngineKind, missingTestbedBinaries } from "../test/support/engines.js";
import { GATE_SERVER_NAME, type GatePki, generateGatePki } from "../test/support/gate.js";
import { generatePki } from "../test/support/pki.js";
import { GNU_TIME, log, median, min, ms, type RunSample, ratio, withCleanup } from "./lib.js";
import { plan, populate } from "./ls-bench.js";
import { newestProfile, renderProfile, summariseProfile } from "./profile.js";
import {
  cleanEnv,
  currentDvolBin,
  currentNode,
  REPO,
  runDvol,
  useNode,
  withEngine,
  writeDvolConfig,
} from "./testbed.js";

const run = promisify(execFile);
const TARGET = 1.1;

const { values: args } = parseArgs({
  options: {
    repeat: { type: "string", default: "11" },
    volumes: { type: "string", default: "5000" },
    engines: { type: "string", default: "docker28,docker20" },
    node: { type: "string" },
    out: { type: "string" },
    "no-build": { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    concurrency: { type: "string", default: "32" },
  },
});
const repeat = Number(args.repeat);
const volumes = Number(args.volumes);
const engines = (args.engines ?? "").split(",").filter(Boolean) as EngineKind[];

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? ok(a.port) : fail(new Error("no port"))));
    });
  });
}

/** CPU time (user + system) of a process so far, in ms, from /proc. */
async function cpuOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/**
 * One `GET /system/df?type=volume&verbose=1` (what `ls` asks) from this warm process on a fresh
 * mutual-TLS connection: milliseconds until the whole answer is read, and its size.
 */
function oneDf(
  port: number,
  servername: string,
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
): Promise<{ ms: number; bytes: number }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port,
        servername,
        ...tls,
        agent: false,
        path: "/system/df?type=volume&verbose=1",
        headers: { Host: "docker" },
      },
      (res) => {
        let bytes = 0;
        res.on("data", (c: Buffer) => {
          bytes += c.length;
        });
        res.on("end", () =>
          res.statusCode === 200
            ? resolve({ ms: performance.now() - t, bytes })
            : reject(new Error(`GET /system/df: HTTP ${res.statusCode}`)),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

interface Gate {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/** Starts `node bin/dvol.cjs gate --config FILE` and waits for its "listening" line. */
async function startGateProcess(
  dir: string,
  pki: GatePki,
  socket: string,
  profileDir: string | null,
): Promise<Gate> {
  const port = await freePort();
  const config = join(dir, "gate.yaml");
  await writeFile(
    config,
    stringify({
      listen: `127.0.0.1:${port}`,
      socket,
      tls: { ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key },
      clients: [{ subject: "dvol-reader", allow: ["read"] }],
      audit: join(dir, "gate-audit.jsonl"),
    }),
  );
  const nodeArgs = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [];
  const child = spawn(currentNode(), [...nodeArgs, currentDvolBin(), "gate", "--config", config], {
    env: cleanEnv(),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the gate did not start in 20 s: ${stderr}`)), 20_000);
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
      if (stderr.includes("listening on")) {
        clearTimeout(timer);
        ok();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`the gate exited ${code}: ${stderr}`));
    });
  });
  log(`gate: pid ${child.pid} on 127.0.0.1:${port}`);
  return {
    child,
    port,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok();
        child.once("exit", () => ok());
        child.kill("SIGTERM");
      }),
  };
}

interface Result {
  kind: EngineKind;
  engineVersion: string;
  apiVersion: string;
  direct: RunSample[];
  gated: RunSample[];
  ratios: number[];
  cpuRatios: number[];
  gateCpuMs: number[];
  /** The request alone from the warm harness: direct and gated, alternating. */
  dfDirectMs: number[];
  dfGatedMs: number[];
  dfBytes: number;
  gateRssKb: number;
  auditLines: number;
  profile: string | null;
}

async function benchOne(
  kind: EngineKind,
  dir: string,
  pki: Awaited<ReturnType<typeof generatePki>>,
  gatePki: GatePki,
): Promise<Result> {
  return withEngine(kind, pki, join(dir, kind), async (engine) => {
    const scratch = join(dir, `${kind}-scratch`);
    await mkdir(scratch, { recursive: true });
    const t0 = Date.now();
    await populate(engine, plan(volumes, "empty"), Number(args.concurrency));
    log(`${kind}: ${volumes} volumes in ${Math.round((Date.now() - t0) / 1000)} s`);
    const profileDir = args.profile ? join(REPO, "bench/profiles", `gate-${kind}`) : null;
    const gate = await startGateProcess(scratch, gatePki, engine.socketPath, profileDir);
    return withCleanup(`gate (pid ${gate.child.pid})`, gate.stop, async () => {
      const directConfig = await writeDvolConfig(join(scratch, "direct"), pki, [
        { name: "h", url: engine.url, serverName: engine.serverName },
      ]);
      const gatedConfig = join(scratch, "gated.yaml");
      await writeFile(
        gatedConfig,
        stringify({
          hosts: [
            {
              name: "h",
              url: `tcp://127.0.0.1:${gate.port}`,
              tls: {
                ca: `file:${gatePki.ca.cert}`,
                cert: `file:${gatePki.clients.reader.cert}`,
                key: `file:${gatePki.clients.reader.key}`,
                serverName: GATE_SERVER_NAME,
              },
            },
          ],
        }),
      );
      const direct = () => runDvol(["--config", directConfig, "--json", "ls", "h"], scratch);
      const gated = () => runDvol(["--config", gatedConfig, "--json", "ls", "h"], scratch);
      const check = (what: string, s: RunSample) => {
        if (s.code !== 0) throw new Error(`${what} exited ${s.code}: ${s.stderr.trim()}`);
      };
      // Warm-up, and the check that both answers are the same.
      const [d0, g0] = [await direct(), await gated()];
      check("direct", d0);
      check("gated", g0);
      if (d0.stdout !== g0.stdout) throw new Error("dvol ls answers differently through the gate");
      const listed = (JSON.parse(g0.stdout) as { hosts: { volumes?: unknown[] }[] }).hosts[0]?.volumes
        ?.length;
      if (!listed || listed < volumes) throw new Error(`dvol ls listed ${listed} volumes`);

      const res: Result = {
        kind,
        engineVersion: engine.version,
        apiVersion: engine.apiVersion,
        direct: [],
        gated: [],
        ratios: [],
        cpuRatios: [],
        gateCpuMs: [],
        dfDirectMs: [],
        dfGatedMs: [],
        dfBytes: 0,
        gateRssKb: 0,
        auditLines: 0,
        profile: null,
      };
      const pid = gate.child.pid as number;
      for (let r = 0; r < repeat; r++) {
        const measureGated = async () => {
          const c0 = await cpuOf(pid);
          const s = await gated();
          res.gateCpuMs.push((await cpuOf(pid)) - c0);
          return s;
        };
        let d: RunSample;
        let g: RunSample;
        if (r % 2 === 0) {
          d = await direct();
          g = await measureGated();
        } else {
          g = await measureGated();
          d = await direct();
        }
        check("direct", d);
        check("gated", g);
        res.direct.push(d);
        res.gated.push(g);
        res.ratios.push(g.wallMs / d.wallMs);
        res.cpuRatios.push(g.cpuMs / Math.max(d.cpuMs, 10));
        log(
          `${kind}: run ${r + 1}/${repeat}: direct ${Math.round(d.wallMs)} ms, gated ${Math.round(g.wallMs)} ms (gate CPU ${Math.round(res.gateCpuMs.at(-1) ?? 0)} ms)`,
        );
      }
      // The request alone, without the processes around it: the gate's own cost per ls.
      const direct0 = {
        ca: readFileSync(pki.ca.cert),
        cert: readFileSync(pki.client.cert),
        key: readFileSync(pki.client.key),
      };
      const gated0 = {
        ca: readFileSync(gatePki.ca.cert),
        cert: readFileSync(gatePki.clients.reader.cert),
        key: readFileSync(gatePki.clients.reader.key),
      };
      await oneDf(engine.port, engine.serverName, direct0);
      await oneDf(gate.port, GATE_SERVER_NAME, gated0);
      for (let r = 0; r < repeat * 2; r++) {
        const d = async () => res.dfDirectMs.push((await oneDf(engine.port, engine.serverName, direct0)).ms);
        const g = async () => {
          const a = await oneDf(gate.port, GATE_SERVER_NAME, gated0);
          res.dfGatedMs.push(a.ms);
          res.dfBytes = a.bytes;
        };
        if (r % 2 === 0) {
          await d();
          await g();
        } else {
          await g();
          await d();
        }
      }
      log(
        `${kind}: GET /system/df alone: direct ${Math.round(median(res.dfDirectMs))} ms, gated ${Math.round(median(res.dfGatedMs))} ms (${res.dfBytes} bytes)`,
      );
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      res.gateRssKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      await gate.stop();
      res.auditLines = (await readFile(join(scratch, "gate-audit.jsonl"), "utf8")).trim().split("\n").length;
      if (profileDir) res.profile = await newestProfile(profileDir);
      return res;
    });
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the benchmark runs dockerd: run it as root");
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing: apt-get install -y time`);
  const missing = missingTestbedBinaries();
  if (missing.length > 0) throw new Error(`missing ${missing.join(", ")}: run scripts/testbed/install.sh`);
  if (args.node) useNode(resolve(args.node));
  if (!args["no-build"]) {
    log("building dist/cli.cjs");
    await run(process.execPath, [join(REPO, "scripts/build.mjs")], { cwd: REPO });
  }
  const started = new Date();
  const loadStart = loadavg()[0] ?? 0;
  const dir = await mkdtemp(join(tmpdir(), "dvol-gate-bench-"));
  const results: Result[] = [];
  await withCleanup(
    `work dir ${dir}`,
    () => rm(dir, { recursive: true, force: true }),
    async () => {
      const pki = await generatePki(join(dir, "pki"));
      const gatePki = await generateGatePki(join(dir, "gate-pki"));
      for (const kind of engines) results.push(await benchOne(kind, dir, pki, gatePki));
    },
  );
  const { stdout: nodeVersion } = await run(currentNode(), ["--version"]);
  const { stdout: head } = await run("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO });
  const L: string[] = [
    "# dvol benchmark: `ls` through the gate",
    "",
    `- date: ${started.toISOString()}; commit ${head.trim()}; ${cpus().length} CPUs, ${cpus()[0]?.model.trim() ?? "?"}; load average (1 min) ${loadStart.toFixed(1)} at start, ${(loadavg()[0] ?? 0).toFixed(1)} at end`,
    `- measured processes (dvol and the gate) on node ${nodeVersion.trim()}`,
    `- method: \`node bin/dvol.cjs --json ls h\` of one host with ${volumes.toLocaleString("en")} empty volumes (50 in use), directly over the engine's mutual-TLS port and through \`node bin/dvol.cjs gate\` (its own process, in front of the engine's unix socket, auditing to a file), alternating, ${repeat} pairs after a warm-up whose answers are checked equal; wall time median / min; the gate's CPU from /proc around each gated run.`,
    "- reproduce: `npx tsx bench/gate-bench.ts --node N24 --repeat 21` (as root, after `bash scripts/testbed/install.sh`)",
    "",
    `| engine | direct: wall (median / min) | gated: wall (median / min) | gated / direct (median of pairs; min) | dvol CPU gated / direct (median) | the gate's CPU per ls (median) | the gate's peak RSS | target (${TARGET}x) |`,
    "|---|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const r of results) {
    const wall = (rs: RunSample[]) => rs.map((s) => s.wallMs);
    const med = median(r.ratios);
    L.push(
      `| ${r.kind} ${r.engineVersion} (API ${r.apiVersion}) | ${ms(median(wall(r.direct)))} / ${ms(min(wall(r.direct)))} | ${ms(median(wall(r.gated)))} / ${ms(min(wall(r.gated)))} | ${ratio(med)}; ${ratio(min(r.ratios))} | ${ratio(median(r.cpuRatios))} | ${ms(median(r.gateCpuMs))} | ${(r.gateRssKb / 1024).toFixed(1)} MB | ${med <= TARGET ? "met" : "**MISSED**"} |`,
    );
  }
  L.push(
    "",
    `The request alone: \`GET /system/df?type=volume&verbose=1\` (what \`ls\` asks) from the warm harness on a fresh mutual-TLS connection each time, direct and through the gate, alternating, ${repeat * 2} of each (wall time to the whole answer, median / min):`,
    "",
    "| engine | answer | direct | gated | gated - direct (medians) | gated / direct (medians) |",
    "|---|---:|---:|---:|---:|---:|",
  );
  for (const r of results) {
    const [d, g] = [median(r.dfDirectMs), median(r.dfGatedMs)];
    L.push(
      `| ${r.kind} | ${(r.dfBytes / 1024).toFixed(0)} KiB | ${ms(d)} / ${ms(min(r.dfDirectMs))} | ${ms(g)} / ${ms(min(r.dfGatedMs))} | ${ms(g - d)} | ${ratio(g / d)} |`,
    );
  }
  L.push("");
  for (const r of results) {
    L.push(`${r.kind}: ${r.auditLines} audit lines written by the gate.`);
    if (r.profile)
      L.push("", ...renderProfile(`The gate's profile (${r.kind})`, await summariseProfile(r.profile)));
  }
  const text = `${L.join("\n")}\n`;
  const out = args.out ? resolve(args.out) : join(REPO, "bench/gate-results.md");
  await writeFile(out, text);
  process.stdout.write(text);
  log(`wrote ${out}`);
}

main().catch((err: Error) => {
  log(err.stack ?? err.message);
  process.exit(1);
});

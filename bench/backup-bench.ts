// Benchmark (issue 11): backup and restore of a 1 GB volume, dvol against the classic recipe, on a
// real engine over mutual TLS, in the same rounds.
//
//   (a) dvol's backup: backupVolume to a local directory (LocalBackupStore), in a process of its
//       own (bench/backup-driver.ts bundled by esbuild, as the CLI is), so GNU time measures it;
//   (b) the classic recipe: `docker run --rm -v VOL:/data busybox tar czf - /data > FILE`, the
//       docker CLI over the same TLS endpoint, stdout to a file;
//   (c) dvol's restore: restoreBackup of (a)'s backup into a new volume (it creates the volume,
//       unpacks, reads the whole tree back and compares it with the manifest);
//   (d) the reverse recipe: `docker run --rm -i -v VOL2:/data busybox tar xzf - -C / < FILE`
//       (the archive's entries are `data/...`, so `-C /` lands them in /data).
//
// The volume is written straight into its mountpoint (as root), the same every run (a seeded
// generator): 20,000 files of 1 to 64 KiB (sizes uniform) in 100 directories, half of them random
// bytes and half log-like text, plus one large file of random bytes and one of log-like text.
// Every restored volume is checked against the original (file count and bytes, untimed).
//
// Each round runs (a) and (b), then (c) and (d), alternating which goes first; --baseline REF adds
// the dvol build of a git ref ("before") to every round, bundled from `git archive REF`.
//
//   npm run bench:backup -- [--rounds 5] [--engines docker28,docker20] [--node FILE]
//                           [--baseline REF] [--large-mib 192] [--small 20000] [--profile DIR]
//                           [--node-args="--max-old-space-size=64"] [--cli]
//
// --cli measures dvol now through its CLI (`node bin/dvol.cjs --config CFG --json backup h VOL`,
// `... restore h ID --as NAME`, DVOL_BACKUP_DIR set; built first), without the heap figures.
//
// As root, after scripts/testbed/install.sh. Prints a table and writes bench/backup-results.md.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { build, type Plugin } from "esbuild";
import {
  BUSYBOX_IMAGE,
  ENGINE_KINDS,
  type Engine,
  type EngineKind,
  importBusyboxImage,
  socketRequest,
} from "../test/support/engines.js";
import { generatePki } from "../test/support/pki.js";
import { fill, tally } from "./backup-volume.js";
import { log, median, min, type RunSample, timedRun, withCleanup } from "./lib.js";
import { newestProfile, renderProfile, summariseProfile } from "./profile.js";
import {
  cleanEnv,
  createVolume,
  currentNode,
  REPO,
  useNode,
  withEngine,
  writeDvolConfig,
} from "./testbed.js";

const TARGET = 0.8;
const run = promisify(execFile);

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    engines: { type: "string", default: "docker28" },
    node: { type: "string" },
    baseline: { type: "string" },
    "large-mib": { type: "string", default: "192" },
    small: { type: "string", default: "20000" },
    profile: { type: "string" },
    "node-args": { type: "string", default: "" },
    cli: { type: "boolean", default: false },
    out: { type: "string", default: join(REPO, "bench/backup-results.md") },
  },
});
const int = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1, got ${v}`);
  return n;
};
const opts = {
  rounds: int("rounds", args.rounds),
  engines: (args.engines ?? "").split(",") as EngineKind[],
  largeMiB: int("large-mib", args["large-mib"]),
  small: int("small", args.small),
  baseline: args.baseline ?? null,
  /** A directory for one `node --cpu-prof` profile of each dvol backup, after the rounds. */
  profile: args.profile ? resolve(args.profile) : null,
  out: resolve(args.out ?? ""),
  /** Node options for every dvol process (e.g. a smaller heap, to tell garbage from live memory). */
  nodeArgs: (args["node-args"] ?? "").split(" ").filter((a) => a !== ""),
  /** dvol now through its CLI (`node bin/dvol.cjs --json backup|restore`) rather than the driver. */
  cli: args.cli ?? false,
};
for (const e of opts.engines)
  if (!ENGINE_KINDS.includes(e)) throw new Error(`--engines: some of ${ENGINE_KINDS.join(", ")}`);
if (args.node) useNode(resolve(args.node));

// ---------------------------------------------------------------------------------------------------
// The dvol driver, bundled from this tree or from a git ref.

/** Bundles bench/backup-driver.ts against the src/ of `srcRoot` (this tree by default). */
async function bundleDriver(outfile: string, srcRoot: string): Promise<void> {
  const redirect: Plugin = {
    name: "src-root",
    setup(b) {
      b.onResolve({ filter: /^\.\.\/src\// }, (a) =>
        a.importer.endsWith("backup-driver.ts")
          ? { path: join(srcRoot, a.path.slice(3)).replace(/\.js$/, ".ts") }
          : undefined,
      );
    },
  };
  await build({
    entryPoints: [join(REPO, "bench/backup-driver.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    sourcemap: opts.profile !== null,
    external: ["@aws-sdk/*", "better-sqlite3"],
    alias: { yaml: join(REPO, "node_modules/yaml/browser/index.js") },
    nodePaths: [join(REPO, "node_modules")],
    plugins: [redirect],
    logLevel: "warning",
  });
}

async function baselineTree(ref: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const { stdout } = await run("git", ["-C", REPO, "rev-parse", "--short", ref]);
  await run("sh", ["-c", `git -C '${REPO}' archive '${ref}' src | tar -x -C '${dir}'`]);
  return stdout.trim();
}

// ---------------------------------------------------------------------------------------------------
// One engine.

type Op = "dvol" | "before" | "classic";
interface DriverMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}
interface Sample {
  engine: EngineKind;
  round: number;
  what: "backup" | "restore";
  op: Op;
  run: RunSample;
  /** CPU time dockerd spent during the run (from /proc), ms. */
  dockerdCpuMs: number;
  /** Size of the archive written (backups). */
  archiveBytes: number;
  /** dvol's own peaks of V8's heap and of buffers outside it (the driver's process.memoryUsage()). */
  heapBytes: number | null;
  buffersBytes: number | null;
  load: number;
}

const TICK_MS = 10;
async function cpuOf(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/stat`, "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

async function removeVolume(engine: Engine, name: string): Promise<void> {
  const res = await socketRequest(engine.socketPath, "DELETE", `/volumes/${name}`, 120_000);
  if (res.status !== 204 && res.status !== 404)
    throw new Error(`deleting ${name}: HTTP ${res.status} ${res.body}`);
}

async function mountpoint(engine: Engine, name: string): Promise<string> {
  const res = await socketRequest(engine.socketPath, "GET", `/volumes/${name}`);
  if (res.status !== 200) throw new Error(`inspect ${name}: HTTP ${res.status}`);
  return (JSON.parse(res.body) as { Mountpoint: string }).Mountpoint;
}

async function onEngine(kind: EngineKind, work: string, drivers: Partial<Record<Op, string>>) {
  const pki = await generatePki(join(work, `pki-${kind}`));
  return withEngine(kind, pki, join(work, kind), async (engine) => {
    await importBusyboxImage(engine);
    const config = await writeDvolConfig(join(work, `cfg-${kind}`), pki, [
      { name: "h", url: engine.url, serverName: engine.serverName },
    ]);
    const scratch = join(work, `scratch-${kind}`);
    const store = join(work, `store-${kind}`);
    await mkdir(scratch, { recursive: true });
    // The warm-up round (0) runs on a small volume of the same kinds of files.
    const warm = "bench-warm";
    const warmMix = await fill(await createVolume(engine, warm), 200, 2);
    const big = "bench-source";
    log(`${kind}: writing the volume (${opts.small} small files, 2 x ${opts.largeMiB} MiB)`);
    const mix = await fill(await createVolume(engine, big), opts.small, opts.largeMiB);
    log(`${kind}: ${(mix.bytes / 2 ** 20).toFixed(0)} MiB in ${mix.files} files`);
    let source = warm;
    let current = warmMix;

    const dockerEnv = cleanEnv(engine.dockerEnv);
    const measure = async (
      op: Op,
      what: "backup" | "restore",
      round: number,
      target: string,
      nodeArgs: string[] = [],
    ): Promise<Sample> => {
      const before = await cpuOf(engine.pid);
      let sample: RunSample;
      let archiveBytes = 0;
      let memory: DriverMemory | null = null;
      if (op === "classic") {
        const file = join(scratch, `classic-${round}.tar.gz`);
        sample =
          what === "backup"
            ? await timedRun(
                engine.dockerCli,
                ["run", "--rm", "-v", `${source}:/data`, BUSYBOX_IMAGE, "tar", "czf", "-", "/data"],
                { env: dockerEnv, scratchDir: scratch, stdoutFile: file, timeoutMs: 900_000 },
              )
            : await timedRun(
                engine.dockerCli,
                ["run", "--rm", "-i", "-v", `${target}:/data`, BUSYBOX_IMAGE, "tar", "xzf", "-", "-C", "/"],
                { env: dockerEnv, scratchDir: scratch, stdinFile: file, timeoutMs: 900_000 },
              );
        if (what === "backup") archiveBytes = (await stat(file)).size;
      } else {
        const driver = drivers[op];
        if (!driver) throw new Error(`no driver for ${op}`);
        const asName = `${source}-${op}-${round}`;
        const cli = opts.cli && op === "dvol";
        const argv = cli
          ? what === "backup"
            ? ["--config", config, "--json", "backup", "h", source]
            : ["--config", config, "--json", "restore", "h", target, "--as", asName]
          : what === "backup"
            ? ["backup", config, "h", source, join(store, op)]
            : ["restore", config, "h", target, asName, join(store, op)];
        sample = await timedRun(currentNode(), [...opts.nodeArgs, ...nodeArgs, driver, ...argv], {
          env: cleanEnv(cli ? { DVOL_BACKUP_DIR: join(store, op) } : {}),
          cwd: scratch,
          scratchDir: scratch,
          timeoutMs: 900_000,
        });
        if (sample.code === 0 && cli && what === "backup") {
          const out = JSON.parse(sample.stdout) as {
            volumes: { backup: { id: string; sizeBytes: number } }[];
          };
          const b = out.volumes[0]?.backup;
          archiveBytes = b?.sizeBytes ?? 0;
          sample.stdout = b?.id ?? "";
        } else if (sample.code === 0 && !cli) {
          const out = JSON.parse(sample.stdout) as { id?: string; bytes?: number; memory: DriverMemory };
          archiveBytes = out.bytes ?? 0;
          memory = out.memory;
          sample.stdout = out.id ?? "";
        }
      }
      if (sample.code !== 0)
        throw new Error(`${kind} ${op} ${what} (round ${round}) exited ${sample.code}: ${sample.stderr}`);
      const s: Sample = {
        engine: kind,
        round,
        what,
        op,
        run: sample,
        dockerdCpuMs: (await cpuOf(engine.pid)) - before,
        archiveBytes,
        heapBytes: memory?.heapTotal ?? null,
        buffersBytes: memory ? Math.max(memory.external, memory.arrayBuffers) : null,
        load: loadavg()[0] ?? 0,
      };
      log(
        `${kind} r${round} ${what} ${op}: ${(sample.wallMs / 1000).toFixed(1)} s, ${((current.bytes / 2 ** 20 / sample.wallMs) * 1000).toFixed(0)} MiB/s, cpu ${(sample.cpuMs / 1000).toFixed(1)} s, rss ${(sample.maxRssBytes / 2 ** 20).toFixed(0)} MiB${s.heapBytes !== null ? ` (heap ${(s.heapBytes / 2 ** 20).toFixed(0)}, buffers ${((s.buffersBytes ?? 0) / 2 ** 20).toFixed(0)})` : ""}, dockerd cpu ${(s.dockerdCpuMs / 1000).toFixed(1)} s, load ${s.load.toFixed(2)}`,
      );
      return s;
    };

    const dvolOps = (["dvol", "before"] as const).filter((o) => drivers[o]);
    const samples: Sample[] = [];
    const checkRestored = async (name: string, what: string) => {
      const got = await tally(await mountpoint(engine, name));
      if (got.files !== current.files || got.bytes !== current.bytes)
        throw new Error(
          `${what}: restored ${got.files} files, ${got.bytes} bytes; expected ${current.files}, ${current.bytes}`,
        );
    };

    for (let round = 0; round <= opts.rounds; round++) {
      // Round 0 is the warm-up, on the small volume: measured, not kept.
      if (round > 0) [source, current] = [big, mix];
      const order: Op[] = round % 2 === 1 ? [...dvolOps, "classic"] : ["classic", ...dvolOps];
      const kept: Sample[] = [];
      for (const op of order) {
        const s = await measure(op, "backup", round, "");
        kept.push(s);
      }
      for (const op of order) {
        const target = `${source}-${op}-${round}`;
        const backupId =
          op === "classic" ? "" : (kept.find((k) => k.op === op && k.what === "backup")?.run.stdout ?? "");
        const s = await measure(op, "restore", round, op === "classic" ? target : backupId);
        kept.push(s);
        await checkRestored(target, `${kind} ${op} restore`);
        await removeVolume(engine, target);
      }
      await rm(store, { recursive: true, force: true });
      await rm(join(scratch, `classic-${round}.tar.gz`), { force: true });
      if (round > 0) samples.push(...kept);
    }
    const profiles: string[] = [];
    if (opts.profile) {
      for (const op of dvolOps) {
        const dir = join(opts.profile, `${kind}-${op}`);
        await mkdir(dir, { recursive: true });
        log(`${kind}: profiling ${op}'s backup into ${dir}`);
        const s = await measure(op, "backup", 99, "", ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
        await rm(store, { recursive: true, force: true });
        // Summarised now, while the bundle and its source map are still there.
        const summary = await summariseProfile(await newestProfile(dir), 15);
        profiles.push(
          ...renderProfile(
            `${kind}: CPU profile of dvol ${op === "before" ? "before" : "now"}'s backup (main thread; ${sec(s.run.wallMs)} wall, ${sec(s.run.cpuMs)} CPU of the whole process)`,
            summary,
          ),
        );
      }
    }
    await removeVolume(engine, big);
    await removeVolume(engine, warm);
    return { kind, version: engine.version, apiVersion: engine.apiVersion, mix, samples, profiles };
  });
}

// ---------------------------------------------------------------------------------------------------

type Result = Awaited<ReturnType<typeof onEngine>>;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the benchmark runs dockerd: run it as root");
  const work = await mkdtemp(join(tmpdir(), "dvol-backup-bench-"));
  await withCleanup(
    `work dir ${work}`,
    () => rm(work, { recursive: true, force: true }),
    async () => {
      const drivers: Partial<Record<Op, string>> = {};
      if (opts.cli) {
        log("building the CLI (scripts/build.mjs)");
        await run(process.execPath, [join(REPO, "scripts/build.mjs")], { cwd: REPO });
        drivers.dvol = join(REPO, "bin/dvol.cjs");
      } else {
        drivers.dvol = join(work, "driver-now.cjs");
        await bundleDriver(drivers.dvol, REPO);
      }
      let baselineRef: string | null = null;
      if (opts.baseline) {
        baselineRef = await baselineTree(opts.baseline, join(work, "baseline"));
        drivers.before = join(work, "driver-before.cjs");
        await bundleDriver(drivers.before, join(work, "baseline"));
      }
      const { stdout: nodeVersion } = await run(currentNode(), ["--version"]);
      const loadStart = loadavg()[0] ?? 0;
      const results: Result[] = [];
      for (const kind of opts.engines) results.push(await onEngine(kind, work, drivers));
      const report = render(results, nodeVersion.trim(), baselineRef, loadStart);
      process.stdout.write(`${report}\n`);
      await mkdir(dirname(opts.out), { recursive: true });
      await writeFile(opts.out, report);
      log(`wrote ${opts.out}`);
    },
  );
}

const MiB = 2 ** 20;
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mibs = (bytes: number, ms: number) => `${((bytes / MiB / ms) * 1000).toFixed(1)} MiB/s`;
const mib = (b: number) => `${(b / MiB).toFixed(0)} MiB`;

function render(
  results: Result[],
  nodeVersion: string,
  baselineRef: string | null,
  loadStart: number,
): string {
  const first = results[0];
  const mix = first?.mix;
  const lines = [
    "# Backup and restore of a 1 GB volume against the classic recipe",
    "",
    mix
      ? `The volume: ${mix.smallFiles.toLocaleString("en-US")} files of 1 to 64 KiB (sizes uniform; half random bytes, half log-like text) in 100 directories, ${mib(mix.smallBytes)}, and two files of ${opts.largeMiB} MiB (random bytes; log-like text): ${mib(mix.bytes)} (${mix.bytes.toLocaleString("en-US")} bytes) in ${mix.files.toLocaleString("en-US")} files.`
      : "",
    `dvol: ${opts.cli ? "its CLI, `dvol --json backup h VOL` to a local directory (DVOL_BACKUP_DIR) and `dvol --json restore h ID --as NAME`" : "backupVolume to a local directory and restoreBackup into a new volume"} (the restore reads the tree back and compares it with the manifest), each a process of its own over mutual TLS. ` +
      "Classic: `docker run --rm -v VOL:/data busybox tar czf - /data > FILE`, and `docker run --rm -i -v VOL2:/data busybox tar xzf - -C / < FILE`, the docker CLI over the same TLS endpoint. Both gzip at level 6.",
    `${opts.rounds} rounds after a warm-up round (the same runs on a volume of 200 small files and two of 2 MiB), alternating which runs first; median (min) of the rounds. Throughput is the volume's content bytes over the whole process's wall time; ratios are medians of the per-round ratios (dvol's throughput over the classic recipe's). Peak memory is the measured process's (GNU time); the classic recipe's tar and gzip run in the container, so their CPU and memory are not in its figures; dockerd's CPU is read from /proc for both.`,
    "",
  ];
  for (const r of results) {
    lines.push(`## ${r.kind}: dockerd ${r.version} (API ${r.apiVersion})`, "");
    lines.push(
      "| run | wall, median (min) | throughput, median | process CPU | dockerd CPU | peak memory, max (V8 heap, buffers) | archive |",
      "|---|---:|---:|---:|---:|---:|---:|",
    );
    const ops = (["dvol", "before", "classic"] as const).filter((o) => r.samples.some((s) => s.op === o));
    const label = (op: Op, what: string) =>
      op === "classic"
        ? what === "backup"
          ? "classic `tar czf`"
          : "reverse `tar xzf`"
        : `dvol ${op === "before" ? `before (${baselineRef})` : opts.cli ? "now, CLI" : "now"}`;
    for (const what of ["backup", "restore"] as const) {
      for (const op of ops) {
        const xs = r.samples.filter((s) => s.op === op && s.what === what);
        const wall = xs.map((s) => s.run.wallMs);
        lines.push(
          `| ${what}: ${label(op, what)} | ${sec(median(wall))} (${sec(min(wall))}) | ${mibs(r.mix.bytes, median(wall))} | ${sec(median(xs.map((s) => s.run.cpuMs)))} | ${sec(median(xs.map((s) => s.dockerdCpuMs)))} | ${mib(Math.max(...xs.map((s) => s.run.maxRssBytes)))}${op === "classic" || xs.every((s) => s.heapBytes === null) ? "" : ` (${mib(Math.max(...xs.map((s) => s.heapBytes ?? 0)))}, ${mib(Math.max(...xs.map((s) => s.buffersBytes ?? 0)))})`} | ${what === "backup" ? mib(median(xs.map((s) => s.archiveBytes))) : ""} |`,
        );
      }
    }
    lines.push("");
    for (const what of ["backup", "restore"] as const) {
      for (const op of ops.filter((o) => o !== "classic")) {
        const ratios = r.samples
          .filter((s) => s.op === op && s.what === what)
          .map((s) => {
            const c = r.samples.find((x) => x.op === "classic" && x.what === what && x.round === s.round);
            return c ? c.run.wallMs / s.run.wallMs : Number.NaN;
          });
        const m = median(ratios);
        lines.push(
          `- ${what}, dvol ${op === "before" ? "before" : "now"} / classic throughput: **${m.toFixed(2)}x** (rounds: ${ratios.map((x) => x.toFixed(2)).join(", ")})${what === "backup" ? ` — target ≥ ${TARGET}x: ${m >= TARGET ? "met" : "not met"}` : ""}`,
        );
      }
    }
    if (r.samples.some((s) => s.op === "before")) {
      for (const what of ["backup", "restore"] as const) {
        const ratios = r.samples
          .filter((s) => s.op === "dvol" && s.what === what)
          .map((s) => {
            const b = r.samples.find((x) => x.op === "before" && x.what === what && x.round === s.round);
            return b ? b.run.wallMs / s.run.wallMs : Number.NaN;
          });
        lines.push(`- ${what}, now / before throughput: **${median(ratios).toFixed(2)}x**`);
      }
    }
    const loads = r.samples.map((s) => s.load);
    lines.push(
      `- load average (1 min) after each run: ${Math.min(...loads).toFixed(2)} to ${Math.max(...loads).toFixed(2)}, median ${median(loads).toFixed(2)}`,
      "",
      ...r.profiles,
    );
  }
  lines.push(
    `Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), shared; load average ${loadStart.toFixed(2)} at the start, ${loadavg()[0]?.toFixed(2)} at the end. Node ${nodeVersion} for the dvol processes.`,
    `Run: \`npm run bench:backup -- --rounds ${opts.rounds} --engines ${opts.engines.join(",")}${args.node ? " --node N24" : ""}${opts.baseline ? ` --baseline ${opts.baseline}` : ""}${opts.largeMiB !== 192 ? ` --large-mib ${opts.largeMiB}` : ""}${opts.small !== 20000 ? ` --small ${opts.small}` : ""}${opts.nodeArgs.length ? ` --node-args="${opts.nodeArgs.join(" ")}"` : ""}${opts.cli ? " --cli" : ""}\`, ${new Date().toISOString()}.`,
    "",
  );
  return lines.join("\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`backup-bench: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});

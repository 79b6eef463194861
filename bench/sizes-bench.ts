// Benchmark of issue 12 (sizes on big hosts), on demand: `npx tsx bench/sizes-bench.ts [--files N]
// [--rounds R]`, as root. An engine of its own (docker 20.10) with one volume of N small files
// (default 2,000,000: 300,000 written, the rest hard links of them, which the engine walks and
// stats one by one all the same), so that its /system/df takes seconds. Measured, in the same run,
// whole processes: `dvol --json ls h` with remembered sizes (a new volume each round, so that the
// remembered measurement does not know every volume and a new one is started and not waited for),
// `dvol --json ls h --fresh`, and `docker system df -v` over the same mutual-TLS endpoint.
// Writes bench/sizes-results.md.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { generatePki } from "../test/support/pki.js";
import { log, median, min, ms, type RunSample, ratio, timedRun, withCleanup } from "./lib.js";
import { createVolume, currentNode, REPO, runDvol, withEngine, writeDvolConfig } from "./testbed.js";

const run = promisify(execFile);
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
};
const FILES = arg("files", 2_000_000);
const ROUNDS = arg("rounds", 5);
const TEMPLATE = 300_000;

/** Writes TEMPLATE files and hard-links copies of them; returns how many entries there are. */
async function fill(mountpoint: string): Promise<number> {
  const base = join(mountpoint, "t0");
  for (let d = 0; d < TEMPLATE / 1000; d++) {
    const dir = join(base, `d${d}`);
    await mkdir(dir, { recursive: true });
    await Promise.all(Array.from({ length: 1000 }, (_, f) => writeFile(join(dir, `f${f}`), "x")));
  }
  let copies = 1;
  for (; copies * TEMPLATE < FILES; copies++) {
    await run("cp", ["-al", base, join(mountpoint, `t${copies}`)]);
    log(`files: ${(copies + 1) * TEMPLATE}`);
  }
  return copies * TEMPLATE;
}

function check(what: string, s: RunSample): RunSample {
  if (s.code !== 0) throw new Error(`${what} exited ${s.code}: ${s.stderr.trim() || s.stdout.slice(0, 300)}`);
  return s;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the benchmark runs dockerd: run it as root");
  const work = await mkdtemp(join(tmpdir(), "dvol-sizes-bench-"));
  await withCleanup(
    `work dir ${work}`,
    () => rm(work, { recursive: true, force: true }),
    async () => {
      const pki = await generatePki(join(work, "pki"));
      await withEngine("docker20", pki, join(work, "docker20"), async (engine) => {
        const mountpoint = await createVolume(engine, "many-files");
        log(`writing ${FILES} files`);
        const files = await fill(mountpoint);
        const scratch = join(work, "scratch");
        await mkdir(scratch, { recursive: true });
        const config = await writeDvolConfig(scratch, pki, [
          { name: "h", url: engine.url, serverName: engine.serverName },
        ]);
        const dvol = (...args: string[]) =>
          runDvol(["--config", config, "--json", "ls", "h", ...args], scratch);
        const docker = () =>
          timedRun(engine.dockerCli, ["system", "df", "-v"], {
            env: { ...process.env, ...engine.dockerEnv },
            cwd: scratch,
            scratchDir: scratch,
            timeoutMs: 600_000,
          });
        // Warm-up (not counted), and the first remembered measurement.
        check("docker system df -v (warm-up)", await docker());
        check("dvol ls --fresh (warm-up)", await dvol("--fresh"));
        const remembered: RunSample[] = [];
        const fresh: RunSample[] = [];
        const dockerRuns: RunSample[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          await createVolume(engine, `new-${r}`);
          const s = check("dvol ls", await dvol());
          const h = (JSON.parse(s.stdout) as { hosts: { sizes?: { fresh: boolean } }[] }).hosts[0];
          if (h?.sizes?.fresh !== false)
            throw new Error(`ls was not answered with remembered sizes: ${s.stdout.slice(0, 300)}`);
          remembered.push(s);
          fresh.push(check("dvol ls --fresh", await dvol("--fresh")));
          dockerRuns.push(check("docker system df -v", await docker()));
          log(
            `round ${r + 1}/${ROUNDS}: remembered ${ms(s.wallMs)}, --fresh ${ms(fresh.at(-1)?.wallMs ?? 0)}, docker ${ms(dockerRuns.at(-1)?.wallMs ?? 0)}`,
          );
        }
        const wall = (xs: RunSample[]) => xs.map((x) => x.wallMs);
        const ratios = fresh.map((f, i) => f.wallMs / (dockerRuns[i]?.wallMs ?? Number.NaN));
        const { stdout: nodeVersion } = await run(currentNode(), ["--version"]);
        const row = (what: string, xs: RunSample[]) =>
          `| ${what} | ${ms(median(wall(xs)))} | ${ms(min(wall(xs)))} | ${ms(median(xs.map((x) => x.cpuMs)))} |`;
        const md = [
          `# Sizes on big hosts (issue 12), ${new Date().toISOString().slice(0, 10)}`,
          "",
          `Node ${nodeVersion.trim()}, docker ${engine.version} (API ${engine.apiVersion}), one volume of ${files.toLocaleString("en")} files (${TEMPLATE.toLocaleString("en")} written, the rest hard links), ${ROUNDS} rounds, whole processes over mutual TLS.`,
          "",
          "| run | wall, median | wall, min | CPU, median |",
          "|---|---:|---:|---:|",
          row("`dvol --json ls h`, remembered sizes", remembered),
          row("`dvol --json ls h --fresh`", fresh),
          row("`docker system df -v`", dockerRuns),
          "",
          `--fresh / docker system df -v, median of the per-round ratios: ${ratio(median(ratios))}`,
          "",
        ].join("\n");
        await writeFile(join(REPO, "bench/sizes-results.md"), md);
        log(md);
      });
    },
  );
}

await main();

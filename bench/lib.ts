// Shared pieces of the benchmarks: timed child processes (wall time and peak memory), statistics,
// bounded concurrency, and a clean-up registry that also runs on Ctrl-C.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * Peak memory comes from GNU time (`/usr/bin/time -f %M`, the child's max RSS in KiB; %U %S give
 * its CPU time), wrapped
 * around every measured process, dvol and docker alike, so both pay the same (tiny) fork cost.
 */
export const GNU_TIME = "/usr/bin/time";

export interface RunSample {
  /** Wall time of the whole process, from spawn to exit, measured here. */
  wallMs: number;
  /** Peak resident set size of the measured process, in bytes (GNU time's %M). */
  maxRssBytes: number;
  /** CPU time of the measured process, user + system (GNU time's %U + %S, 10 ms resolution). */
  cpuMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface TimedRunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Where GNU time writes its figures (a scratch directory of the benchmark). */
  scratchDir: string;
  /**
   * "pipe" (default): stdout is read by this process, as a pipe into another program would be;
   * "null": stdout is /dev/null (nothing read back: `stdout` is empty), as the output thrown away.
   */
  stdout?: "pipe" | "null";
  /** Writes stdout to this file instead (a `> file` redirection); `stdout` is then empty. */
  stdoutFile?: string;
  /** Reads stdin from this file (a `< file` redirection); otherwise stdin is closed. */
  stdinFile?: string;
}

let runCounter = 0;

/** Runs `file args` under GNU time and measures it. Never throws for a non-zero exit: check `code`. */
export async function timedRun(file: string, args: string[], opts: TimedRunOptions): Promise<RunSample> {
  const rssFile = join(opts.scratchDir, `rss-${process.pid}-${++runCounter}.txt`);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const inFd = opts.stdinFile ? openSync(opts.stdinFile, "r") : null;
  const outFd = opts.stdoutFile ? openSync(opts.stdoutFile, "w", 0o600) : null;
  const started = process.hrtime.bigint();
  const child = spawn(GNU_TIME, ["-f", "%M %U %S", "-o", rssFile, file, ...args], {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: [inFd ?? "ignore", outFd ?? (opts.stdout === "null" ? "ignore" : "pipe"), "pipe"],
    detached: true, // own process group, so a timeout ends the measured process too
  });
  // The child has its own copies of the descriptors.
  if (inFd !== null) closeSync(inFd);
  if (outFd !== null) closeSync(outFd);
  child.stdout?.on("data", (c: Buffer) => stdout.push(c));
  child.stderr?.on("data", (c: Buffer) => stderr.push(c));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid) process.kill(-child.pid, "SIGKILL");
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (timedOut) throw new Error(`${file} ${args.join(" ")}: no exit within ${timeoutMs} ms`);
  const rssText = existsSync(rssFile) ? await readFile(rssFile, "utf8") : "";
  await rm(rssFile, { force: true });
  // GNU time writes "Command exited with non-zero status N" before the figures when the exit isn't 0.
  const [kib, user, sys] = (rssText.trim().split("\n").pop() ?? "").split(" ").map(Number);
  if (!kib || !Number.isFinite(kib) || user === undefined || sys === undefined) {
    throw new Error(`no figures from ${GNU_TIME}: ${JSON.stringify(rssText)}`);
  }
  return {
    wallMs,
    maxRssBytes: kib * 1024,
    cpuMs: (user + sys) * 1000,
    code,
    stdout: Buffer.concat(stdout).toString(),
    stderr: Buffer.concat(stderr).toString(),
  };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export const min = (xs: readonly number[]): number => Math.min(...xs);
export const max = (xs: readonly number[]): number => Math.max(...xs);

export const ms = (x: number): string => `${Math.round(x)} ms`;
export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
export const ratio = (x: number): string => `${x.toFixed(2)}x`;

/** Runs `fn` on every item, at most `limit` at once; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Clean-up that runs at the end of each benchmark, and on SIGINT/SIGTERM of the whole run.

interface Cleanup {
  what: string;
  /** Runs the clean-up once; later calls return the same promise (so a signal can wait for it). */
  run: () => Promise<void>;
}

const cleanups: Cleanup[] = [];
let signalHooked = false;

function hookSignals(): void {
  if (signalHooked) return;
  signalHooked = true;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      log(`${sig}: cleaning up before exit`);
      void (async () => {
        // Innermost first (proxies before their engine, engines before the work dir); clean-ups
        // already under way are waited for, not started twice.
        for (const c of [...cleanups].reverse()) {
          await c.run().catch((e: Error) => log(`clean-up of ${c.what} failed: ${e.message}`));
        }
        process.exit(130);
      })();
    });
  }
}

/** Runs `body`, then `cleanup` whatever happens (also on Ctrl-C or SIGTERM while `body` runs). */
export async function withCleanup<T>(
  what: string,
  cleanup: () => Promise<void>,
  body: () => Promise<T>,
): Promise<T> {
  hookSignals();
  let running: Promise<void> | undefined;
  const entry: Cleanup = {
    what,
    run: () => {
      running ??= cleanup().finally(() => {
        const i = cleanups.indexOf(entry);
        if (i >= 0) cleanups.splice(i, 1);
      });
      return running;
    },
  };
  cleanups.push(entry);
  let result: T;
  try {
    result = await body();
  } catch (err) {
    // The benchmark's own error is the one to report; a clean-up failure on top is only logged.
    await entry.run().catch((e: Error) => log(`clean-up of ${what} failed: ${e.message}`));
    throw err;
  }
  await entry.run();
  return result;
}

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

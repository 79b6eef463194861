// The benchmarks' use of the test bed (test/support): an engine of their own, in their own temp
// dir, always stopped; dvol config files that reach it over mutual TLS; and a dvol CLI runner.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { type Engine, type EngineKind, socketRequest, startEngine } from "../test/support/engines.js";
import type { Pki } from "../test/support/pki.js";
import { log, type RunSample, timedRun, withCleanup } from "./lib.js";

export const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
export const DVOL_BIN = join(REPO, "bin/dvol.cjs");
let dvolBin = DVOL_BIN;

/** Measures another build of the CLI instead of bin/dvol.cjs (e.g. a candidate fix, built elsewhere). */
export function useDvolBin(file: string): void {
  dvolBin = file;
}

export const currentDvolBin = (): string => dvolBin;

let nodeBin = process.execPath;

/** Runs the measured dvol processes (and `node -e 0`) on another Node binary (--node). */
export function useNode(file: string): void {
  nodeBin = file;
}

/** The Node binary that runs the measured processes (this process's own by default). */
export const currentNode = (): string => nodeBin;

/** Starts an engine of `kind` under `dir`, runs `body`, and stops the engine whatever happens. */
export async function withEngine<T>(
  kind: EngineKind,
  pki: Pki,
  dir: string,
  body: (engine: Engine) => Promise<T>,
): Promise<T> {
  log(`${kind}: starting dockerd in ${dir}`);
  const engine = await startEngine({ kind, pki, dir, startTimeoutMs: 60_000 });
  log(`${kind}: ${engine.version} (API ${engine.apiVersion}), pid ${engine.pid}, ${engine.url}`);
  return withCleanup(
    `${kind} engine (pid ${engine.pid})`,
    async () => {
      log(`${kind}: stopping dockerd (pid ${engine.pid})`);
      await engine.stop();
      // The data root holds thousands of volumes: remove it now rather than leave it to the end.
      await rm(dir, { recursive: true, force: true });
    },
    () => body(engine),
  );
}

export interface DvolHost {
  name: string;
  /** tcp://HOST:PORT of the engine, or of a proxy in front of it. */
  url: string;
  serverName: string;
}

/** Writes a dvol config (like test/support/dvol.ts's writeConfig + engineHost) and returns its path. */
export async function writeDvolConfig(dir: string, pki: Pki, hosts: DvolHost[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "dvol.config.yaml");
  const doc = {
    hosts: hosts.map((h) => ({
      name: h.name,
      url: h.url,
      tls: {
        ca: `file:${pki.ca.cert}`,
        cert: `file:${pki.client.cert}`,
        key: `file:${pki.client.key}`,
        serverName: h.serverName,
      },
    })),
  };
  await writeFile(file, stringify(doc));
  return file;
}

/** Environment for measured processes: the caller's, minus anything Docker or dvol would read. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("DOCKER_") || k.startsWith("DVOL_") || k.startsWith("NODE_")) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** One whole `node bin/dvol.cjs ...` process, measured. */
export function runDvol(
  args: string[],
  scratchDir: string,
  nodeArgs: string[] = [],
  stdout: "pipe" | "null" = "pipe",
): Promise<RunSample> {
  return timedRun(nodeBin, [...nodeArgs, dvolBin, ...args], {
    env: cleanEnv(),
    cwd: scratchDir,
    scratchDir,
    stdout,
  });
}

/** One whole `node FILE ...` process of another build of the CLI, measured like runDvol. */
export function runDvolFile(
  file: string,
  args: string[],
  scratchDir: string,
  stdout: "pipe" | "null" = "pipe",
): Promise<RunSample> {
  return timedRun(nodeBin, [file, ...args], { env: cleanEnv(), cwd: scratchDir, scratchDir, stdout });
}

/** POST /volumes/create on the engine's unix socket; returns the volume's mountpoint. */
export async function createVolume(
  engine: Engine,
  name: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const res = await socketRequest(engine.socketPath, "POST", "/volumes/create", 60_000, {
    Name: name,
    Driver: "local",
    Labels: labels,
  });
  if (res.status !== 201) throw new Error(`creating volume ${name}: HTTP ${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { Mountpoint: string }).Mountpoint;
}

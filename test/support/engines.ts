// Real Docker engines for the integration tests: bookworm's dockerd 20.10 (API 1.41) and forky's
// dockerd 28.x (API 1.51), each with its own data root, exec root, managed containerd, unix socket
// and a mutual-TLS TCP listener on loopback. Binaries come from scripts/testbed/install.sh.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, open, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { ENGINE_SERVER_NAME, type Pki } from "./pki.js";

const run = promisify(execFile);

export type EngineKind = "docker20" | "docker28";
export const ENGINE_KINDS: readonly EngineKind[] = ["docker20", "docker28"];

/** JSON-serialisable description of a running engine (what tests receive). */
export interface EngineInfo {
  kind: EngineKind;
  /** Engine version as reported by /version, e.g. "20.10.24+dfsg1" or "28.5.2+dfsg4". */
  version: string;
  /** API version as reported by /version, e.g. "1.41" or "1.51". */
  apiVersion: string;
  /** tcp://127.0.0.1:PORT — mutual TLS only (server cert SANs: localhost, engine.dvol.test, 127.0.0.1). */
  url: string;
  port: number;
  /** The engine's unix socket (no TLS). */
  socketPath: string;
  /** A name in the server certificate, for SNI / hostname verification: "engine.dvol.test". */
  serverName: string;
  dir: string;
  dataRoot: string;
  execRoot: string;
  /** A docker CLI that speaks this engine's API (20.10 CLI for docker20, 28.x CLI for docker28). */
  dockerCli: string;
  /** DOCKER_HOST (the tcp url), DOCKER_TLS_VERIFY=1, DOCKER_CERT_PATH (valid client), DOCKER_CONFIG. */
  dockerEnv: Record<string, string>;
  pid: number;
  logFile: string;
}

export interface Engine extends EngineInfo {
  /** Removes all containers, stops dockerd (SIGTERM, SIGKILL after 10 s) and its containerd and shims. */
  stop(): Promise<void>;
}

export interface StartEngineOptions {
  kind: EngineKind;
  pki: Pki;
  /** Directory owned by this engine (created if missing). */
  dir: string;
  /** How long to wait for /_ping (default 30 s). */
  startTimeoutMs?: number;
}

const SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

export function forkyCacheDir(): string {
  return process.env.DVOL_TESTBED_CACHE ?? "/var/cache/dvol-testbed/forky";
}

export interface EngineBinaries {
  dockerd: string;
  containerd: string;
  dockerCli: string;
  runc: string;
  /** PATH given to dockerd: decides which containerd, shim and runc it uses. */
  path: string;
}

export function engineBinaries(kind: EngineKind): EngineBinaries {
  if (kind === "docker20") {
    return {
      dockerd: "/usr/sbin/dockerd",
      containerd: "/usr/bin/containerd",
      dockerCli: "/usr/bin/docker",
      runc: "/usr/sbin/runc",
      path: SYSTEM_PATH,
    };
  }
  const root = join(forkyCacheDir(), "root");
  return {
    dockerd: join(root, "usr/sbin/dockerd"),
    containerd: join(root, "usr/bin/containerd"),
    dockerCli: join(root, "usr/bin/docker"),
    // forky's runc needs a newer glibc than bookworm's: bookworm's runc serves both engines.
    runc: "/usr/sbin/runc",
    path: `${join(root, "usr/sbin")}:${join(root, "usr/bin")}:${SYSTEM_PATH}`,
  };
}

/** Paths of the binaries the test bed needs that are missing on this machine. */
export function missingTestbedBinaries(): string[] {
  const needed = new Set<string>(["/bin/busybox", "/usr/bin/openssl"]);
  for (const kind of ENGINE_KINDS) {
    const b = engineBinaries(kind);
    for (const p of [b.dockerd, b.containerd, b.dockerCli, b.runc]) needed.add(p);
  }
  return [...needed].filter((p) => !existsSync(p));
}

// ---------------------------------------------------------------------------------------------------
// Talking to an engine over its unix socket.

export interface ApiResponse {
  status: number;
  body: string;
}

/** One HTTP request to the engine's unix socket (no TLS); `body` is sent as JSON. */
export function socketRequest(
  socketPath: string,
  method: string,
  path: string,
  timeoutMs = 10_000,
  body?: unknown,
): Promise<ApiResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = payload === undefined ? {} : { "Content-Type": "application/json" };
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms: ${method} ${path}`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** GET a JSON document from the engine's unix socket; throws unless 2xx. */
export async function socketGetJson<T>(socketPath: string, path: string): Promise<T> {
  const res = await socketRequest(socketPath, "GET", path);
  if (res.status < 200 || res.status >= 300) throw new Error(`GET ${path}: HTTP ${res.status} ${res.body}`);
  return JSON.parse(res.body) as T;
}

/** Environment without any DOCKER_* variable of the caller, so nothing leaks into a CLI run. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("DOCKER_")) env[k] = v;
  return env;
}

/**
 * Runs the engine's docker CLI and returns its stdout. `via: "socket"` (default) talks to the unix
 * socket; `via: "tls"` uses `dockerEnv` (tcp + mutual TLS with the valid client certificate).
 */
export async function runDocker(
  engine: Pick<EngineInfo, "dockerCli" | "socketPath" | "dockerEnv">,
  args: string[],
  opts: { via?: "socket" | "tls"; timeoutMs?: number } = {},
): Promise<string> {
  const env =
    opts.via === "tls"
      ? { ...cleanEnv(), ...engine.dockerEnv }
      : {
          ...cleanEnv(),
          DOCKER_HOST: `unix://${engine.socketPath}`,
          ...(engine.dockerEnv.DOCKER_CONFIG ? { DOCKER_CONFIG: engine.dockerEnv.DOCKER_CONFIG } : {}),
        };
  try {
    const { stdout } = await run(engine.dockerCli, args, {
      env,
      timeout: opts.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`docker ${args.join(" ")} failed: ${e.stderr?.trim() || e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Starting and stopping.

const running = new Map<number, string>(); // pid -> kind, for the exit safety net
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // If the test process goes away without teardown, ask the engines to shut down by themselves.
  process.once("exit", () => {
    for (const pid of running.keys()) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
  });
}

const handedOutPorts = new Set<number>();

async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const addr = srv.address();
        srv.close(() =>
          typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port")),
        );
      });
    });
    if (!handedOutPorts.has(port)) {
      handedOutPorts.add(port);
      return port;
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tail(file: string, lines = 40): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

interface ExitState {
  exited: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

function watchExit(child: ChildProcess): { state: ExitState; done: Promise<void> } {
  const state: ExitState = { exited: false, code: null, signal: null };
  const done = new Promise<void>((resolve) => {
    child.once("error", (err) => {
      state.error = err;
      state.exited = true;
      resolve();
    });
    child.once("exit", (code, signal) => {
      state.exited = true;
      state.code = code;
      state.signal = signal;
      resolve();
    });
  });
  return { state, done };
}

async function waitForPing(socketPath: string, exit: ExitState, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (exit.exited) {
      throw new Error(
        `dockerd exited during start-up (${exit.error?.message ?? `code ${exit.code}, signal ${exit.signal}`})`,
      );
    }
    if (existsSync(socketPath)) {
      try {
        const res = await socketRequest(socketPath, "GET", "/_ping", 1000);
        if (res.status === 200) return;
        last = `/_ping answered HTTP ${res.status}`;
      } catch (err) {
        last = (err as Error).message;
      }
    }
    await sleep(100);
  }
  throw new Error(`/_ping did not answer within ${Math.round(timeoutMs / 1000)} s (${last})`);
}

function daemonArgs(o: {
  pki: Pki;
  port: number;
  configFile: string;
  dataRoot: string;
  execRoot: string;
  pidFile: string;
  socketPath: string;
}): string[] {
  return [
    "--config-file", // never pick up the machine's /etc/docker/daemon.json
    o.configFile,
    "--data-root",
    o.dataRoot,
    "--exec-root",
    o.execRoot,
    "--pidfile",
    o.pidFile,
    "--iptables=false",
    "--ip6tables=false", // 20.10 accepts it too
    "--bridge=none",
    "--userland-proxy=false",
    "-H",
    `unix://${o.socketPath}`,
    "-H",
    `tcp://127.0.0.1:${o.port}`,
    "--tlsverify",
    "--tlscacert",
    o.pki.ca.cert,
    "--tlscert",
    o.pki.server.cert,
    "--tlskey",
    o.pki.server.key,
  ];
}

export async function startEngine(opts: StartEngineOptions): Promise<Engine> {
  const { kind, pki, dir } = opts;
  const bins = engineBinaries(kind);
  const missing = [bins.dockerd, bins.containerd, bins.dockerCli, bins.runc].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(`${kind}: missing ${missing.join(", ")} — run scripts/testbed/install.sh as root`);
  }
  await mkdir(dir, { recursive: true });
  const paths = {
    configFile: join(dir, "daemon.json"),
    dataRoot: join(dir, "data"),
    execRoot: join(dir, "exec"),
    pidFile: join(dir, "docker.pid"),
    socketPath: join(dir, "docker.sock"),
    logFile: join(dir, "dockerd.log"),
    cliConfig: join(dir, "cli-config"),
  };
  await writeFile(paths.configFile, "{}\n");
  await mkdir(paths.cliConfig, { recursive: true });
  const port = await freePort();

  const log = await open(paths.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(bins.dockerd, daemonArgs({ pki, port, ...paths }), {
      cwd: dir,
      env: { ...cleanEnv(), PATH: bins.path },
      stdio: ["ignore", log.fd, log.fd],
    });
  } finally {
    await log.close();
  }
  child.unref();
  const exit = watchExit(child);
  const pid = child.pid ?? -1;
  if (pid > 0) {
    running.set(pid, kind);
    installExitHook();
  }

  const stopDaemon = async (): Promise<void> => {
    await stopProcessTree(pid, exit, dir);
    running.delete(pid);
  };

  const timeout = opts.startTimeoutMs ?? 30_000;
  try {
    await waitForPing(paths.socketPath, exit.state, timeout);
  } catch (err) {
    await stopDaemon();
    throw new Error(
      `${kind}: ${bins.dockerd} did not start: ${(err as Error).message}\n` +
        `--- last lines of ${paths.logFile} ---\n${await tail(paths.logFile)}`,
    );
  }

  const v = await socketGetJson<{ Version: string; ApiVersion: string }>(paths.socketPath, "/version");
  const url = `tcp://127.0.0.1:${port}`;
  return {
    kind,
    version: v.Version,
    apiVersion: v.ApiVersion,
    url,
    port,
    socketPath: paths.socketPath,
    serverName: ENGINE_SERVER_NAME,
    dir,
    dataRoot: paths.dataRoot,
    execRoot: paths.execRoot,
    dockerCli: bins.dockerCli,
    dockerEnv: {
      DOCKER_HOST: url,
      DOCKER_TLS_VERIFY: "1",
      DOCKER_CERT_PATH: pki.clientCertDir,
      DOCKER_CONFIG: paths.cliConfig,
    },
    pid,
    logFile: paths.logFile,
    async stop() {
      await removeAllContainers(paths.socketPath, exit.state);
      await stopDaemon();
    },
  };
}

/** Strips the stop function: what can be handed to test workers. */
export function engineInfo(engine: Engine): EngineInfo {
  const { stop: _stop, ...info } = engine;
  return info;
}

async function removeAllContainers(socketPath: string, exit: ExitState): Promise<void> {
  if (exit.exited) return;
  try {
    const list = await socketGetJson<{ Id: string }[]>(socketPath, "/containers/json?all=1");
    await Promise.all(
      list.map((c) => socketRequest(socketPath, "DELETE", `/containers/${c.Id}?force=1`, 30_000)),
    );
  } catch (err) {
    console.warn(`testbed: could not remove the containers of ${socketPath}: ${(err as Error).message}`);
  }
}

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await sleep(100);
  }
  return cond();
}

/** dockerd, then whatever still refers to the engine's directory (managed containerd, shims). */
async function stopProcessTree(pid: number, exit: { state: ExitState; done: Promise<void> }, dir: string) {
  if (pid > 0 && !exit.state.exited) {
    process.kill(pid, "SIGTERM");
    if (!(await waitUntil(() => exit.state.exited, 10_000))) {
      console.warn(`testbed: dockerd ${pid} ignored SIGTERM for 10 s; killing it`);
      process.kill(pid, "SIGKILL");
      await exit.done;
    }
  }
  const gone = await waitUntil(async () => (await processesUsing(dir)).length === 0, 5_000);
  if (!gone) {
    const left = await processesUsing(dir);
    console.warn(`testbed: killing processes left behind in ${dir}: ${left.map((p) => p.cmd).join(" | ")}`);
    for (const p of left) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await waitUntil(async () => (await processesUsing(dir)).length === 0, 5_000);
  }
  await unmountUnder(dir);
}

/** Processes whose command line mentions `dir` (containerd --config <exec-root>/..., shims -address ...). */
export async function processesUsing(dir: string): Promise<{ pid: number; cmd: string }[]> {
  const found: { pid: number; cmd: string }[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = (await readFile(`/proc/${entry}/cmdline`, "utf8")).split("\0").join(" ").trim();
      if (cmd.includes(`${dir}/`)) found.push({ pid: Number(entry), cmd });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile("/proc/self/mountinfo", "utf8"))
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      await run("umount", ["-l", m]);
    } catch (err) {
      console.warn(`testbed: could not unmount ${m}: ${(err as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The test image: no registry can be reached, so it is made with `docker import` from busybox-static.

export const BUSYBOX_IMAGE = "dvol-busybox:latest";
const BUSYBOX_BIN = "/bin/busybox";

/** A rootfs tar with /bin/busybox, a symlink per applet (sh, sleep, dd, cat, ls, ...), /tmp and /etc. */
async function buildBusyboxTar(workDir: string): Promise<string> {
  const rootfs = join(workDir, "busybox-rootfs");
  const tar = join(workDir, "busybox-rootfs.tar");
  await mkdir(join(rootfs, "bin"), { recursive: true });
  await mkdir(join(rootfs, "etc"), { recursive: true });
  await mkdir(join(rootfs, "tmp"), { recursive: true, mode: 0o1777 });
  await copyFile(BUSYBOX_BIN, join(rootfs, "bin/busybox"));
  await chmod(join(rootfs, "bin/busybox"), 0o755);
  const { stdout } = await run(BUSYBOX_BIN, ["--list"]);
  for (const applet of stdout.split("\n").map((s) => s.trim())) {
    if (!applet || applet === "busybox" || applet.includes("/")) continue;
    const link = join(rootfs, "bin", applet);
    if (!existsSync(link)) await symlink("busybox", link);
  }
  await writeFile(
    join(rootfs, "etc/passwd"),
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n",
  );
  await writeFile(join(rootfs, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
  await chmod(join(rootfs, "tmp"), 0o1777);
  await run("tar", ["--numeric-owner", "--owner=0", "--group=0", "-C", rootfs, "-cf", tar, "."]);
  return tar;
}

/** Imports `dvol-busybox:latest` (CMD ["/bin/sh"]) into the engine unless it is already there. */
export async function importBusyboxImage(engine: EngineInfo): Promise<void> {
  const existing = await socketRequest(engine.socketPath, "GET", `/images/${BUSYBOX_IMAGE}/json`);
  if (existing.status === 200) return;
  const tar = await buildBusyboxTar(engine.dir);
  await runDocker(engine, ["import", "--change", 'CMD ["/bin/sh"]', tar, BUSYBOX_IMAGE]);
}

// The built CLI interrupted mid-deletion, against the REAL engines of the test bed (issue 10, SPEC
// §4.6): `dvol rm h v1..vN --yes` runs as a child process against an engine reached over mutual TLS
// through a proxy that holds every answer of the engine DELAY_MS (test/support/tcp-proxy.ts), so
// the deletions take seconds and a signal lands mid-run. The signal is sent as soon as the engine
// destroyed the first volume (its events stream): by then the CLI has sent up to 8 DELETEs (its
// concurrency) and has heard back from none.
//
// - SIGINT: the CLI starts no new deletion, lets those in flight finish, records every outcome,
//   marks the request paused, prints how to resume or cancel, and exits 1 (README "Exit status").
//   `dvol requests resume DR-…` then deletes only the rest; a resume sent SIGINT pauses the same way.
// - SIGKILL, or a second SIGINT (which quits at once, 130): nothing is recorded of the DELETEs in
//   flight; the request is left executing under the dead process. The next `dvol requests resume DR-…` pauses it, and its re-check records each
//   planned volume already gone as deleted by the run that stopped, never deleting it twice.
//
// Every DELETE that reached an engine is counted with its events stream (volume `destroy` events):
// each volume is destroyed exactly once, and each has its outcome after the resume. The store is
// the embedded SQLite file the CLI writes (DVOL_STATE_DIR), read here with the same code.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open.js";
import type { DeletionRequest } from "../../src/store/records.js";
import { engineHost, writeConfig } from "../support/dvol.js";
import { type EngineInfo, socketRequest } from "../support/engines.js";
import { type DelayProxy, startDelayProxy } from "../support/tcp-proxy.js";
import { requireTestbed } from "../support/testbed-types.js";

const testbed = requireTestbed();
const ROOT = path.resolve(import.meta.dirname, "../..");
const execFileP = promisify(execFile);
/**
 * How long the proxy holds each answer of the engine. A deletion (inspect, containers, DELETE) takes
 * about 3 of them; a DELETE's outcome reaches the CLI this long after the engine destroyed the volume.
 */
const DELAY_MS = 400;
/** Volumes per request: with 8 at a time, a run takes several seconds through the proxy. */
const N = 32;
const USER = "cli-int";
const run = randomBytes(3).toString("hex");

let dir: string;
let build: string;

beforeAll(async () => {
  // The CLI as shipped (bin/dvol.cjs and the bundle), built into a copy of the project's layout so
  // that other tests' builds of dist/ are not raced (as test/e2e/cli-process.test.ts does).
  dir = mkdtempSync(path.join(tmpdir(), "dvol-interrupted-"));
  build = path.join(dir, "build");
  for (const d of ["scripts", "bin"]) mkdirSync(path.join(build, d), { recursive: true });
  copyFileSync(path.join(ROOT, "scripts/build.mjs"), path.join(build, "scripts/build.mjs"));
  copyFileSync(path.join(ROOT, "bin/dvol.cjs"), path.join(build, "bin/dvol.cjs"));
  copyFileSync(path.join(ROOT, "package.json"), path.join(build, "package.json"));
  symlinkSync(path.join(ROOT, "src"), path.join(build, "src"));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(build, "node_modules"));
  await execFileP(process.execPath, ["scripts/build.mjs"], { cwd: build });
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------------
// the engine, through its unix socket (never through the proxy)

async function createVolumes(engine: EngineInfo, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const res = await socketRequest(engine.socketPath, "POST", "/volumes/create", 10_000, {
      Name: name,
      Driver: "local",
      Labels: { "dvol.test": "cli-interrupted" },
    });
    if (res.status !== 201) throw new Error(`creating ${name}: HTTP ${res.status} ${res.body}`);
  }
}

async function existing(engine: EngineInfo, names: readonly string[]): Promise<string[]> {
  const left: string[] = [];
  for (const n of names) {
    const res = await socketRequest(engine.socketPath, "GET", `/volumes/${encodeURIComponent(n)}`);
    if (res.status === 200) left.push(n);
    else if (res.status !== 404) throw new Error(`GET /volumes/${n}: HTTP ${res.status} ${res.body}`);
  }
  return left;
}

const destroyedIn = (counts: Map<string, number>) =>
  [...counts].filter(([, n]) => n > 0).map(([name]) => name);

/**
 * The engine's `destroy` events of `names`, counted live from its events stream, opened before the
 * CLI starts and kept open to the end: one per DELETE that removed a volume. (A query with `since`
 * reads the engine's buffer of its last 256 events, which other tests' volumes may have filled.)
 */
interface DestroyWatch {
  /** Resolves at the next destroy of one of `among`. */
  next(among: readonly string[]): Promise<string>;
  /**
   * A copy of the counts once every volume of `names` that is gone has its event (the engine
   * publishes it a moment after the DELETE answers).
   */
  settled(): Promise<Map<string, number>>;
  close(): void;
}

const watches: DestroyWatch[] = [];
afterAll(() => {
  for (const w of watches) w.close();
});

async function watchDestroys(engine: EngineInfo, names: readonly string[]): Promise<DestroyWatch> {
  const counts = new Map(names.map((n) => [n, 0]));
  const waiters: { among: Set<string>; resolve: (name: string) => void }[] = [];
  const filters = encodeURIComponent(JSON.stringify({ type: ["volume"], event: ["destroy"] }));
  const req = httpRequest({ socketPath: engine.socketPath, path: `/events?filters=${filters}` });
  await new Promise<void>((resolve, reject) => {
    req.on("response", (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET /events: HTTP ${res.statusCode}`));
      let buf = "";
      res.on("data", (c: Buffer) => {
        buf += c.toString("utf8");
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const e = JSON.parse(buf.slice(0, nl)) as {
            Type?: string;
            Action?: string;
            Actor?: { ID?: string };
          };
          buf = buf.slice(nl + 1);
          const name = e.Actor?.ID ?? "";
          if (e.Type !== "volume" || e.Action !== "destroy" || !counts.has(name)) continue;
          counts.set(name, (counts.get(name) ?? 0) + 1);
          for (const w of waiters.filter((x) => x.among.has(name))) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(name);
          }
        }
      });
      res.on("error", () => {});
      resolve();
    });
    req.on("error", reject);
    req.end();
  });
  const watch: DestroyWatch = {
    next: (among) => new Promise((resolve) => waiters.push({ among: new Set(among), resolve })),
    async settled() {
      for (let i = 0; i < 40; i++) {
        const gone = names.length - (await existing(engine, names)).length;
        if (destroyedIn(counts).length >= gone) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      return new Map(counts);
    },
    close: () => req.destroy(),
  };
  watches.push(watch);
  return watch;
}

// ------------------------------------------------------------------------------------------------
// the CLI as a process

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function startCli(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [path.join(build, "bin/dvol.cjs"), ...args], {
    cwd: dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString("utf8");
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  const exited = new Promise<Exit>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, exited, stderr: () => stderr };
}

const runCli = (args: string[], env: NodeJS.ProcessEnv) => startCli(args, env).exited;

/** Runs the CLI and sends it SIGINT as soon as the engine destroyed the first of `among`. */
async function interrupted(
  watch: DestroyWatch,
  among: readonly string[],
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<Exit> {
  const first = watch.next(among);
  const cli = startCli(args, env);
  await Promise.race([first, cli.exited]);
  cli.child.kill("SIGINT");
  return cli.exited;
}

async function readRequest(env: NodeJS.ProcessEnv, id: string): Promise<DeletionRequest> {
  const store = await openStore(env, { cwd: dir });
  try {
    const r = await store.getRequest(id);
    if (!r) throw new Error(`no request ${id} in the store`);
    return r;
  } finally {
    await store.close();
  }
}

async function auditActions(env: NodeJS.ProcessEnv, id: string): Promise<string[]> {
  const store = await openStore(env, { cwd: dir });
  try {
    return (await store.listAudit(id)).map((a) => a.action);
  } finally {
    await store.close();
  }
}

const idOf = (out: string) => /DR-[0-9A-Z]{8}/.exec(out)?.[0] ?? "no request id in the output";

// ------------------------------------------------------------------------------------------------

describe.each<{ kind: "docker20" | "docker28" }>([{ kind: "docker20" }, { kind: "docker28" }])(
  "the CLI interrupted mid-deletion, $kind engine behind a delaying proxy",
  ({ kind }) => {
    const engine = testbed.engines[kind];
    let proxy: DelayProxy;
    let env: NodeJS.ProcessEnv;
    const made: string[] = [];

    beforeAll(async () => {
      proxy = await startDelayProxy({ targetHost: "127.0.0.1", targetPort: engine.port, delayMs: DELAY_MS });
      const config = writeConfig([
        engineHost("h", engine, testbed, { url: `tcp://127.0.0.1:${proxy.port}`, timeoutSeconds: 30 }),
      ]);
      env = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: dir,
        USER,
        DVOL_CONFIG: config,
        DVOL_STATE_DIR: mkdtempSync(path.join(dir, `state-${kind}-`)),
      };
    });

    afterAll(async () => {
      await proxy?.close();
      for (const v of made) await socketRequest(engine.socketPath, "DELETE", `/volumes/${v}`);
    });

    const volumes = async (what: string) => {
      const names = Array.from(
        { length: N },
        (_, i) => `cliint-${run}-${what}-${String(i).padStart(2, "0")}`,
      );
      made.push(...names);
      await createVolumes(engine, names);
      return names;
    };

    it("SIGINT: in-flight deletions finish and are recorded, the request is paused (exit 1); resume deletes only the rest", async () => {
      const names = await volumes("int");
      const watch = await watchDestroys(engine, names);
      const stopped = await interrupted(watch, names, ["--yes", "rm", "h", ...names], env);

      // The exit status of a deletion that did not complete (README "Exit status"), not the signal's.
      expect(stopped.signal).toBeNull();
      expect(stopped.code, stopped.stderr).toBe(1);
      expect(stopped.stderr).toContain(
        "dvol: SIGINT: stopping after the deletions in flight; SIGINT again to quit now",
      );
      const id = idOf(stopped.stdout);
      const before = await watch.settled();
      const gone = destroyedIn(before);
      // Stopped mid-run: some deleted (at most the 8 in flight, and their outcomes arrived after the
      // signal), the rest never started.
      expect(gone.length).toBeGreaterThan(0);
      expect(gone.length).toBeLessThanOrEqual(8);
      expect([...before.values()].every((n) => n <= 1)).toBe(true);
      expect(stopped.stdout).toContain(
        `${id}: approved by cli:${USER}, paused: ${gone.length} of ${N} deleted; the dvol process got SIGINT`,
      );
      expect(stopped.stdout).toContain(`resume: dvol requests resume ${id}`);
      expect(stopped.stdout).toContain(`cancel: dvol requests cancel ${id}`);
      for (const n of gone) expect(stopped.stdout).toMatch(new RegExp(`deleted +${n} `));

      // Every DELETE sent has its outcome on record, and nothing else does; the request is paused.
      const paused = await readRequest(env, id);
      expect(paused).toMatchObject({ status: "paused", executor: null, paused: { kind: "signal" } });
      expect(paused.paused?.unrecorded).not.toBe(true);
      expect(paused.outcomes.map((o) => o.name).sort()).toEqual([...gone].sort());
      expect(paused.outcomes.every((o) => o.result === "deleted")).toBe(true);

      const resumed = await runCli(["requests", "resume", id], env);
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
      const rest = names.filter((n) => !gone.includes(n));
      for (const n of rest) expect(resumed.stdout).toMatch(new RegExp(`deleted +${n} `));

      // Only the rest was deleted by the resume; every volume exactly once in all.
      const total = await watch.settled();
      expect([...total.values()]).toEqual(Array(N).fill(1));
      expect(names.filter((n) => (total.get(n) ?? 0) > (before.get(n) ?? 0)).sort()).toEqual(
        [...rest].sort(),
      );
      expect(await existing(engine, names)).toEqual([]);

      const done = await readRequest(env, id);
      expect(done.status).toBe("done");
      expect(done.outcomes.map((o) => o.name).sort()).toEqual([...names].sort());
      expect(done.outcomes.every((o) => o.result === "deleted" && o.note === undefined)).toBe(true);
      const actions = await auditActions(env, id);
      expect(actions.filter((a) => a === "volume")).toHaveLength(N);
      expect(actions).toEqual(expect.arrayContaining(["paused", "resumed", "executed"]));
    }, 120_000);

    it("SIGINT during `requests resume`: it pauses again after its deletions in flight (exit 1); the next resume finishes", async () => {
      const names = await volumes("res");
      const watch = await watchDestroys(engine, names);
      const first = await interrupted(watch, names, ["--yes", "rm", "h", ...names], env);
      expect(first.code, first.stderr).toBe(1);
      const id = idOf(first.stdout);
      const gone1 = destroyedIn(await watch.settled());

      const left = names.filter((n) => !gone1.includes(n));
      const second = await interrupted(watch, left, ["requests", "resume", id], env);
      expect(second.code, second.stderr).toBe(1);
      expect(second.stderr).toContain("dvol: SIGINT: stopping after the deletions in flight");
      const gone2 = destroyedIn(await watch.settled());
      const byResume = gone2.filter((n) => !gone1.includes(n));
      expect(byResume.length).toBeGreaterThan(0);
      expect(byResume.length).toBeLessThanOrEqual(8);
      expect(second.stdout).toContain(
        `${id} resumed, and paused again: ${gone2.length} of ${N} deleted; the dvol process got SIGINT.`,
      );
      expect(second.stdout).toContain(`resume: dvol requests resume ${id}`);
      const paused = await readRequest(env, id);
      expect(paused.status).toBe("paused");
      expect(paused.outcomes.map((o) => o.name).sort()).toEqual([...gone2].sort());

      const third = await runCli(["requests", "resume", id], env);
      expect(third.code, third.stdout + third.stderr).toBe(0);
      const total = await watch.settled();
      expect([...total.values()]).toEqual(Array(N).fill(1));
      const done = await readRequest(env, id);
      expect(done.status).toBe("done");
      expect(done.outcomes.map((o) => o.name).sort()).toEqual([...names].sort());
      expect(done.outcomes.every((o) => o.result === "deleted" && o.note === undefined)).toBe(true);
    }, 120_000);

    it.each<{ how: string; what: string }>([
      { how: "SIGKILL", what: "kill" },
      { how: "SIGINT twice (quits at once, 130)", what: "int2" },
    ])(
      "$how: the DELETEs in flight are unrecorded; the next resume records each as deleted, never deleting twice",
      async ({ what }) => {
        const names = await volumes(what);
        const watch = await watchDestroys(engine, names);
        const first = watch.next(names);
        const cli = startCli(["--yes", "rm", "h", ...names], env);
        await Promise.race([first, cli.exited]);
        if (what === "kill") {
          cli.child.kill("SIGKILL");
          expect((await cli.exited).signal).toBe("SIGKILL");
        } else {
          // The second signal once the first was heard: the process quits without waiting.
          cli.child.kill("SIGINT");
          const heard = Date.now();
          while (!cli.stderr().includes("SIGINT again to quit now") && Date.now() - heard < 5000)
            await new Promise((r) => setTimeout(r, 5));
          cli.child.kill("SIGINT");
          const quit = await cli.exited;
          expect(quit.code, quit.stderr).toBe(130);
          expect(quit.stdout).toBe("");
        }
        const id = await executingId(env, names);

        const before = await watch.settled();
        const gone = destroyedIn(before);
        expect(gone.length).toBeGreaterThan(0);
        expect(gone.length).toBeLessThanOrEqual(8);

        // Left executing under the dead process, with the DELETEs in flight unrecorded: their answers
        // were still held by the proxy when the process died.
        const left = await readRequest(env, id);
        expect(left.status).toBe("executing");
        expect(left.executor).toMatch(new RegExp(`^cli:${USER}@${hostname()}:${cli.child.pid}#`));
        const recorded = left.outcomes.map((o) => o.name);
        expect(recorded.every((n) => gone.includes(n))).toBe(true);
        const unrecorded = gone.filter((n) => !recorded.includes(n));
        expect(unrecorded.length).toBeGreaterThan(0);

        const resumed = await runCli(["requests", "resume", id], env);
        expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
        for (const n of unrecorded) {
          expect(resumed.stdout).toMatch(
            new RegExp(
              `deleted +${n} .*gone when the execution was resumed: deleted by the attempt that stopped`,
            ),
          );
        }

        // Nothing deleted twice: the resume destroyed exactly the volumes the killed run had not.
        const total = await watch.settled();
        expect([...total.values()]).toEqual(Array(N).fill(1));
        expect(names.filter((n) => (total.get(n) ?? 0) > (before.get(n) ?? 0)).sort()).toEqual(
          names.filter((n) => !gone.includes(n)).sort(),
        );
        expect(await existing(engine, names)).toEqual([]);

        // Every deleted volume has its outcome, once; those the killed run sent are marked as such.
        const done = await readRequest(env, id);
        expect(done.status).toBe("done");
        expect(done.outcomes.map((o) => o.name).sort()).toEqual([...names].sort());
        expect(done.outcomes.every((o) => o.result === "deleted")).toBe(true);
        expect(
          done.outcomes
            .filter((o) => o.result === "deleted" && o.note !== undefined)
            .map((o) => o.name)
            .sort(),
        ).toEqual([...unrecorded].sort());
        const actions = await auditActions(env, id);
        expect(actions).toEqual(expect.arrayContaining(["paused", "resumed", "executed"]));
      },
      120_000,
    );
  },
);

/** The id of the executing request for `names` (a killed CLI printed nothing), read from the store. */
async function executingId(env: NodeJS.ProcessEnv, names: readonly string[]): Promise<string> {
  const store = await openStore(env, { cwd: dir });
  try {
    const all = await store.listRequests({ statuses: ["executing"] });
    const mine = all.filter((r) => r.plan.some((v) => v.name === names[0]));
    expect(mine).toHaveLength(1);
    return mine[0]?.id ?? "";
  } finally {
    await store.close();
  }
}

// Deletion requests against real Docker engines over mutual TLS: rm and prune from the CLI, and
// the approvals core (plan, approve, execute) with the embedded store. DELETEs are counted twice:
// every request dvol sends (a recording connection factory) and every volume the engine destroyed
// (its events API).
//
// These tests create and delete volumes all the time, while other test files compare whole volume
// lists and counts of the shared engines with dvol's answers. So this file starts its own engines,
// of the same two kinds (20.10 and 28.x) and with the test bed's PKI, and leaves the shared ones
// (and their scenario) alone. Each test still uses volumes with names of its own.
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executeRequest } from "../../src/approvals/execute.js";
import { buildPlan } from "../../src/approvals/plan.js";
import { approveAsOperator, openRequest } from "../../src/approvals/requests.js";
import type { DeletionResult } from "../../src/commands/delete/run.js";
import { parseCommand } from "../../src/commands/parse.js";
import type { RequestsResult } from "../../src/commands/requests/run.js";
import { loadConfig } from "../../src/config/load.js";
import { SecretResolver } from "../../src/config/secrets.js";
import type { ConnectionFactory } from "../../src/docker/connection.js";
import { tlsConnectionFactory } from "../../src/docker/connection.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { createVolume, volumeExists as exists } from "../support/backup-trees.js";
import { engineHost, runCli, writeConfig } from "../support/dvol.js";
import {
  BUSYBOX_IMAGE,
  type Engine,
  type EngineInfo,
  type EngineKind,
  importBusyboxImage,
  runDocker,
  socketRequest,
  startEngine,
} from "../support/engines.js";
import { requireTestbed } from "../support/testbed-types.js";

const testbed = requireTestbed();
const PROTECT = { names: ["*postgres*"], labels: ["dvol.protect=true"] };

let counter = 0;
/** A volume name no other test (or run) uses. */
const unique = (what: string) =>
  `dt-${what}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 7)}`;

async function deleteDirectly(engine: EngineInfo, name: string) {
  const res = await socketRequest(engine.socketPath, "DELETE", `/volumes/${name}`);
  if (res.status !== 204) throw new Error(`deleting ${name}: HTTP ${res.status} ${res.body}`);
}

/** A running container that mounts `volume` (removed when the engine stops). */
async function useVolume(engine: EngineInfo, volume: string): Promise<string> {
  const name = unique("ctr");
  const args = ["run", "-d", "--name", name, "--network", "none", "-v", `${volume}:/data`];
  await runDocker(engine, [...args, BUSYBOX_IMAGE, "sleep", "1000000"]);
  return name;
}

/** How many times the engine destroyed each volume between `since` and now (its events API). */
async function destroyed(engine: EngineInfo, sinceSec: number): Promise<Map<string, number>> {
  const until = Math.ceil(Date.now() / 1000) + 1;
  const filters = encodeURIComponent(JSON.stringify({ type: ["volume"], event: ["destroy"] }));
  const res = await socketRequest(
    engine.socketPath,
    "GET",
    `/events?since=${sinceSec}&until=${until}&filters=${filters}`,
    30_000,
  );
  const counts = new Map<string, number>();
  for (const line of res.body.split("\n").filter((l) => l.trim() !== "")) {
    const ev = JSON.parse(line) as { Actor?: { ID?: string } };
    const id = ev.Actor?.ID ?? "";
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

const nowSec = () => Math.floor(Date.now() / 1000) - 1;

/** The real TLS connection factory, recording every request dvol sends ("DELETE /v1.41/volumes/x"). */
function recording(config: Awaited<ReturnType<typeof loadConfig>>): {
  connect: ConnectionFactory;
  sent: string[];
} {
  const real = tlsConnectionFactory(new SecretResolver({ baseDir: config.baseDir, env: {} }));
  const sent: string[] = [];
  const connect: ConnectionFactory = async (host) => {
    const conn = await real(host);
    return {
      host: conn.host,
      get engineApiVersion() {
        return conn.engineApiVersion;
      },
      call: (req) => {
        sent.push(`${req.method} ${req.path}`);
        return conn.call(req);
      },
      close: () => conn.close(),
    };
  };
  return { connect, sent };
}

const deletesOf = (sent: readonly string[], name: string) =>
  sent.filter((s) => s.startsWith("DELETE ") && s.endsWith(`/volumes/${name}`)).length;

const KINDS: readonly EngineKind[] = ["docker20", "docker28"];

describe.each(KINDS)("deletion on a %s engine of its own", (kind) => {
  let engine: Engine;
  let configFile: string;
  const stateDir = mkdtempSync(join(tmpdir(), "dvol-state-"));
  const env = { DVOL_STATE_DIR: stateDir, USER: "tester" };

  beforeAll(async () => {
    engine = await startEngine({
      kind,
      pki: testbed.pki,
      dir: join(testbed.dir, `deletion-${kind}-${process.pid}`),
    });
    await importBusyboxImage(engine);
    configFile = writeConfig([engineHost("h", engine, testbed)], { protect: PROTECT });
  }, 120_000);
  afterAll(async () => {
    await engine?.stop();
    await rm(stateDir, { recursive: true, force: true });
  }, 60_000);
  const cli = async <T>(args: string[], connect?: ConnectionFactory) =>
    runCli<T>(["--config", configFile, ...args], { env, ...(connect ? { connect } : {}) });

  it("rm: the plan without --yes deletes nothing; with --yes the unused volumes go, in-use and protected stay", async () => {
    const [u1, u2, inUse, missing] = [unique("u1"), unique("u2"), unique("inuse"), unique("missing")];
    const pg = unique("postgres");
    const marked = unique("marked");
    await Promise.all([
      createVolume(engine, u1),
      createVolume(engine, u2),
      createVolume(engine, inUse),
      createVolume(engine, pg),
      createVolume(engine, marked, { "dvol.protect": "true" }),
    ]);
    const ctr = await useVolume(engine, inUse);
    const config = await loadConfig({ file: configFile, env: {} });
    const { connect, sent } = recording(config);
    const args = ["rm", "h", u1, u2, inUse, pg, marked, missing, "--reason", "integration test"];

    const dry = await cli(args, connect);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("nothing deleted; run again with --yes");
    expect(dry.stdout).toMatch(/h: rm: 2 volumes to delete/);
    expect(sent.filter((s) => s.startsWith("DELETE"))).toEqual([]);
    for (const v of [u1, u2, inUse, pg, marked]) expect(await exists(engine, v)).toBe(true);

    const since = nowSec();
    const run = await cli<DeletionResult>(["--json", "--yes", ...args], connect);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({
      command: "rm",
      host: "h",
      stage: "executed",
      status: "done",
      requester: "cli:tester",
    });
    expect(run.json.outcomes.map((o) => [o.name, o.result]).sort()).toEqual(
      [
        [u1, "deleted"],
        [u2, "deleted"],
      ].sort(),
    );
    expect(Object.fromEntries(run.json.blocked.map((b) => [b.name, [b.reason, b.detail]]))).toEqual({
      [inUse]: ["in-use", `used by ${ctr} (running)`],
      [pg]: ["protected", "matches protect rule *postgres*"],
      [marked]: ["protected", "has protected label dvol.protect=true"],
      [missing]: ["missing", "no such volume"],
    });
    expect(await exists(engine, u1)).toBe(false);
    expect(await exists(engine, u2)).toBe(false);
    for (const v of [inUse, pg, marked]) expect(await exists(engine, v)).toBe(true);
    expect(sent.filter((s) => s.startsWith("DELETE")).length).toBe(2);
    const events = await destroyed(engine, since);
    expect([events.get(u1), events.get(u2), events.get(inUse) ?? 0]).toEqual([1, 1, 0]);

    // The text rendering: one line per volume and the space freed.
    const text = await cli(["--yes", "rm", "h", inUse], connect);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("nothing to delete: no request was opened");

    // On record in the embedded store, and listed by `requests`.
    const listed = await cli<RequestsResult>(["--json", "requests"]);
    const mine = listed.json.decided.find((r) => r.id === run.json.requestId);
    expect(mine).toMatchObject({
      status: "done",
      requester: "cli:tester",
      decidedBy: "cli:tester",
      volumes: 2,
    });
    expect(mine?.outcomes).toMatchObject({ deleted: 2, skipped: 0, failed: 0 });
    const store = await openStore(env, { cwd: tmpdir() });
    try {
      const audit = await store.listAudit(run.json.requestId as string);
      expect(audit.map((a) => a.action)).toEqual([
        "requested",
        "approved",
        "executing",
        "volume",
        "volume",
        "executed",
      ]);
      expect(new Set(audit.map((a) => a.actor.split("@")[0]?.split("#")[0]))).toEqual(
        new Set(["cli:tester"]),
      );
    } finally {
      await store.close();
    }
  });

  it("rm --yes prints one line per volume and the space freed", async () => {
    const a = unique("txt");
    await createVolume(engine, a);
    const run = await cli(["--yes", "rm", "h", a]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`deleted\\s+${a}\\s+0 B`));
    expect(run.stdout).toContain("1 deleted, 0 skipped, 0 failed; 0 B freed");
  });

  describe("the approvals core with the embedded store", () => {
    let store: Store;
    let store2: Store;
    const setup = async (names: string[]) => {
      store ??= await openStore(env, { cwd: tmpdir() });
      // A second handle on the same file: another process, as far as SQLite is concerned.
      store2 ??= await openStore(env, { cwd: tmpdir() });
      const config = await loadConfig({ file: configFile, env: {} });
      const { connect, sent } = recording(config);
      const cmd = parseCommand(["rm", "h", ...names]);
      if (cmd.name !== "rm") throw new Error("not rm");
      const now = () => new Date();
      const plan = await buildPlan(cmd, { config, connect, now });
      const request = await openRequest(
        { store, now },
        { plan, requester: "U0ALICE", channel: null, ttlHours: 1 },
      );
      const approved = await approveAsOperator({ store, now }, request.id, "cli:tester");
      expect(approved.ok).toBe(true);
      return { config, connect, sent, id: request.id, plan };
    };
    afterAll(async () => {
      await store?.close();
      await store2?.close();
    });

    it("changes between plan and execution: a volume now in use and one re-created are not deleted", async () => {
      const [used, recreated, fine] = [unique("used"), unique("recreated"), unique("fine")];
      await Promise.all([
        createVolume(engine, used),
        createVolume(engine, recreated),
        createVolume(engine, fine),
      ]);
      const { config, connect, sent, id, plan } = await setup([used, recreated, fine]);
      expect(plan.plan.map((v) => v.name).sort()).toEqual([fine, recreated, used].sort());

      const ctr = await useVolume(engine, used);
      await deleteDirectly(engine, recreated);
      await new Promise((r) => setTimeout(r, 1100)); // CreatedAt has one-second precision
      await createVolume(engine, recreated);

      const res = await executeRequest(
        { store, config, connect, now: () => new Date(), executor: "test" },
        id,
      );
      if (res.status !== "done") throw new Error(res.status);
      const by = Object.fromEntries(res.request.outcomes.map((o) => [o.name, o]));
      expect(by[used]).toEqual({ name: used, result: "skipped", reason: `in use: used by ${ctr} (running)` });
      expect(by[recreated]?.result).toBe("skipped");
      expect(by[recreated]?.result === "skipped" && by[recreated].reason).toMatch(
        /not the planned volume: created .* \(re-created since\)/,
      );
      expect(by[fine]).toMatchObject({ result: "deleted" });
      expect(await exists(engine, used)).toBe(true);
      expect(await exists(engine, recreated)).toBe(true);
      expect(await exists(engine, fine)).toBe(false);
      expect(deletesOf(sent, used) + deletesOf(sent, recreated)).toBe(0);
    });

    it("two executions at once, then a replay: exactly one DELETE per volume reaches the engine", async () => {
      const names = Array.from({ length: 12 }, () => unique("race"));
      await Promise.all(names.map((n) => createVolume(engine, n)));
      const { config, connect, sent, id } = await setup(names);
      const since = nowSec();
      const exec = (s: Store) =>
        executeRequest(
          { store: s, config, connect, now: () => new Date(), executor: "race", concurrency: 4 },
          id,
        );
      const [x, y] = await Promise.all([exec(store), exec(store2)]);
      expect([x.status, y.status].sort()).toEqual(["busy", "done"]);
      const replay = await exec(store2);
      expect(replay).toMatchObject({ status: "done", replay: true });
      if (replay.status !== "done") return;
      expect(replay.request.outcomes).toHaveLength(12);
      expect(replay.request.outcomes.every((o) => o.result === "deleted")).toBe(true);

      const events = await destroyed(engine, since);
      for (const n of names) {
        expect(deletesOf(sent, n)).toBe(1);
        expect(events.get(n)).toBe(1);
        expect(await exists(engine, n)).toBe(false);
      }
    });

    it("a crash after some deletions, then a retry after the lease: the rest deleted, all reported, none twice", async () => {
      const names = Array.from({ length: 10 }, () => unique("crash"));
      await Promise.all(names.map((n) => createVolume(engine, n)));
      const { config, connect, sent, id } = await setup(names);
      const since = nowSec();
      const crash = new Error("simulated crash after 4 deletions");
      await expect(
        executeRequest(
          {
            store,
            config,
            connect,
            now: () => new Date(),
            executor: "doomed",
            concurrency: 2,
            leaseMs: 60_000,
            afterDelete: (_name, count) => {
              if (count === 4) throw crash;
            },
          },
          id,
        ),
      ).rejects.toBe(crash);
      const gone = names.filter((n) => deletesOf(sent, n) === 1);
      expect(gone.length).toBeGreaterThanOrEqual(4);
      expect(gone.length).toBeLessThan(10);
      const mid = await store2.getRequest(id);
      expect(mid?.status).toBe("executing");

      // A retry while the lease holds is told it is busy; after it, it takes over.
      const later = (ms: number) => () => new Date(Date.now() + ms);
      const retry = (now: () => Date) =>
        executeRequest({ store: store2, config, connect, now, executor: "retry" }, id);
      expect(await retry(later(0))).toMatchObject({ status: "busy" });
      const res = await retry(later(61_000));
      if (res.status !== "done") throw new Error(res.status);
      expect(res.request.outcomes).toHaveLength(10);
      expect(res.request.outcomes.every((o) => o.result === "deleted")).toBe(true);

      const events = await destroyed(engine, since);
      for (const n of names) {
        expect(deletesOf(sent, n)).toBe(1);
        expect(events.get(n)).toBe(1);
        expect(await exists(engine, n)).toBe(false);
      }
      const audit = await store.listAudit(id);
      expect(audit.filter((a) => a.action === "executing").map((a) => a.detail.takeover)).toEqual([
        false,
        true,
      ]);
      expect(audit.filter((a) => a.action === "volume")).toHaveLength(10);
    });
  });

  describe("refused before anything is sent", () => {
    const nothingSent = () => {
      const sent: string[] = [];
      const connect: ConnectionFactory = async (host) => {
        sent.push(host.name);
        throw new Error("no connection expected");
      };
      return { connect, sent };
    };

    it("an unknown host, a name with ../, and more than 200 volumes", async () => {
      const { connect, sent } = nothingSent();
      const unknown = await cli(["--yes", "rm", "nohost", "vol-a"], connect);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown host "nohost"');
      const dots = await cli(["--yes", "rm", "h", "vol-a", "../../etc"], connect);
      expect(dots.code).toBe(2);
      expect(dots.stderr).toContain('invalid volume name "../../etc"');
      const many = Array.from({ length: 201 }, (_, i) => `many-${i}`);
      const tooMany = await cli(["--yes", "rm", "h", ...many], connect);
      expect(tooMany.code).toBe(2);
      expect(tooMany.stderr).toContain("201 volumes; at most 200");
      const prune = await cli(["--yes", "prune", "h", "--older-than", "soon"], connect);
      expect(prune.code).toBe(2);
      expect(sent).toEqual([]);
    });

    it("an unknown volume is blocked as missing and no request is opened", async () => {
      const missing = unique("missing");
      const config = await loadConfig({ file: configFile, env: {} });
      const { connect, sent } = recording(config);
      const run = await cli<DeletionResult>(["--json", "--yes", "rm", "h", missing], connect);
      expect(run.code).toBe(1);
      expect(run.json).toMatchObject({ stage: "nothing-to-delete", requestId: null, plan: [] });
      expect(run.json.blocked).toEqual([{ name: missing, reason: "missing", detail: "no such volume" }]);
      expect(sent.filter((s) => s.startsWith("DELETE"))).toEqual([]);
    });

    it("200 volumes at once are accepted and deleted", async () => {
      const names = Array.from({ length: 200 }, () => unique("bulk"));
      await Promise.all(names.map((n) => createVolume(engine, n)));
      const config = await loadConfig({ file: configFile, env: {} });
      const { connect, sent } = recording(config);
      const run = await cli<DeletionResult>(["--json", "--yes", "rm", "h", ...names], connect);
      expect(run.code).toBe(0);
      expect(run.json.summary).toMatchObject({ deleted: 200, skipped: 0, failed: 0 });
      expect(sent.filter((s) => s.startsWith("DELETE"))).toHaveLength(200);
      for (const n of names.slice(0, 5)) expect(await exists(engine, n)).toBe(false);
    });
  });

  it("prune with filters plans exactly the dangling matching volumes, and --yes deletes just those", async () => {
    const project = unique("proj");
    const compose = (volume: string, extra: Record<string, string> = {}) => ({
      "com.docker.compose.project": project,
      "com.docker.compose.volume": volume,
      ...extra,
    });
    const v = {
      a: unique("pa"),
      b: unique("pb"),
      tier: unique("ptier"),
      used: unique("pused"),
      kept: unique("pkept"),
      other: unique("pother"),
    };
    await Promise.all([
      createVolume(engine, v.a, compose("a")),
      createVolume(engine, v.b, compose("b")),
      createVolume(engine, v.tier, compose("tier", { tier: "cache" })),
      createVolume(engine, v.used, compose("used")),
      createVolume(engine, v.kept, compose("kept", { "dvol.protect": "true" })),
      createVolume(engine, v.other, { "com.docker.compose.project": `${project}-other` }),
    ]);
    await useVolume(engine, v.used);
    const config = await loadConfig({ file: configFile, env: {} });
    const { connect, sent } = recording(config);
    const plan = async (...filters: string[]) => {
      const run = await cli<DeletionResult>(
        ["--json", "prune", "h", "--project", project, ...filters],
        connect,
      );
      expect(run.code).toBe(0);
      return run.json;
    };

    const all = await plan();
    expect(all.stage).toBe("planned");
    expect(all.plan.map((p) => p.name)).toEqual([v.a, v.b, v.tier].sort());
    expect(all.plan.every((p) => p.project === project && p.createdAt !== null)).toBe(true);
    expect(all.blocked).toEqual([
      { name: v.kept, reason: "protected", detail: "has protected label dvol.protect=true" },
    ]);
    expect((await plan("--label", "tier=cache")).plan.map((p) => p.name)).toEqual([v.tier]);
    expect((await plan("--older-than", "1h")).plan).toEqual([]);
    expect((await plan("--older-than", "1m", "--label", "tier")).plan).toEqual([]);

    const run = await cli<DeletionResult>(["--json", "--yes", "prune", "h", "--project", project], connect);
    expect(run.code).toBe(0);
    expect(run.json.outcomes.map((o) => [o.name, o.result])).toEqual(
      [v.a, v.b, v.tier].sort().map((n) => [n, "deleted"]),
    );
    expect(sent.filter((s) => s.startsWith("DELETE")).length).toBe(3);
    for (const n of [v.a, v.b, v.tier]) expect(await exists(engine, n)).toBe(false);
    for (const n of [v.used, v.kept, v.other]) expect(await exists(engine, n)).toBe(true);
  });
});

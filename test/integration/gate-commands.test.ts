// Every dvol command through a dvol gate, against real engines (API 1.41 and 1.51): the gate runs
// in this process in front of the engine's unix socket, with a CA of its own and one client
// certificate per set of permissions (test/support/gate.ts), and each command is run twice, over
// the engine's own TLS port and through the gate, with the same host name: the answers must be the
// same (but for `hosts`, which says the host is gated). Deletions and backups go through the gate
// too, and the engine is asked directly afterwards what happened.
//
// This file starts its own engines (as deletion.test.ts and backup.test.ts do): it creates and
// deletes volumes, while other files compare whole lists of the shared engines.
import { mkdtempSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackupContext, backupVolume } from "../../src/backup/backup.js";
import { LocalBackupStore } from "../../src/backup/local.js";
import { restoreBackup } from "../../src/backup/restore.js";
import type { BackupResult } from "../../src/commands/backup/run.js";
import type { BackupsResult } from "../../src/commands/backups/run.js";
import type { DeletionResult } from "../../src/commands/delete/run.js";
import type { RestoreResult } from "../../src/commands/restore/run.js";
import { loadConfig } from "../../src/config/load.js";
import { SecretResolver } from "../../src/config/secrets.js";
import type { HostConfig } from "../../src/config/types.js";
import { tlsConnectionFactory } from "../../src/docker/connection.js";
import { busybox, createVolume, volumeExists as exists, LIST } from "../support/backup-trees.js";
import { engineHost, type HostEntry, runCli, writeConfig } from "../support/dvol.js";
import {
  BUSYBOX_IMAGE,
  type Engine,
  type EngineKind,
  runDocker,
  socketRequest,
  startEngine,
} from "../support/engines.js";
import { type GatePki, gatedHost, generateGatePki, startTestGate, type TestGate } from "../support/gate.js";
import { CONTAINERS, createScenario, VOLUMES } from "../support/scenario.js";
import { requireTestbed } from "../support/testbed-types.js";

const testbed = requireTestbed();
const PROTECT = { names: ["*postgres*"], labels: ["dvol.protect=true"] };
let counter = 0;
const unique = (what: string) =>
  `gt-${what}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 7)}`;

const KINDS: readonly EngineKind[] = ["docker20", "docker28"];

describe.each(KINDS)("every command through a gate, on a %s engine of its own", (kind) => {
  let engine: Engine;
  let gatePki: GatePki;
  let gate: TestGate;
  const stateDir = mkdtempSync(join(tmpdir(), "dvol-gate-state-"));
  const env = { DVOL_STATE_DIR: stateDir, USER: "tester" };
  let direct: string;
  let gated: (client: "reader" | "deleter" | "backup" | "all") => string;

  beforeAll(async () => {
    const dir = join(testbed.dir, `gate-${kind}-${process.pid}`);
    engine = await startEngine({ kind, pki: testbed.pki, dir });
    await createScenario(engine);
    gatePki = await generateGatePki(join(dir, "gate-pki"));
    gate = await startTestGate(gatePki, engine.socketPath, join(dir, "gate"));
    direct = writeConfig([engineHost("h", engine, testbed)], { protect: PROTECT });
    const files = new Map<string, string>();
    gated = (client) => {
      let file = files.get(client);
      if (!file) {
        file = writeConfig([gatedHost("h", gate, gatePki, client) as HostEntry], { protect: PROTECT });
        files.set(client, file);
      }
      return file;
    };
  }, 180_000);
  afterAll(async () => {
    await gate?.close();
    await engine?.stop();
    await rm(stateDir, { recursive: true, force: true });
  }, 60_000);

  const cli = <T = unknown>(config: string, args: string[]) =>
    runCli<T>(["--config", config, ...args], { env });

  /** The same command directly and through the gate (as `client`): both answers. */
  const TIMES = new Set(["at", "sizeMeasuredAt", "measuredAt", "sizesMeasuredAt"]);
  const untimed = (j: unknown): unknown =>
    JSON.parse(JSON.stringify(j), (k, v) => (TIMES.has(k) && typeof v === "string" ? "<time>" : v));

  async function both(args: string[], client: "reader" | "deleter" | "all" = "reader") {
    const d = await cli(direct, args);
    const g = await cli(gated(client), args);
    return { d, g };
  }

  it("hosts: the same engine, version, API version, driver and volume count; gated says so", async () => {
    const { d, g } = await both(["--json", "hosts"]);
    expect([d.code, g.code]).toEqual([0, 0]);
    const strip = (j: unknown) =>
      (j as { hosts: Record<string, unknown>[] }).hosts.map(({ endpoint: _e, gated: _g, ...rest }) => rest);
    expect(strip(g.json)).toEqual(strip(d.json));
    const gh = (g.json as { hosts: { gated: boolean; apiVersion?: string }[] }).hosts[0];
    const dh = (d.json as { hosts: { gated: boolean }[] }).hosts[0];
    expect(gh?.gated).toBe(true);
    expect(dh?.gated).toBe(false);
    const text = await cli(gated("reader"), ["hosts"]);
    expect(text.stdout).toMatch(/GATED/);
    expect(text.stdout).toMatch(new RegExp(`h\\s+ok\\s+.*\\byes\\s+tcp://127\\.0\\.0\\.1:${gate.port}`));
  });

  it("info, ls (every filter and sort), inspect and report give the same answers and text", async () => {
    const runs: string[][] = [
      ["info", "h"],
      ["ls", "h"],
      ["ls", "h", "--dangling", "--sort", "size"],
      ["ls", "h", "--project", "shop"],
      ["ls", "h", "--label", "dvol.protect=true"],
      ["ls", "h", "--driver", "local", "--name", "sized", "--sort", "created", "--limit", "1"],
      ["inspect", "h", VOLUMES.inUseRunning],
      ["inspect", "h", VOLUMES.inUseCreated],
      ["inspect", "h", VOLUMES.shopDb],
      ["inspect", "h", "no-such-volume"],
      ["report", "h"],
    ];
    for (const args of runs) {
      for (const json of [true, false]) {
        const { d, g } = await both(json ? ["--json", ...args] : args);
        expect({ args, json, code: g.code, stderr: g.stderr }).toEqual({
          args,
          json,
          code: d.code,
          stderr: d.stderr,
        });
        // When the hosts were asked and when sizes were measured differ between two runs (issue 12).
        if (json) expect({ args, out: untimed(g.json) }).toEqual({ args, out: untimed(d.json) });
        else expect({ args, out: g.stdout }).toEqual({ args, out: d.stdout });
      }
    }
    const ls = await cli<{ volumes?: unknown[] }>(gated("reader"), ["ls", "h"]);
    expect(ls.stdout).toContain(VOLUMES.sized5m);
    const inspect = await cli(gated("reader"), ["inspect", "h", VOLUMES.inUseRunning]);
    expect(inspect.stdout).toContain(CONTAINERS.runner);
  });

  it("rm: the same plan; with --yes the unused volumes are deleted through the gate, in-use and protected stay", async () => {
    const [u1, u2, inUse, pg] = [unique("u1"), unique("u2"), unique("inuse"), unique("postgres")];
    for (const v of [u1, u2, inUse, pg]) await createVolume(engine, v);
    await runDocker(engine, [
      "create",
      "--name",
      unique("ctr"),
      "--network",
      "none",
      "-v",
      `${inUse}:/data`,
      BUSYBOX_IMAGE,
    ]);
    const args = ["rm", "h", u1, u2, inUse, pg, "no-such-volume", "--reason", "gate test"];
    const { d, g } = await both(["--json", ...args], "deleter");
    expect([d.code, g.code]).toEqual([0, 0]);
    const plan = (r: unknown) => {
      const { requestId: _r, ...rest } = r as Record<string, unknown>;
      return rest;
    };
    expect(plan(g.json)).toEqual(plan(d.json));
    for (const v of [u1, u2, inUse, pg]) expect(await exists(engine, v)).toBe(true);

    const before = gate.audit.length;
    const run = await cli<DeletionResult>(gated("deleter"), ["--json", "--yes", ...args]);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ command: "rm", stage: "executed", status: "done" });
    expect(run.json.outcomes.map((o) => [o.name, o.result]).sort()).toEqual(
      [
        [u1, "deleted"],
        [u2, "deleted"],
      ].sort(),
    );
    expect(Object.fromEntries(run.json.blocked.map((b) => [b.name, b.reason]))).toEqual({
      [inUse]: "in-use",
      [pg]: "protected",
      "no-such-volume": "missing",
    });
    expect([await exists(engine, u1), await exists(engine, u2)]).toEqual([false, false]);
    expect([await exists(engine, inUse), await exists(engine, pg)]).toEqual([true, true]);
    // The gate's audit: exactly the two deletes, allowed, by the deleting certificate.
    const deletes = gate.audit
      .slice(before)
      .map((l) => JSON.parse(l))
      .filter((l) => l.operation === "volume-delete");
    expect(deletes.map((l) => [l.volume, l.decision, l.status, l.client]).sort()).toEqual(
      [
        [u1, "allowed", 204, "subject:dvol-bot"],
        [u2, "allowed", 204, "subject:dvol-bot"],
      ].sort(),
    );
  });

  it("rm --yes with a read-only certificate: the plan is made, each delete is refused by the gate, nothing is deleted", async () => {
    const v = unique("ro");
    await createVolume(engine, v);
    const run = await cli<DeletionResult>(gated("reader"), ["--json", "--yes", "rm", "h", v]);
    expect(run.code).toBe(1);
    expect(run.json.outcomes).toEqual([
      expect.objectContaining({
        name: v,
        result: "failed",
        error:
          "h: the dvol gate refused: subject:dvol-reader may not volume-delete (it needs delete)\n" +
          "The gate in front of this host decides what each client certificate may do (clients in its gate.yaml); its audit has the line.",
      }),
    ]);
    expect(await exists(engine, v)).toBe(true);
  });

  it("prune: the same plan; with --yes the dangling volumes that match are deleted through the gate", async () => {
    const label = `gate-prune-${process.pid}-${kind}`;
    const [p1, p2, used] = [unique("p1"), unique("p2"), unique("pused")];
    for (const v of [p1, p2, used]) await createVolume(engine, v, { [label]: "1" });
    await runDocker(engine, [
      "create",
      "--name",
      unique("pctr"),
      "--network",
      "none",
      "-v",
      `${used}:/d`,
      BUSYBOX_IMAGE,
    ]);
    const args = ["prune", "h", "--label", label];
    const { d, g } = await both(["--json", ...args], "deleter");
    expect([d.code, g.code]).toEqual([0, 0]);
    const plan = (r: unknown) => {
      const { requestId: _r, ...rest } = r as Record<string, unknown>;
      return rest;
    };
    expect(plan(g.json)).toEqual(plan(d.json));
    const run = await cli<DeletionResult>(gated("deleter"), ["--json", "--yes", ...args]);
    expect(run.code).toBe(0);
    expect(run.json.outcomes.map((o) => [o.name, o.result]).sort()).toEqual(
      [
        [p1, "deleted"],
        [p2, "deleted"],
      ].sort(),
    );
    expect([await exists(engine, p1), await exists(engine, p2), await exists(engine, used)]).toEqual([
      false,
      false,
      true,
    ]);
  });

  it("backup and restore through the gate: the same manifest as directly, and the restored tree equals the original", async () => {
    const name = unique("bk");
    await createVolume(engine, name, { "com.docker.compose.project": "shop" });
    await busybox(
      engine,
      name,
      [
        "set -e; cd /data; mkdir -p a/b empty",
        "echo hello > a/b/f.txt; chown 1000:1000 a/b/f.txt; chmod 640 a/b/f.txt",
        "dd if=/dev/urandom of=a/random.bin bs=1k count=300 2>/dev/null",
        "ln -s a/b/f.txt sym; ln a/b/f.txt hard; chown 999:999 /data; chmod 0750 /data",
      ].join("\n"),
    );
    const before = await busybox(engine, name, LIST, true);
    const backupDir = mkdtempSync(join(tmpdir(), "dvol-gate-bk-"));
    const context = async (file: string): Promise<BackupContext> => {
      const config = await loadConfig({ file, env: {} });
      return {
        host: config.hosts[0] as HostConfig,
        connect: tlsConnectionFactory(new SecretResolver({ baseDir: config.baseDir, env: {} })),
        store: new LocalBackupStore(backupDir),
        now: () => new Date(),
        who: "cli:tester",
        dvolVersion: "test",
        keepDays: 30,
        stallMs: 20_000,
      };
    };
    try {
      const viaGate = await context(gated("backup"));
      const m = await backupVolume(name, "through the gate", viaGate);
      const d = await backupVolume(name, "directly", await context(direct));
      expect(m.status).toBe("complete");
      expect(m.entries).toEqual(d.entries);
      expect(m.volume).toEqual(d.volume);

      const res = await socketRequest(engine.socketPath, "DELETE", `/volumes/${name}`);
      expect(res.status).toBe(204);
      const restored = await restoreBackup(m.id, null, viaGate);
      expect(restored).toMatchObject({ volume: name, entries: m.entries.length });
      expect(await busybox(engine, name, LIST, true)).toBe(before);

      // --as: another name, through the gate too.
      const copy = unique("copy");
      await restoreBackup(m.id, copy, viaGate);
      expect(await busybox(engine, copy, LIST, true)).toBe(before);

      // No helper is left behind, and every helper call was the gate's and allowed.
      const filters = encodeURIComponent(JSON.stringify({ label: ["dvol.helper=1"] }));
      const left = await socketRequest(engine.socketPath, "GET", `/containers/json?all=1&filters=${filters}`);
      expect(JSON.parse(left.body)).toEqual([]);
      const helperLines = gate.audit
        .map((l) => JSON.parse(l))
        .filter((l) => /^helper-/.test(l.operation ?? ""));
      expect(helperLines.length).toBeGreaterThan(0);
      expect(helperLines.filter((l) => l.decision !== "allowed")).toEqual([]);
    } finally {
      await rm(backupDir, { recursive: true, force: true });
    }
  });

  it("the backup, backups and restore commands through the gate, with the backup certificate: the same tree back", async () => {
    const name = unique("cmd");
    await createVolume(engine, name, { "com.docker.compose.project": "shop" });
    await busybox(
      engine,
      name,
      "mkdir /data/d; echo hi > /data/d/f; chown 33:33 /data/d/f; chmod 0750 /data",
    );
    const before = await busybox(engine, name, LIST, true);
    const dir = mkdtempSync(join(tmpdir(), "dvol-gate-bcmd-"));
    const bEnv = { ...env, DVOL_BACKUP_DIR: join(dir, "backups") };
    const file = writeConfig([gatedHost("h", gate, gatePki, "backup") as HostEntry], {
      backup: { beforeDelete: "off", keepDays: 14 },
    });
    const dvol = <T>(...args: string[]) => runCli<T>(["--config", file, ...args], { env: bEnv });
    try {
      const b = await dvol<BackupResult>("--json", "backup", "h", name, "--reason", "through the gate");
      expect(b.code, b.stderr).toBe(0);
      expect(b.json.volumes).toMatchObject([
        { volume: name, ok: true, error: null, backup: { status: "complete", restorable: true } },
      ]);
      const id = b.json.volumes[0]?.backup?.id as string;
      const listed = await dvol<BackupsResult>("--json", "backups", "h");
      expect(listed.code).toBe(0);
      expect(JSON.stringify(listed.json)).toContain(id);

      expect((await socketRequest(engine.socketPath, "DELETE", `/volumes/${name}`)).status).toBe(204);
      const r = await dvol<RestoreResult>("--json", "restore", "h", id);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json).toMatchObject({ command: "restore", host: "h", volume: name, fromOtherHost: null });
      expect(await busybox(engine, name, LIST, true)).toBe(before);
      const text = await dvol("restore", "h", id, "--as", `${name}-copy`);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(`h: restored ${id} into the new volume ${name}-copy:`);
      expect(await busybox(engine, `${name}-copy`, LIST, true)).toBe(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a restore through the gate that fails removes its half-made volume, with the backup certificate alone", async () => {
    const name = unique("half");
    await createVolume(engine, name);
    await busybox(engine, name, "echo one > /data/f; echo two > /data/g");
    const backupDir = mkdtempSync(join(tmpdir(), "dvol-gate-bk-"));
    try {
      const config = await loadConfig({ file: gated("backup"), env: {} });
      const ctx: BackupContext = {
        host: config.hosts[0] as HostConfig,
        connect: tlsConnectionFactory(new SecretResolver({ baseDir: config.baseDir, env: {} })),
        store: new LocalBackupStore(backupDir),
        now: () => new Date(),
        who: "cli:tester",
        dvolVersion: "test",
        keepDays: 30,
        stallMs: 20_000,
      };
      const m = await backupVolume(name, null, ctx);
      // The manifest no longer matches the archive: the restore's read-back differs from it.
      const file = join(backupDir, `${m.id}.json`);
      const manifest = JSON.parse(await readFile(file, "utf8"));
      const entry = manifest.entries.find((e: { path: string }) => e.path === "f");
      entry.sha256 = "0".repeat(64);
      await writeFile(file, JSON.stringify(manifest));
      const copy = unique("halfcopy");
      const err = await restoreBackup(m.id, copy, ctx).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/differs from the backup/);
      expect(err?.message).toMatch(new RegExp(`the half-made volume ${copy} was removed`));
      expect(await exists(engine, copy)).toBe(false);
      // That certificate still deletes nothing else: not the volume it backed up.
      const other = await socketRequest(engine.socketPath, "GET", `/volumes/${name}`);
      expect(other.status).toBe(200);
    } finally {
      await rm(backupDir, { recursive: true, force: true });
    }
  });

  it("a gate's rate limit: past deletesPerMinute, rm --yes deletes no more in that minute and says why", async () => {
    const dir = join(testbed.dir, `gate-limit-${kind}-${process.pid}`);
    const limited = await startTestGate(gatePki, engine.socketPath, dir, { deletesPerMinute: 2 });
    try {
      const vols = [unique("r1"), unique("r2"), unique("r3")];
      for (const v of vols) await createVolume(engine, v);
      const file = writeConfig([gatedHost("h", limited, gatePki, "deleter") as HostEntry]);
      const run = await cli<DeletionResult>(file, ["--json", "--yes", "rm", "h", ...vols]);
      expect(run.code).toBe(1);
      const results = run.json.outcomes.map((o) => o.result).sort();
      expect(results).toEqual(["deleted", "deleted", "failed"]);
      const failed = run.json.outcomes.find((o) => o.result === "failed");
      expect(failed && "error" in failed ? failed.error : "").toMatch(
        /^h: the dvol gate refused: more than 2 volume deletes in a minute; try again shortly/,
      );
      const left = [];
      for (const v of vols) if (await exists(engine, v)) left.push(v);
      expect(left).toEqual([failed?.name]);
    } finally {
      await limited.close();
    }
  });

  it("a gate whose engine is not there: dvol says the gate could not reach it (502), for this host only", async () => {
    const dir = join(testbed.dir, `gate-noengine-${kind}-${process.pid}`);
    const lost = await startTestGate(gatePki, join(dir, "no-such.sock"), dir);
    try {
      const file = writeConfig([
        gatedHost("lost", lost, gatePki, "reader") as HostEntry,
        gatedHost("h", gate, gatePki, "reader") as HostEntry,
      ]);
      const run = await cli<{ hosts: { host: string; ok: boolean; error: string | null }[] }>(file, [
        "--json",
        "ls",
        "all",
      ]);
      expect(run.code).toBe(1);
      const by = Object.fromEntries(run.json.hosts.map((h) => [h.host, h]));
      expect(by.h?.ok).toBe(true);
      expect(by.lost?.ok).toBe(false);
      expect(by.lost?.error).toMatch(
        /^lost: engine error 502: dvol gate: the engine's socket .*no-such\.sock cannot be reached: no such file/,
      );
      // (Besides the whole container list refused, 403: dvol then asks per volume, issue 12.)
      expect(lost.audit.map((l) => JSON.parse(l))).toContainEqual(
        expect.objectContaining({ decision: "failed", status: 502 }),
      );
    } finally {
      await lost.close();
    }
  });
});

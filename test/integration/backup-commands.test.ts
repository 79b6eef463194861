// The backup commands through the dvol CLI (in-process, as bin/dvol runs it, so through the
// command table) against real Docker engines (API 1.41 and 1.51) over mutual TLS, with the local
// store of backups (DVOL_BACKUP_DIR): backup → the volume deleted on the engine → restore gives the
// same tree; `backups` lists and filters, failed ones shown as failed and refused by restore;
// restore never writes over a volume; --as; a restore onto another host says so; exit statuses.
//
// This file starts its own engines (as backup.test.ts does): dvol imports its helper image and
// makes helper containers there, and other files compare whole lists of the shared engines.
import { mkdtempSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalBackupStore } from "../../src/backup/local.js";
import type { BackupResult } from "../../src/commands/backup/run.js";
import type { BackupsResult } from "../../src/commands/backups/run.js";
import type { RestoreResult } from "../../src/commands/restore/run.js";
import {
  busybox,
  createVolume,
  FILL,
  helpersLeft,
  removeVolume,
  treeOf,
  volumeLabels,
} from "../support/backup-trees.js";
import { engineHost, runCli, writeConfig } from "../support/dvol.js";
import { type Engine, type EngineKind, importBusyboxImage, startEngine } from "../support/engines.js";
import { requireTestbed } from "../support/testbed-types.js";

const testbed = requireTestbed();
let counter = 0;
const unique = (what: string) =>
  `bc-${what}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 7)}`;

const KINDS: readonly EngineKind[] = ["docker20", "docker28"];

describe.each(KINDS)("backup, backups and restore on the CLI, %s engine", (kind) => {
  let engine: Engine;
  let config: string;
  const dir = mkdtempSync(join(tmpdir(), "dvol-bc-"));
  const backupDir = join(dir, "backups");
  const env = { DVOL_BACKUP_DIR: backupDir, DVOL_STATE_DIR: join(dir, "state"), USER: "tester" };
  const dvol = <T>(...args: string[]) => runCli<T>(["--config", config, ...args], { env });

  beforeAll(async () => {
    engine = await startEngine({
      kind,
      pki: testbed.pki,
      dir: join(testbed.dir, `bcmd-${kind}-${process.pid}`),
    });
    await importBusyboxImage(engine);
    // Two names for one engine: "h2" is another host as far as dvol knows.
    config = writeConfig([engineHost("h", engine, testbed), engineHost("h2", engine, testbed)], {
      backup: { beforeDelete: "off", keepDays: 14 },
    });
  }, 180_000);
  afterAll(async () => {
    await engine?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("round trip: backup, the volume deleted, restore; the same tree, owners, modes, labels; files 0600 beside their manifests", async () => {
    const name = unique("rt");
    await createVolume(engine, name, {
      "com.docker.compose.project": "shop",
      "com.docker.compose.volume": "data",
    });
    await busybox(engine, name, FILL);
    const before = await treeOf(engine, name);
    expect(before).toContain(".|directory|-|700:999:999:");

    const b = await dvol<BackupResult>("--json", "backup", "h", name, "--reason", "before the upgrade");
    expect(b.code, b.stderr).toBe(0);
    expect(b.json).toMatchObject({
      command: "backup",
      host: "h",
      location: backupDir,
      reason: "before the upgrade",
      volumes: [{ volume: name, ok: true, error: null, backup: { status: "complete", restorable: true } }],
    });
    const made = b.json.volumes[0]?.backup;
    if (!made) throw new Error("no backup");
    expect(made).toMatchObject({ host: "h", volume: name, who: "cli:tester", why: "before the upgrade" });
    expect(made.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(made.expiresAt) - Date.parse(made.startedAt)).toBe(14 * 86_400_000);
    for (const f of [`${made.id}.tar.gz`, `${made.id}.json`]) {
      expect((await stat(join(backupDir, f))).mode & 0o777, f).toBe(0o600);
    }
    expect((await stat(join(backupDir, `${made.id}.tar.gz`))).size).toBe(made.sizeBytes);

    await removeVolume(engine, name);
    const r = await dvol("restore", "h", made.id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`h: restored ${made.id} into the new volume ${name}:`);
    expect(r.stdout).toContain("verified against the backup's manifest");
    expect(r.stdout).not.toContain("another host");
    expect(await treeOf(engine, name)).toBe(before);
    expect(await volumeLabels(engine, name)).toEqual({
      "com.docker.compose.project": "shop",
      "com.docker.compose.volume": "data",
    });
    expect(await helpersLeft(engine)).toEqual([]);
  });

  it("restore onto an existing name is refused (exit 1) and changes nothing; --as restores beside it; onto another host it says so", async () => {
    const name = unique("exists");
    await createVolume(engine, name);
    await busybox(engine, name, "echo one > /data/f; chmod 604 /data/f");
    const b = await dvol<BackupResult>("--json", "backup", "h", name);
    const id = b.json.volumes[0]?.backup?.id ?? "";
    const backedUp = await treeOf(engine, name);
    await busybox(engine, name, "echo two > /data/f; echo new > /data/g");
    const changed = await treeOf(engine, name);

    const refused = await dvol("restore", "h", id);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain(
      `a volume named ${name} already exists: a restore never writes over a volume`,
    );
    expect(refused.stderr).toContain(
      `Nothing changed. Restore under another name: restore h ${id} --as NEW-NAME`,
    );
    expect(await treeOf(engine, name)).toBe(changed);

    const copy = unique("copy");
    const as = await dvol<RestoreResult>("--json", "restore", "h", id, "--as", copy);
    expect(as.code, as.stderr).toBe(0);
    expect(as.json).toMatchObject({ command: "restore", host: "h", volume: copy, fromOtherHost: null });
    expect(await treeOf(engine, copy)).toBe(backedUp);

    const other = unique("other");
    const moved = await dvol("restore", "h2", id, "--as", other);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain(`h2: restored ${id} into the new volume ${other}`);
    expect(moved.stdout).toContain(
      "restored onto another host: the backup was taken on h, the volume is on h2",
    );
    expect(await treeOf(engine, other)).toBe(backedUp);
    expect(await treeOf(engine, name)).toBe(changed);
  });

  it("backups lists newest first with size, age, who, why and checksum; --volume and the target filter; a failed backup is shown as failed and never restored", async () => {
    const a = unique("a");
    const b = unique("b");
    await createVolume(engine, a);
    await createVolume(engine, b);
    await busybox(engine, a, "echo a > /data/a");
    const first = await dvol<BackupResult>("--json", "backup", "h", a, b, "--reason", "nightly");
    expect(first.code, first.stderr).toBe(0);
    const second = await dvol<BackupResult>("--json", "backup", "h", a);
    const ids = [...first.json.volumes, ...second.json.volumes].map((v) => v.backup?.id ?? "");
    // A failed backup as the core records it (a cut stream: test/integration/backup.test.ts).
    const failedId = `bk-20200101-000000-${Math.random().toString(16).slice(2, 10).padEnd(8, "0")}`;
    await new LocalBackupStore(backupDir).putManifest({
      format: "dvol-backup/1",
      id: failedId,
      status: "failed",
      error: "h: the engine closed the archive's stream before its end",
      host: "h",
      volume: { name: a, driver: "local", driverOpts: {}, labels: {}, createdAt: null },
      entries: [],
      archive: null,
      who: "cli:tester",
      why: null,
      startedAt: "2020-01-01T00:00:00.000Z",
      finishedAt: "2020-01-01T00:00:01.000Z",
      expiresAt: "2020-01-15T00:00:00.000Z",
      dvolVersion: "test",
    });

    const onlyA = await dvol<BackupsResult>("--json", "backups", "h", "--volume", a);
    expect(onlyA.code).toBe(0);
    expect(onlyA.json.backups.map((x) => x.id)).toEqual([ids[2], ids[0], failedId]);
    expect(onlyA.json.backups.map((x) => x.status)).toEqual(["complete", "complete", "failed"]);
    expect(onlyA.json.backups[2]).toMatchObject({ restorable: false, sizeBytes: null, sha256: null });
    expect(onlyA.json.backups[1]).toMatchObject({ who: "cli:tester", why: "nightly", volume: a, host: "h" });
    expect(onlyA.json).toMatchObject({ hosts: ["h"], volume: a, location: backupDir });

    const text = await dvol("backups", "--volume", b);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`1 backup of ${b} in ${backupDir}`);
    expect(text.stdout).toMatch(/ID +HOST +VOLUME +SIZE +AGE +WHO +SHA256 +STATUS +WHY/);
    expect(text.stdout).toContain(ids[1]);
    expect(text.stdout).not.toContain(ids[0]);

    const withFailed = await dvol("backups", "--volume", a);
    expect(withFailed.stdout).toContain(`FAILED: h: the engine closed the archive's stream before its end`);
    expect(withFailed.stdout).toContain("1 failed: kept as a record only, never restorable.");
    // h2 has no backups of its own.
    expect((await dvol<BackupsResult>("--json", "backups", "h2")).json.backups).toEqual([]);

    const never = await dvol("restore", "h", failedId, "--as", unique("never"));
    expect(never.code).toBe(1);
    expect(never.stderr).toContain(`no restorable backup "${failedId}": that backup of ${a} on h failed`);
    const unknown = await dvol("restore", "h", "bk-20200101-000000-00000000");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      `no restorable backup "bk-20200101-000000-00000000": there is no such backup in ${backupDir}`,
    );
    expect((await readdir(backupDir)).filter((f) => f.endsWith(".partial"))).toEqual([]);
  });

  it("backup.maxBytes bounds the backup command: a volume over it is not backed up (recorded as failed, exit 1), says the limit and what to do; one under it is", async () => {
    const limited = writeConfig([engineHost("h", engine, testbed)], {
      backup: { beforeDelete: "off", keepDays: 14, maxBytes: 1_000_000 },
    });
    const big = unique("max");
    const small = unique("fits");
    await createVolume(engine, big);
    await createVolume(engine, small);
    await busybox(engine, big, "dd if=/dev/urandom of=/data/big bs=1M count=3 2>/dev/null");
    await busybox(engine, small, "echo small > /data/f");
    const before = await treeOf(engine, big);
    const b = await runCli<BackupResult>(["--config", limited, "--json", "backup", "h", big, small], { env });
    expect(b.code, b.stderr).toBe(1);
    expect(b.json?.volumes).toEqual([
      {
        volume: big,
        ok: false,
        backup: null,
        error: expect.stringMatching(
          /^h: the backup of \S+ failed: the archive passed backup\.maxBytes \(1\.0 MB, 1000000 bytes\): stopped after .* read from the engine \(recorded as failed: bk-/,
        ),
        hint: expect.stringContaining("raise backup.maxBytes in the config"),
      },
      expect.objectContaining({
        volume: small,
        ok: true,
        backup: expect.objectContaining({ status: "complete" }),
      }),
    ]);
    const failed = (await new LocalBackupStore(backupDir).list()).filter((m) => m.volume.name === big);
    expect(failed.map((m) => m.status)).toEqual(["failed"]);
    expect(
      (await readdir(backupDir)).filter((f) => f.endsWith(".partial") || f === `${failed[0]?.id}.tar.gz`),
    ).toEqual([]);
    expect(await treeOf(engine, big)).toBe(before);
    expect(await helpersLeft(engine)).toEqual([]);
  });

  it("exit statuses: a volume that is not there fails its line (1) and the others are backed up; bad ids and names are usage errors (2); unknown hosts too", async () => {
    const there = unique("there");
    await createVolume(engine, there);
    const r = await dvol("backup", "h", there, "no-such-volume-here");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`h: 1 of 2 volumes backed up to ${backupDir}`);
    expect(r.stdout).toContain(`${there}: backed up as bk-`);
    expect(r.stdout).toContain(
      'no-such-volume-here: NOT backed up: h: no volume named "no-such-volume-here"',
    );
    expect((await dvol("restore", "h", "DR-0A1B2C3D")).code).toBe(2);
    expect((await dvol("restore", "h", "bk-20200101-000000-00000000", "--as", "../x")).code).toBe(2);
    expect((await dvol("backup", "nohost", there)).code).toBe(2);
    expect((await dvol("backups", "nohost")).code).toBe(2);
  });
});

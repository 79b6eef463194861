// Unit tests of backups before deletion (src/approvals/before-delete.ts, and its parts of plan.ts and
// execute.ts) on a fake engine and an in-memory store. The backup itself is a stand-in here (`take`:
// no engine streams archives in unit tests); test/e2e/deletion-backup.test.ts takes real ones.
import { describe, expect, it } from "vitest";
import {
  applyBackupRule,
  BACKUP_BYTES_PER_SECOND,
  BACKUP_CONCURRENCY,
  type BeforeDeleteBackups,
  backupEstimateMs,
  tooBigReason,
} from "../../../src/approvals/before-delete.js";
import { type ExecuteDeps, executeRequest } from "../../../src/approvals/execute.js";
import { changeAsOperator } from "../../../src/approvals/life.js";
import { buildPlan } from "../../../src/approvals/plan.js";
import { approveAsOperator, openRequest } from "../../../src/approvals/requests.js";
import type { BackupContext, backupVolume } from "../../../src/backup/backup.js";
import type { BackupManifest } from "../../../src/backup/manifest.js";
import type { BackupStore } from "../../../src/backup/store.js";
import { parseCommand } from "../../../src/commands/parse.js";
import type { BackupConfig, Config } from "../../../src/config/types.js";
import { BackupFailedError, BackupTooBigError } from "../../../src/errors.js";
import { MemoryStore } from "../../../src/store/memory.js";
import { manualClock } from "../../support/clock.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";

const START = "2026-11-29T12:00:00Z";
const MB = 1_000_000;

function withBackup(over: Partial<BackupConfig> = {}): Config {
  return {
    ...fakeConfig(),
    backup: { bucket: null, kmsKeyId: null, beforeDelete: "required", maxBytes: null, keepDays: 30, ...over },
  };
}

/** A backup stand-in: complete manifests for every volume but those in `failing`. */
function fakeBackups(failing: Set<string> = new Set()) {
  const taken: { volume: string; why: string | null; who: string; maxBytes: number | null }[] = [];
  let n = 0;
  const take = async (volume: string, why: string | null, ctx: BackupContext): Promise<BackupManifest> => {
    taken.push({ volume, why, who: ctx.who, maxBytes: ctx.maxBytes ?? null });
    const id = `bk-20261129-120000-${(++n).toString(16).padStart(8, "0")}`;
    if (failing.has(volume)) {
      throw new BackupFailedError(
        `${ctx.host.name}: the backup of ${volume} failed: the archive ended early (recorded as failed: ${id})`,
      );
    }
    return {
      format: "dvol-backup/1",
      id,
      status: "complete",
      error: null,
      host: ctx.host.name,
      volume: {
        name: volume,
        driver: "local",
        driverOpts: {},
        labels: {},
        createdAt: "2026-01-01T00:00:00Z",
      },
      entries: [],
      archive: {
        name: `${id}.tar.gz`,
        encoding: "gzip",
        bytes: 1,
        sha256: "x",
        tarBytes: 1024,
        contentBytes: 0,
      },
      who: ctx.who,
      why,
      startedAt: START,
      finishedAt: START,
      expiresAt: START,
      dvolVersion: "test",
    };
  };
  const backups: BeforeDeleteBackups = {
    store: async () => ({ location: "/fake" }) as BackupStore,
    dvolVersion: "test",
    take,
  };
  return { taken, backups };
}

async function approved(fake: FakeEngine, words: string[], config: Config) {
  const clock = manualClock(START);
  const store = new MemoryStore({ now: clock.ms });
  const cmd = parseCommand(["rm", "host1", ...words]);
  if (cmd.name !== "rm") throw new Error("not rm");
  const plan = await buildPlan(cmd, { config, connect: fake.factory(), now: clock.now });
  const r = await openRequest(
    { store, now: clock.now },
    { plan, requester: "cli:t", channel: null, ttlHours: 24 },
  );
  await approveAsOperator({ store, now: clock.now }, r.id, "cli:t");
  const deps = (over: Partial<ExecuteDeps> = {}): ExecuteDeps => ({
    store,
    config,
    connect: fake.factory(),
    now: clock.now,
    executor: "test",
    ...over,
  });
  return { store, clock, id: r.id, plan, deps };
}

describe("the plan under backup.beforeDelete", () => {
  const fake = () =>
    new FakeEngine()
      .addVolume({ name: "small", sizeBytes: 10 * MB })
      .addVolume({ name: "big", sizeBytes: 3000 * MB })
      .addVolume({ name: "unknown", sizeBytes: -1 });
  const plan = async (config: Config, words: string[], timeMs: number | null = null) => {
    const cmd = parseCommand(["rm", "host1", ...words]);
    if (cmd.name !== "rm") throw new Error("not rm");
    return buildPlan(cmd, { config, connect: fake().factory(), now: () => new Date(START) }, timeMs);
  };

  it("required: every volume is backed up first; one over backup.maxBytes is blocked as too big, with why", async () => {
    const p = await plan(withBackup({ maxBytes: 100 * MB }), ["small", "big", "unknown"]);
    expect(p.backup).toBe("first");
    expect(p.plan.map((v) => v.name)).toEqual(["small", "unknown"]);
    expect(p.blocked).toEqual([
      {
        name: "big",
        reason: "too-big",
        detail: expect.stringMatching(/^3\.0 GB is over backup\.maxBytes \(100 MB\).*--no-backup/),
      },
    ]);
  });

  it("required: a volume whose backup would outlast the executing function is blocked; the CLI has no such bound", async () => {
    const budget = 85_000;
    const inWorker = await plan(withBackup(), ["small", "big"], budget);
    expect(inWorker.plan.map((v) => v.name)).toEqual(["small"]);
    expect(inWorker.blocked[0]?.detail).toMatch(/would take about 358 s to back up .* more than the 85 s/);
    const onCli = await plan(withBackup(), ["small", "big"], null);
    expect(onCli.plan.map((v) => v.name)).toEqual(["big", "small"]);
  });

  it("--no-backup: nothing is blocked for its size, the mode says so, and the command keeps the option", async () => {
    const p = await plan(withBackup({ maxBytes: 100 * MB }), ["small", "big", "--no-backup"], 85_000);
    expect(p.backup).toBe("skipped");
    expect(p.blocked).toEqual([]);
    expect(p.command).toBe("rm host1 small big --no-backup");
  });

  it("off: no backup, nothing blocked for its size", async () => {
    const p = await plan(withBackup({ beforeDelete: "off", maxBytes: 1 }), ["small", "big"]);
    expect(p.backup).toBe("off");
    expect(p.plan).toHaveLength(2);
  });

  it("estimates a backup's time from its size at the stated throughput; an unknown size is not blocked", () => {
    expect(backupEstimateMs(BACKUP_BYTES_PER_SECOND * 3)).toBe(3000);
    expect(backupEstimateMs(null)).toBe(0);
    expect(tooBigReason({ sizeBytes: null }, { maxBytes: 1, timeBudgetMs: 1 })).toBeNull();
    const v = { name: "a", driver: "local", sizeBytes: 5, createdAt: null, project: null };
    expect(applyBackupRule([v], "skipped", { maxBytes: 1, timeBudgetMs: null })).toEqual({
      plan: [v],
      blocked: [],
    });
  });
});

describe("execution with backups first", () => {
  it("deletes only the volumes whose backup completed; each deleted outcome names its backup; a failed backup pauses", async () => {
    const fake = new FakeEngine()
      .addVolume({ name: "va" })
      .addVolume({ name: "vb" })
      .addVolume({ name: "vc" });
    const { deps, id, store } = await approved(fake, ["va", "vb", "vc", "--reason", "old"], withBackup());
    const { taken, backups } = fakeBackups(new Set(["vb"]));

    const res = await executeRequest(deps({ backups }), id);
    expect(res.status).toBe("paused");
    if (res.status !== "paused") return;
    const r = res.request;
    expect([...fake.volumes.keys()]).toEqual(["vb"]);
    expect(fake.deletes("vb")).toBe(0);
    const byName = Object.fromEntries(r.outcomes.map((o) => [o.name, o]));
    expect(byName.va).toMatchObject({ result: "deleted", backupId: expect.stringMatching(/^bk-/) });
    expect(byName.vc).toMatchObject({ result: "deleted", backupId: expect.stringMatching(/^bk-/) });
    expect(byName.va?.result === "deleted" && byName.va.backupId).not.toBe(
      byName.vc?.result === "deleted" && byName.vc.backupId,
    );
    expect(byName.vb).toMatchObject({
      result: "failed",
      error: expect.stringMatching(/^not deleted: its backup did not complete: .*archive ended early/),
      backupId: expect.stringMatching(/^bk-/),
    });
    expect(r.paused).toMatchObject({ kind: "failure", reason: expect.stringContaining("vb") });
    expect(taken.map((t) => t.why)).toEqual(Array(3).fill(`before deletion (${id}: old)`));
    expect(taken[0]?.who).toBe("cli:t");

    // The audit names each backup, the failed one too.
    const volumes = (await store.listAudit(id)).filter((a) => a.action === "volume").map((a) => a.detail);
    expect(volumes.map((d) => d.backupId)).toEqual([
      expect.stringMatching(/^bk-/),
      expect.stringMatching(/^bk-/),
      expect.stringMatching(/^bk-/),
    ]);
    const requested = (await store.listAudit(id)).find((a) => a.action === "requested");
    expect(requested?.detail).toMatchObject({ backup: "first", noBackup: false });

    // Resumed once the cause is fixed: the backup is tried again, then the volume is deleted.
    await changeAsOperator({ store, now: deps().now }, id, "cli:t", "resume");
    const again = fakeBackups();
    const res2 = await executeRequest(deps({ backups: again.backups }), id);
    expect(res2.status).toBe("done");
    expect(again.taken.map((t) => t.volume)).toEqual(["vb"]);
    expect(fake.volumes.size).toBe(0);
  });

  it("a volume whose size was unknown at planning is backed up only up to backup.maxBytes; over it, it is not deleted and the request pauses", async () => {
    // The engine gives -1 for the size: the plan cannot block it, so backupVolume gets the limit.
    const fake = new FakeEngine().addVolume({ name: "vu", sizeBytes: -1 }).addVolume({ name: "vs" });
    const config = withBackup({ maxBytes: 5 * MB });
    const { deps, id, plan } = await approved(fake, ["vu", "vs"], config);
    expect(plan.plan.map((v) => [v.name, v.sizeBytes])).toEqual([
      ["vs", 1000],
      ["vu", null],
    ]);
    expect(plan.blocked).toEqual([]);
    const { taken, backups } = fakeBackups();
    // The stand-in stops as backupVolume does when the archive (50 MB here) passes the limit it is given.
    const take: typeof backupVolume = async (volume, why, ctx) => {
      if (volume === "vu" && ctx.maxBytes != null && 50 * MB > ctx.maxBytes) {
        taken.push({ volume, why, who: ctx.who, maxBytes: ctx.maxBytes });
        throw new BackupTooBigError(
          `host1: the backup of vu failed: the archive passed backup.maxBytes (5.0 MB, 5000000 bytes): stopped after 5.0 MB read from the engine (recorded as failed: bk-20261129-120000-0000000f)`,
          ctx.maxBytes,
        );
      }
      return (backups.take as typeof backupVolume)(volume, why, ctx);
    };

    const res = await executeRequest(deps({ backups: { ...backups, take } }), id);
    expect(taken.map((t) => [t.volume, t.maxBytes])).toEqual([
      ["vs", 5 * MB],
      ["vu", 5 * MB],
    ]);
    expect(res.status).toBe("paused");
    if (res.status !== "paused") return;
    expect([...fake.volumes.keys()]).toEqual(["vu"]);
    expect(fake.deletes("vu")).toBe(0);
    expect(res.request.outcomes.find((o) => o.name === "vu")).toEqual({
      name: "vu",
      result: "failed",
      error:
        "not deleted: its backup did not complete: host1: the backup of vu failed: the archive passed backup.maxBytes (5.0 MB, 5000000 bytes): stopped after 5.0 MB read from the engine (recorded as failed: bk-20261129-120000-0000000f); to delete it, raise backup.maxBytes and resume, or cancel and request it again with --no-backup",
      backupId: "bk-20261129-120000-0000000f",
    });
    expect(res.request.paused).toMatchObject({ kind: "failure", reason: expect.stringContaining("vu") });
  });

  it("a request planned with --no-backup deletes without a backup, and the audit says so", async () => {
    const fake = new FakeEngine().addVolume({ name: "va" });
    const { deps, id, store } = await approved(fake, ["va", "--no-backup"], withBackup());
    const { taken, backups } = fakeBackups();
    const res = await executeRequest(deps({ backups }), id);
    expect(res.status).toBe("done");
    expect(taken).toEqual([]);
    expect(res.status === "done" && res.request.outcomes).toEqual([
      { name: "va", result: "deleted", freedBytes: 1000 },
    ]);
    const requested = (await store.listAudit(id)).find((a) => a.action === "requested");
    expect(requested?.detail).toMatchObject({
      backup: "skipped",
      noBackup: true,
      command: "rm host1 va --no-backup",
    });
  });

  it("without a usable store of backups nothing is deleted: the request pauses and says why", async () => {
    const fake = new FakeEngine().addVolume({ name: "va" });
    const { deps, id } = await approved(fake, ["va"], withBackup());
    const noStore = await executeRequest(deps(), id);
    expect(noStore.status).toBe("paused");
    expect(noStore.status === "paused" && noStore.request.paused?.reason).toMatch(
      /must be backed up first, and the store of backups cannot be used/,
    );
    expect(fake.deletes()).toBe(0);
  });

  it("a backup that would not end before the deadline is not started: the volume is left for the next invocation", async () => {
    const fake = new FakeEngine()
      .addVolume({ name: "va", sizeBytes: 1 * MB })
      .addVolume({ name: "vb", sizeBytes: 900 * MB });
    const { deps, id } = await approved(fake, ["va", "vb"], withBackup());
    const { taken, backups } = fakeBackups();
    const asked: (number | undefined)[] = [];
    const res = await executeRequest(
      deps({
        backups,
        concurrency: 1,
        // 10 s left in this invocation: enough for va's backup, not for vb's (90 s estimated).
        stopRequested: (needMs) => {
          asked.push(needMs);
          return (needMs ?? 0) > 10_000
            ? { kind: "deadline", reason: "near the deadline", handOver: true }
            : null;
        },
      }),
      id,
    );
    expect(res.status).toBe("handed-over");
    expect(taken.map((t) => t.volume)).toEqual(["va"]);
    expect([...fake.volumes.keys()]).toEqual(["vb"]);
    expect(res.status === "handed-over" && res.request.outcomes.map((o) => o.name)).toEqual(["va"]);
    expect(asked).toContain(backupEstimateMs(900 * MB));
  });

  it("takes at most BACKUP_CONCURRENCY backups at once, while deletions run 8 at a time", async () => {
    const fake = new FakeEngine();
    const names = ["v1", "v2", "v3", "v4", "v5", "v6"];
    for (const n of names) fake.addVolume({ name: n });
    const { deps, id } = await approved(fake, names, withBackup());
    const { backups } = fakeBackups();
    let now = 0;
    let most = 0;
    const take = backups.take;
    if (!take) throw new Error("no take");
    const slow: typeof take = async (...args) => {
      most = Math.max(most, ++now);
      await new Promise((r) => setImmediate(r));
      now--;
      return take(...args);
    };
    const res = await executeRequest(deps({ backups: { ...backups, take: slow } }), id);
    expect(res.status).toBe("done");
    expect(most).toBe(BACKUP_CONCURRENCY);
    expect(fake.volumes.size).toBe(0);
  });
});

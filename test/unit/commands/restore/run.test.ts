// Unit tests of src/commands/restore/run.ts: what is refused before anything is asked of the
// host (no connection is ever made here): an unknown id, a failed backup, a requester list that
// does not name the person (Slack), and, in the worker, a backup too big for the time left.
import { describe, expect, it } from "vitest";
import type { BackupManifest } from "../../../../src/backup/manifest.js";
import type { BackupStore } from "../../../../src/backup/store.js";
import type { BackupActor } from "../../../../src/commands/backup/run.js";
import { runRestore } from "../../../../src/commands/restore/run.js";
import { validateConfig } from "../../../../src/config/validate.js";
import { BackupNotFoundError, NotAllowedError, OutOfTimeError } from "../../../../src/errors.js";

const ID = "bk-20261203-061512-0a1b2c3d";
const config = validateConfig(
  {
    hosts: [{ name: "h", socket: "/var/run/docker.sock" }],
    access: { requesters: ["U0ALICE01"], approvers: ["U0ALICE01"] },
  },
  null,
  "/",
);
const ctx = {
  config,
  connect: () => Promise.reject(new Error("no host is asked in these tests")),
  now: () => new Date("2026-12-03T08:00:00Z"),
};
const cli: BackupActor = {
  actor: { user: "cli:op", channel: null },
  resolveGroup: async () => [],
  checked: false,
};

function manifest(over: Partial<BackupManifest> = {}): BackupManifest {
  return {
    format: "dvol-backup/1",
    id: ID,
    status: "complete",
    error: null,
    host: "h",
    volume: { name: "pgdata", driver: "local", driverOpts: {}, labels: {}, createdAt: null },
    entries: [],
    archive: {
      name: `${ID}.tar.gz`,
      encoding: "gzip",
      bytes: 1,
      sha256: "0".repeat(64),
      tarBytes: 4 * 2 ** 30,
      contentBytes: 4 * 2 ** 30,
    },
    who: "U0ALICE01",
    why: null,
    startedAt: "2026-12-03T06:15:12.000Z",
    finishedAt: "2026-12-03T06:20:12.000Z",
    expiresAt: "2027-01-02T06:15:12.000Z",
    dvolVersion: "test",
    ...over,
  };
}

const storeOf = (m: BackupManifest | null): BackupStore => ({
  location: "s3://b/backups/",
  createArchive: () => Promise.reject(new Error("not here")),
  putManifest: () => Promise.reject(new Error("not here")),
  list: async () => (m ? [m] : []),
  get: async () => m,
  openArchive: () => Promise.reject(new Error("not here")),
});

const setting = (m: BackupManifest | null, remainingMs?: () => number) => ({
  store: async () => storeOf(m),
  dvolVersion: "test",
  ...(remainingMs ? { remainingMs } : {}),
});

const restore = (as: string | null = null) => ({ name: "restore" as const, host: "h", id: ID, as });

describe("runRestore refusals", () => {
  it("an unknown id: no such backup in the store", async () => {
    const err = await runRestore(restore(), ctx, setting(null), cli).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupNotFoundError);
    expect((err as Error).message).toBe(
      `no restorable backup "${ID}": there is no such backup in s3://b/backups/`,
    );
  });

  it("a failed backup: never restorable, and why it failed", async () => {
    const failed = manifest({ status: "failed", archive: null, error: "h: the stream was cut" });
    const err = await runRestore(restore(), ctx, setting(failed), cli).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `no restorable backup "${ID}": that backup of pgdata on h failed (h: the stream was cut) and was never restorable`,
    );
  });

  it("in Slack, someone not on access.requesters", async () => {
    const eve: BackupActor = {
      actor: { user: "U0EVE0001", channel: "C1" },
      resolveGroup: async () => [],
      checked: true,
    };
    const err = await runRestore(restore(), ctx, setting(manifest()), eve).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotAllowedError);
    expect((err as Error).message).toBe("You are not one of dvol's requesters, who may restore backups.");
  });

  it("in the worker, a backup whose restore cannot fit in the time left, pointing to the CLI", async () => {
    const err = await runRestore(
      restore("pg-copy"),
      ctx,
      setting(manifest(), () => 100_000),
      cli,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutOfTimeError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^h: ${ID} \\(4\\.3 GB of pgdata\\) cannot be restored in the time this worker has left \\(about 1024 s needed, 60 s left\\); nothing was made$`,
      ),
    );
    expect((err as OutOfTimeError).hint).toBe(
      `Restore it from a terminal, where there is no time limit: dvol restore h ${ID} --as pg-copy`,
    );
  });
});

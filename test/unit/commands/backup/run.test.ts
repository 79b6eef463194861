// Unit tests of src/commands/backup/run.ts in the worker: a volume whose remembered size cannot be
// copied in the time left is refused at once, pointing to the CLI, with no engine call and nothing
// written; and someone not on access.requesters is refused in Slack.
import { describe, expect, it } from "vitest";
import type { BackupStore } from "../../../../src/backup/store.js";
import { type BackupActor, runBackup } from "../../../../src/commands/backup/run.js";
import { validateConfig } from "../../../../src/config/validate.js";
import { NotAllowedError } from "../../../../src/errors.js";
import { MemoryStore } from "../../../../src/store/memory.js";

const config = validateConfig(
  {
    hosts: [{ name: "h", socket: "/var/run/docker.sock" }],
    access: { requesters: ["U0ALICE01"], approvers: ["U0ALICE01"] },
  },
  null,
  "/",
);
let connections = 0;
const ctx = {
  config,
  connect: () => {
    connections++;
    return Promise.reject(new Error("no host is asked in these tests"));
  },
  now: () => new Date("2026-12-03T08:00:00Z"),
};
let writes = 0;
const backups: BackupStore = {
  location: "s3://b/backups/",
  createArchive: () => {
    writes++;
    return Promise.reject(new Error("not here"));
  },
  putManifest: () => {
    writes++;
    return Promise.reject(new Error("not here"));
  },
  list: async () => [],
  get: async () => null,
  openArchive: () => Promise.reject(new Error("not here")),
};
const alice: BackupActor = {
  actor: { user: "U0ALICE01", channel: "C1" },
  resolveGroup: async () => [],
  checked: true,
};
const cmd = { name: "backup" as const, host: "h", volumes: ["pgdata"], reason: null };

describe("runBackup in the worker", () => {
  it("refuses at once a volume whose remembered size cannot be copied in the time left: no engine call, nothing written", async () => {
    const store = new MemoryStore();
    await store.putSizes("measured", {
      host: "h",
      measuredAt: "2026-12-03T07:00:00.000Z",
      volumes: [{ name: "pgdata", createdAt: null, sizeBytes: 40_000_000_000 }],
    });
    const setting = { store: async () => backups, dvolVersion: "test", remainingMs: () => 110_000 };
    const r = await runBackup(cmd, ctx, setting, alice, async () => store);
    expect(r.volumes).toEqual([
      {
        volume: "pgdata",
        ok: false,
        backup: null,
        error:
          "h: pgdata (40.0 GB) cannot be backed up in the time this worker has left (about 4769 s needed, 70 s left); nothing was written",
        hint: "Back it up from a terminal, where there is no time limit: dvol backup h pgdata",
      },
    ]);
    expect(connections).toBe(0);
    expect(writes).toBe(0);
  });

  it("refuses someone who is not on access.requesters, before anything", async () => {
    const eve = { ...alice, actor: { user: "U0EVE0001", channel: "C1" } };
    const setting = { store: async () => backups, dvolVersion: "test" };
    const err = await runBackup(cmd, ctx, setting, eve).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotAllowedError);
    expect((err as Error).message).toBe("You are not one of dvol's requesters, who may back volumes up.");
    expect(writes).toBe(0);
  });
});

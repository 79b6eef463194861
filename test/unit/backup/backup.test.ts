// Unit tests of backup.maxBytes in src/backup/backup.ts: the archive is counted as it streams from
// the engine and the backup stops once it passes the limit (the engine's stream and the store's
// writer destroyed, the writer aborted, a failed manifest naming the limit, a BackupTooBigError
// that says what to do). No engine streams archives in unit tests: the engine here is a stand-in
// at the connection's interface (call and stream, as EngineConnection defines them), answering the
// helper wire's requests; the S3 store's case runs against s3rver on loopback, also a stand-in
// (test/support/s3.ts). test/integration/backup.test.ts runs the local case on real engines.
import { randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { S3Client } from "@aws-sdk/client-s3";
import { pack as tarPack } from "tar-stream";
import { describe, expect, it } from "vitest";
import { type BackupContext, backupVolume } from "../../../src/backup/backup.js";
import type { BackupManifest } from "../../../src/backup/manifest.js";
import { S3BackupStore } from "../../../src/backup/s3.js";
import type { ArchiveWriter, BackupStore } from "../../../src/backup/store.js";
import type { HostConfig } from "../../../src/config/types.js";
import type { EngineConnection, EngineRequest } from "../../../src/docker/connection.js";
import type { StreamAnswer, StreamRequest } from "../../../src/docker/stream.js";
import { BackupFailedError, BackupTooBigError } from "../../../src/errors.js";
import { startS3 } from "../../support/s3.js";

const host: HostConfig = {
  name: "h",
  endpoint: { kind: "socket", path: "/fake.sock" },
  labels: {},
  timeoutMs: 20_000,
};

/** A tar of one volume: its root and one file of `size` bytes (random ones: gzip cannot shrink them). */
async function volumeTar(size: number, random = false): Promise<Buffer> {
  const p = tarPack();
  p.entry({ name: "volume/", type: "directory", mode: 0o755 });
  p.entry({ name: "volume/big", mode: 0o644 }, random ? randomBytes(size) : Buffer.alloc(size, 7));
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

const CHUNK = 16 * 1024;

/** The stand-in engine: one volume, whose archive is `tar`, served in CHUNK-byte pieces on demand. */
function standIn(tar: Buffer) {
  const calls: string[] = [];
  const archive = { served: 0, destroyed: false };
  const answer = (status: number, body: Readable | string = ""): StreamAnswer => ({
    status,
    headers: {},
    body: typeof body === "string" ? Readable.from([Buffer.from(body)]) : body,
  });
  const stream = async (req: StreamRequest): Promise<StreamAnswer> => {
    const path = req.path.replace(/^\/v\d+\.\d+/, "");
    calls.push(`${req.method} ${path}`);
    if (path.startsWith("/images/")) return answer(200, "{}");
    if (path === "/containers/create") return answer(201, JSON.stringify({ Id: "abc123abc123" }));
    if (path === "/containers/abc123abc123" && req.method === "DELETE") return answer(204);
    if (path === "/volumes/pgdata")
      return answer(
        200,
        JSON.stringify({ Name: "pgdata", Driver: "local", CreatedAt: "2026-01-01T00:00:00Z" }),
      );
    if (path === "/containers/abc123abc123/archive") {
      let at = 0;
      const body = new Readable({
        read() {
          if (at >= tar.length) return void this.push(null);
          const piece = tar.subarray(at, at + CHUNK);
          at += piece.length;
          archive.served = at;
          this.push(piece);
        },
        destroy(err, cb) {
          archive.destroyed = true;
          cb(err);
        },
      });
      return answer(200, body);
    }
    return answer(404, JSON.stringify({ message: `no ${req.method} ${path} here` }));
  };
  const conn: EngineConnection = {
    host: "h",
    engineApiVersion: "1.41",
    call: async <T>(req: EngineRequest) => {
      calls.push(`${req.method} ${req.path}`);
      return { ApiVersion: "1.41", Version: "20.10.24", MinAPIVersion: "1.12" } as T;
    },
    stream,
    close() {},
  };
  return { calls, archive, connect: async () => conn };
}

/** A store of backups in memory that records what its writer was asked. */
function memoryBackups() {
  const manifests: BackupManifest[] = [];
  const writer = { written: 0, committed: false, aborted: false, sinkDestroyed: false };
  const store: BackupStore = {
    location: "memory",
    createArchive: async (): Promise<ArchiveWriter> => {
      const sink = new Writable({
        write(c: Buffer, _e, cb) {
          writer.written += c.length;
          cb();
        },
        destroy(err, cb) {
          writer.sinkDestroyed = true;
          cb(err);
        },
      });
      return {
        sink,
        commit: async () => {
          writer.committed = true;
        },
        abort: async () => {
          writer.aborted = true;
        },
      };
    },
    putManifest: async (m) => void manifests.push(m),
    list: async () => [...manifests],
    get: async (id) => manifests.find((m) => m.id === id) ?? null,
    openArchive: () => Promise.reject(new Error("not in these tests")),
  };
  return { store, manifests, writer };
}

function contextOf(tar: Buffer, maxBytes: number | null) {
  const engine = standIn(tar);
  const backups = memoryBackups();
  const ctx: BackupContext = {
    host,
    connect: engine.connect,
    store: backups.store,
    now: () => new Date("2026-12-07T04:00:00Z"),
    who: "cli:tester",
    dvolVersion: "test",
    keepDays: 30,
    hex: () => "0123abcd",
    maxBytes,
  };
  return { ctx, engine, backups };
}

describe("backupVolume under backup.maxBytes", () => {
  it("stops once the archive passes the limit: engine stream and writer destroyed, writer aborted, failed manifest, BackupTooBigError", async () => {
    const tar = await volumeTar(2_000_000);
    const { ctx, engine, backups } = contextOf(tar, 100_000);
    const err = await backupVolume("pgdata", "cleanup", ctx).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(BackupTooBigError);
    expect(err).toBeInstanceOf(BackupFailedError);
    expect((err as Error).message).toBe(
      `h: the backup of pgdata failed: the archive passed backup.maxBytes (100 kB, 100000 bytes): stopped after 115 kB read from the engine (recorded as failed: ${backups.manifests[0]?.id})`,
    );
    expect((err as BackupTooBigError).hint).toBe(
      "Nothing restorable was kept; the volume is untouched. To back it up, raise backup.maxBytes in the config; to delete it without a backup, request the deletion with --no-backup.",
    );
    expect((err as BackupTooBigError).maxBytes).toBe(100_000);

    // Stopped at once: the engine's stream was cut long before its end, and nothing was committed.
    expect(engine.archive.destroyed).toBe(true);
    expect(engine.archive.served).toBeLessThan(tar.length / 2);
    expect(backups.writer).toMatchObject({ committed: false, aborted: true, sinkDestroyed: true });
    expect(backups.manifests).toHaveLength(1);
    expect(backups.manifests[0]).toMatchObject({
      status: "failed",
      archive: null,
      volume: { name: "pgdata" },
      why: "cleanup",
      error:
        "the archive passed backup.maxBytes (100 kB, 100000 bytes): stopped after 115 kB read from the engine",
    });
    // The helper was removed all the same.
    expect(engine.calls).toContain("DELETE /containers/abc123abc123");
  });

  it("an archive of exactly the limit, or with no limit, is backed up whole", async () => {
    const tar = await volumeTar(300_000);
    for (const limit of [tar.length, null]) {
      const { ctx, backups } = contextOf(tar, limit);
      const m = await backupVolume("pgdata", null, ctx);
      expect(m.status).toBe("complete");
      expect(m.archive?.tarBytes).toBe(tar.length);
      expect(backups.writer).toMatchObject({ committed: true, aborted: false });
    }
  });

  it("on S3 (s3rver, a stand-in on loopback): a multipart upload under way is aborted, and no archive object is left", async () => {
    const s3 = await startS3();
    try {
      const client = new S3Client({
        endpoint: s3.endpoint,
        forcePathStyle: true,
        region: s3.region,
        credentials: s3.credentials,
      });
      const store = new S3BackupStore({
        client,
        bucket: s3.bucket,
        kmsKeyId: null,
        partSize: 5 * 1024 * 1024,
      });
      // 14 MB of random bytes under a 12 MB limit: more than one 5 MiB part is sent before it stops.
      const tar = await volumeTar(14_000_000, true);
      const { ctx, engine } = contextOf(tar, 12_000_000);
      const err = await backupVolume("pgdata", null, { ...ctx, store }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackupTooBigError);
      expect(engine.archive.destroyed).toBe(true);
      const seen = s3.requests.map((r) => `${r.method} ${r.url.split("&")[0]}`);
      expect(
        seen.some((r) => /^PUT \/dvol-test-backups\/backups\/bk-\S+\.tar\.gz\?partNumber=1/.test(r)),
      ).toBe(true);
      expect(
        seen.some((r) => /^DELETE \/dvol-test-backups\/backups\/bk-\S+\.tar\.gz\?uploadId=/.test(r)),
      ).toBe(true);
      const [m] = await store.list();
      expect(m).toMatchObject({
        status: "failed",
        error: expect.stringMatching(/^the archive passed backup\.maxBytes/),
      });
      expect(await store.openArchive(m?.id ?? "").catch((e: unknown) => e)).toBeInstanceOf(Error);
    } finally {
      await s3.stop();
    }
  });
});

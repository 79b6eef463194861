/**
 * Taking a backup (README "Backups"): a helper container that is never started mounts the volume
 * read-only; its archive streams from the engine through the tar reader (which checks and hashes
 * every entry as it passes), gzip and a hash of the gzipped bytes, into the store of backups.
 * Nothing holds the archive whole: memory is the streams' buffers (and, on S3, a few upload
 * parts), whatever the volume's size.
 *
 * A backup counts only when the tar reached its end marker with every byte count agreeing and the
 * store has it whole; then its manifest is written, complete. Anything else is recorded as a
 * failed manifest (never restorable) and thrown as a BackupFailedError that says why.
 *
 * `backup.maxBytes` (the context's `maxBytes`) is enforced here, on the bytes themselves: the tar
 * is counted as it comes from the engine, and the chunk that would pass the limit stops the whole
 * pipeline at once (the engine's stream and the store's writer destroyed, the writer aborted, so no
 * temporary file or incomplete upload stays). A size measured beforehand may be unknown or old;
 * the count is not.
 */
import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import type { HostConfig } from "../config/types.js";
import type { ConnectionFactory } from "../docker/connection.js";
import { HelperWire, type VolumeFacts } from "../docker/helper.js";
import {
  BackupFailedError,
  BackupTooBigError,
  DvolError,
  describeError,
  VolumeNotFoundError,
} from "../errors.js";
import { humanSize } from "../format.js";
import { assertVolumeName } from "../volume-names.js";
import { type BackupManifest, MANIFEST_FORMAT, newBackupId } from "./manifest.js";
import { archiveName, type BackupStore } from "./store.js";
import { TarReader } from "./tar.js";

/** What a backup or restore runs with: passed in, so tests choose the parts. */
export interface BackupContext {
  host: HostConfig;
  connect: ConnectionFactory;
  store: BackupStore;
  now: () => Date;
  /** Who asks: a Slack user ID or `cli:<user>`. */
  who: string;
  dvolVersion: string;
  /** backup.keepDays: sets each manifest's expiry. */
  keepDays: number;
  /** Stops the exchange with the engine (a time budget). */
  signal?: AbortSignal;
  /** No byte for this long ends a stream (stream.ts's default otherwise). */
  stallMs?: number;
  /** Random hex for ids (tests). */
  hex?: () => string;
  /** backup.maxBytes: the most tar bytes read from the engine before the backup stops (null: none). */
  maxBytes?: number | null;
}

/** The reason a ByteLimit gives when the archive passes it. */
export class OverByteLimit extends Error {
  constructor(
    readonly limit: number,
    readonly read: number,
  ) {
    super(
      `the archive passed backup.maxBytes (${humanSize(limit)}, ${limit} bytes): stopped after ${humanSize(read)} read from the engine`,
    );
  }
}

/** Passes bytes on until more than `limit` have come, then fails with OverByteLimit (nothing of that chunk passes). */
export class ByteLimit extends Transform {
  bytes = 0;
  constructor(readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) cb(new OverByteLimit(this.limit, this.bytes));
    else cb(null, chunk);
  }
}

/** Counts and hashes the bytes that pass (the gzipped archive). */
export class HashCount extends Transform {
  private readonly hash = createHash("sha256");
  bytes = 0;
  digest: string | null = null;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.digest = this.hash.digest("hex");
    cb();
  }
}

export function wireOf(ctx: Pick<BackupContext, "host" | "connect" | "stallMs">): HelperWire {
  return new HelperWire(ctx.host, ctx.connect, undefined, ctx.stallMs);
}

const DAY_MS = 86_400_000;

/** Backs one volume up; its complete manifest, or a BackupFailedError (recorded as failed). */
export async function backupVolume(
  volume: string,
  why: string | null,
  ctx: BackupContext,
): Promise<BackupManifest> {
  assertVolumeName(volume);
  const wire = wireOf(ctx);
  const started = ctx.now();
  const id = newBackupId(started, ctx.hex);
  const facts = await wire.inspectVolume(volume);
  if (!facts) throw new VolumeNotFoundError(ctx.host.name, volume);
  const base = manifestBase(id, facts, why, started, ctx);

  let writer: Awaited<ReturnType<BackupStore["createArchive"]>> | null = null;
  try {
    writer = await ctx.store.createArchive(id);
    const sink = writer.sink;
    const reader = new TarReader();
    const gz = new HashCount();
    await wire.withHelper(volume, true, async (helper) => {
      const archive = await wire.getArchive(helper, ctx.signal);
      const limit = ctx.maxBytes ?? null;
      if (limit === null) await pipeline(archive, reader, createGzip(), gz, sink);
      else await pipeline(archive, new ByteLimit(limit), reader, createGzip(), gz, sink);
    });
    const summary = await reader.summary;
    await writer.commit();
    const manifest: BackupManifest = {
      ...base,
      status: "complete",
      entries: summary.entries,
      archive: {
        name: archiveName(id),
        encoding: "gzip",
        bytes: gz.bytes,
        sha256: gz.digest ?? "",
        tarBytes: summary.tarBytes,
        contentBytes: summary.contentBytes,
      },
      finishedAt: ctx.now().toISOString(),
    };
    await ctx.store.putManifest(manifest);
    return manifest;
  } catch (err) {
    await writer?.abort().catch(() => {});
    const reason =
      err instanceof DvolError || err instanceof OverByteLimit ? err.message : describeError(err);
    const failed: BackupManifest = {
      ...base,
      status: "failed",
      error: reason,
      finishedAt: ctx.now().toISOString(),
    };
    let recorded = true;
    await ctx.store.putManifest(failed).catch(() => {
      recorded = false;
    });
    const message = `${ctx.host.name}: the backup of ${volume} failed: ${reason}${recorded ? ` (recorded as failed: ${id})` : ""}`;
    if (err instanceof OverByteLimit) throw new BackupTooBigError(message, err.limit, { cause: err });
    throw new BackupFailedError(message, {
      cause: err,
      hint: "Nothing restorable was kept; the volume is untouched. Try again once the cause is fixed.",
    });
  }
}

function manifestBase(
  id: string,
  facts: VolumeFacts,
  why: string | null,
  started: Date,
  ctx: BackupContext,
): BackupManifest {
  return {
    format: MANIFEST_FORMAT,
    id,
    status: "failed",
    error: null,
    host: ctx.host.name,
    volume: {
      name: facts.name,
      driver: facts.driver,
      driverOpts: facts.driverOpts,
      labels: facts.labels,
      createdAt: facts.createdAt,
    },
    entries: [],
    archive: null,
    who: ctx.who,
    why,
    startedAt: started.toISOString(),
    finishedAt: started.toISOString(),
    expiresAt: new Date(started.getTime() + ctx.keepDays * DAY_MS).toISOString(),
    dvolVersion: ctx.dvolVersion,
  };
}

/**
 * Restoring a backup (README "Backups"): into a volume that does not exist (the original name, or
 * --as NAME), never over one. The volume is made with the manifest's driver, options and labels
 * (so Compose still knows it), the archive is unpacked at the helper's root (entries under
 * `volume/`, so the root's owner and mode come back), checked again as it streams, and the
 * restored tree is read back and compared with the manifest. A restore that fails removes the
 * half-made volume and says why.
 */
import { PassThrough, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { BackupNotFoundError, DvolError, describeError, RestoreFailedError } from "../errors.js";
import { assertVolumeName } from "../volume-names.js";
import { type BackupContext, HashCount, wireOf } from "./backup.js";
import { type BackupManifest, treeDifferences } from "./manifest.js";
import { TarReader } from "./tar.js";

export interface RestoreResult {
  backup: BackupManifest;
  host: string;
  /** The volume made. */
  volume: string;
  /** The host the backup was taken on, when not this one. */
  fromOtherHost: string | null;
  entries: number;
  contentBytes: number;
}

/** Restores backup `id` on the context's host, as `as` (default: the original name). */
export async function restoreBackup(
  id: string,
  as: string | null,
  ctx: Omit<BackupContext, "keepDays">,
): Promise<RestoreResult> {
  const manifest = await ctx.store.get(id);
  if (manifest?.status !== "complete" || !manifest.archive) throw new BackupNotFoundError(id);
  const archiveFacts = manifest.archive;
  const name = assertVolumeName(as ?? manifest.volume.name);
  const wire = wireOf(ctx);
  const host = ctx.host.name;
  if (await wire.inspectVolume(name)) {
    throw new RestoreFailedError(
      `${host}: a volume named ${name} already exists: a restore never writes over a volume`,
      {
        hint: `Nothing changed. Restore under another name: restore ${host} ${id} --as NEW-NAME`,
      },
    );
  }
  await wire.createVolume({
    name,
    driver: manifest.volume.driver,
    driverOpts: manifest.volume.driverOpts,
    labels: manifest.volume.labels,
  });
  try {
    await wire.withHelper(name, false, async (helper) => {
      const stored = await ctx.store.openArchive(id);
      const gz = new HashCount();
      const check = new TarReader();
      const body = new PassThrough();
      const feeding = pipeline(stored, gz, createGunzip(), check, body);
      try {
        await Promise.all([wire.putArchive(helper, body, ctx.signal), feeding, check.summary]);
      } catch (err) {
        stored.destroy();
        body.destroy();
        await feeding.catch(() => {});
        throw err;
      }
      if (gz.digest !== archiveFacts.sha256 || gz.bytes !== archiveFacts.bytes) {
        throw new RestoreFailedError(
          `${host}: the stored archive of ${id} does not match its manifest's sha256`,
        );
      }
      // Read it back and compare with the manifest.
      const back = new TarReader();
      await pipeline(await wire.getArchive(helper, ctx.signal), back, discard());
      const diff = treeDifferences(manifest.entries, (await back.summary).entries);
      if (diff.length) {
        throw new RestoreFailedError(
          `${host}: the restored ${name} differs from the backup: ${diff.join("; ")}`,
        );
      }
    });
  } catch (err) {
    const removed = await wire.removeVolume(name).then(
      () => `the half-made volume ${name} was removed`,
      (e: unknown) =>
        `the half-made volume ${name} could NOT be removed (${describeError(e)}): remove it by hand`,
    );
    const reason = err instanceof DvolError ? err.message : describeError(err);
    throw new RestoreFailedError(`${host}: the restore of ${id} into ${name} failed: ${reason}; ${removed}`, {
      cause: err,
      hint: "The backup itself is unchanged: try again once the cause is fixed.",
    });
  }
  return {
    backup: manifest,
    host,
    volume: name,
    fromOtherHost: manifest.host === host ? null : manifest.host,
    entries: manifest.entries.length,
    contentBytes: archiveFacts.contentBytes,
  };
}

/** A sink that drops what it is given. */
function discard(): Writable {
  return new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });
}

/**
 * `restore <host> <backup-id> [--as NAME]` (SPEC §2, §10): a complete backup restored into a
 * volume that does not exist (src/backup/restore.ts: the original name, or --as NAME), verified
 * against its manifest; on any host, and says so when it is not the one backed up. A failed or
 * unknown backup id, an existing volume, or (in the worker) a backup too big for the time left is
 * refused before anything is made. In Slack the requester list decides who may.
 */
import { mayRestore } from "../../approvals/policy.js";
import { checkBudget } from "../../backup/budget.js";
import { restoreBackup } from "../../backup/restore.js";
import { resolveHost } from "../../config/targets.js";
import type { CommandContext } from "../../docker/context.js";
import { BackupNotFoundError, OutOfTimeError } from "../../errors.js";
import { humanSize } from "../../format.js";
import { type BackupActor, requireAllowed } from "../backup/run.js";
import { type BackupRow, type BackupSetting, backupRow } from "../backups/run.js";
import type { Command } from "../parse.js";

export type RestoreCommand = Extract<Command, { name: "restore" }>;

export interface RestoreResult {
  command: "restore";
  host: string;
  /** The volume made. */
  volume: string;
  backup: BackupRow;
  /** The host the backup was taken on, when it is not this one. */
  fromOtherHost: string | null;
  entries: number;
  contentBytes: number;
}

export async function runRestore(
  cmd: RestoreCommand,
  ctx: CommandContext,
  setting: BackupSetting,
  who: BackupActor,
): Promise<RestoreResult> {
  const host = resolveHost(ctx.config, cmd.host);
  await requireAllowed(who, mayRestore, ctx.config.access);
  const store = await setting.store();
  const m = await store.get(cmd.id);
  if (m === null) throw new BackupNotFoundError(cmd.id, `there is no such backup in ${store.location}`);
  if (m.status !== "complete" || m.archive === null) {
    throw new BackupNotFoundError(
      cmd.id,
      `that backup of ${m.volume.name} on ${m.host} failed (${m.error ?? "incomplete"}) and was never restorable`,
    );
  }
  let signal: AbortSignal | undefined;
  if (setting.remainingMs) {
    // Unpacked, then read back to be verified: the archive passes twice.
    const fit = checkBudget(m.archive.tarBytes * 2, setting.remainingMs(), host.timeoutMs);
    if (!fit.ok) {
      throw new OutOfTimeError(
        `${host.name}: ${cmd.id} (${humanSize(m.archive.contentBytes)} of ${m.volume.name}) cannot be restored in the time this worker has left (about ${fit.needSeconds} s needed, ${fit.leftSeconds} s left); nothing was made`,
        `Restore it from a terminal, where there is no time limit: dvol restore ${host.name} ${cmd.id}${cmd.as ? ` --as ${cmd.as}` : ""}`,
      );
    }
    signal = AbortSignal.timeout(fit.allowMs);
  }
  const r = await restoreBackup(cmd.id, cmd.as, {
    host,
    connect: ctx.connect,
    store,
    now: ctx.now,
    who: who.actor.user,
    dvolVersion: setting.dvolVersion,
    ...(signal ? { signal } : {}),
  });
  return {
    command: "restore",
    host: r.host,
    volume: r.volume,
    backup: backupRow(r.backup, ctx.now()),
    fromOtherHost: r.fromOtherHost,
    entries: r.entries,
    contentBytes: r.contentBytes,
  };
}

/**
 * `backup <host> <volume>... [--reason TEXT]` (SPEC §2, §10): each volume copied to the store of
 * backups, one after another, verified (src/backup/backup.ts). Each volume has its own outcome: a
 * backup, or why not (not found, failed and recorded as failed, or, in the worker, refused at
 * once because it cannot fit in the time left). `backup.maxBytes` bounds each archive, counted as
 * it streams (a backup over it stops and is recorded as failed), in the worker and on the CLI.
 * In Slack the requester list decides who may.
 */
import {
  type Access,
  type Actor,
  type GroupResolver,
  mayBackup,
  type PolicyDecision,
} from "../../approvals/policy.js";
import { backupVolume } from "../../backup/backup.js";
import { checkBudget } from "../../backup/budget.js";
import { resolveHost } from "../../config/targets.js";
import { backupConfig, type HostConfig } from "../../config/types.js";
import type { CommandContext } from "../../docker/context.js";
import { forEachHost } from "../../docker/fanout.js";
import { DvolError, describeError, NotAllowedError } from "../../errors.js";
import { humanSize } from "../../format.js";
import type { Store } from "../../store/store.js";
import { type BackupRow, type BackupSetting, backupRow } from "../backups/run.js";
import type { Command } from "../parse.js";

export type BackupCommand = Extract<Command, { name: "backup" }>;

export interface VolumeBackup {
  volume: string;
  ok: boolean;
  /** The backup made (null when none was). */
  backup: BackupRow | null;
  /** Why there is none: the error, and what to do. */
  error: string | null;
  hint: string | null;
}

export interface BackupResult {
  command: "backup";
  host: string;
  /** Where the backups went: a directory, or s3://bucket/prefix. */
  location: string;
  reason: string | null;
  volumes: VolumeBackup[];
}

export interface BackupActor {
  actor: Actor;
  resolveGroup: GroupResolver;
  /** Slack (a requester list applies), or the CLI's operator (none does: it holds the certificates). */
  checked: boolean;
}

/** Throws NotAllowedError when `who` is checked and `may` (mayBackup, mayRestore) refuses. */
export async function requireAllowed(
  who: BackupActor,
  may: (access: Access, actor: Actor, resolveGroup: GroupResolver) => Promise<PolicyDecision>,
  access: Access,
): Promise<void> {
  if (!who.checked) return;
  const allowed = await may(access, who.actor, who.resolveGroup);
  if (!allowed.ok) throw new NotAllowedError(allowed.message, allowed.hint);
}

/**
 * The sizes of `volumes`, for the time budget: remembered ones first (the newest measurement the
 * store keeps, issue 12: no engine call), then the engine's /system/df for the others, within the
 * host's deadline. A size that neither knows is absent (the copy then starts under its abort signal).
 */
async function sizesOf(
  host: HostConfig,
  volumes: readonly string[],
  ctx: CommandContext,
  remembered?: () => Promise<Store>,
): Promise<Map<string, number | null>> {
  const sizes = new Map<string, number | null>();
  try {
    const snapshot = remembered ? await (await remembered()).getSizes(host.name, "measured") : null;
    for (const v of snapshot?.volumes ?? []) if (volumes.includes(v.name)) sizes.set(v.name, v.sizeBytes);
  } catch {
    // No store here, or it failed: the engine says.
  }
  if (volumes.every((v) => sizes.get(v) != null)) return sizes;
  const [r] = await forEachHost([host], ctx.connect, async (engine) => ({
    volumes: await engine.volumesWithUsage(),
  }));
  if (r?.ok)
    for (const v of r.volumes) if (v.sizeBytes !== null || !sizes.has(v.name)) sizes.set(v.name, v.sizeBytes);
  return sizes;
}

export async function runBackup(
  cmd: BackupCommand,
  ctx: CommandContext,
  setting: BackupSetting,
  who: BackupActor,
  /** The store of remembered sizes (the worker's), read before asking the engine. */
  remembered?: () => Promise<Store>,
): Promise<BackupResult> {
  const host = resolveHost(ctx.config, cmd.host);
  await requireAllowed(who, mayBackup, ctx.config.access);
  const store = await setting.store();
  const { keepDays, maxBytes } = backupConfig(ctx.config);
  const budget = setting.remainingMs;
  const sizes = budget ? await sizesOf(host, cmd.volumes, ctx, remembered) : null;
  const volumes: VolumeBackup[] = [];
  for (const volume of cmd.volumes) {
    let signal: AbortSignal | undefined;
    if (budget && sizes) {
      const size = sizes.get(volume) ?? null;
      const fit = checkBudget(size, budget(), host.timeoutMs);
      if (!fit.ok) {
        volumes.push({
          volume,
          ok: false,
          backup: null,
          error: `${host.name}: ${volume} (${humanSize(size)}) cannot be backed up in the time this worker has left (about ${fit.needSeconds} s needed, ${fit.leftSeconds} s left); nothing was written`,
          hint: `Back it up from a terminal, where there is no time limit: dvol backup ${host.name} ${volume}`,
        });
        continue;
      }
      signal = AbortSignal.timeout(fit.allowMs);
    }
    try {
      const m = await backupVolume(volume, cmd.reason, {
        host,
        connect: ctx.connect,
        store,
        now: ctx.now,
        who: who.actor.user,
        dvolVersion: setting.dvolVersion,
        keepDays,
        maxBytes,
        ...(signal ? { signal } : {}),
      });
      volumes.push({ volume, ok: true, backup: backupRow(m, ctx.now()), error: null, hint: null });
    } catch (err) {
      volumes.push({
        volume,
        ok: false,
        backup: null,
        error: err instanceof DvolError ? err.message : describeError(err),
        hint: err instanceof DvolError ? (err.hint ?? null) : null,
      });
    }
  }
  return { command: "backup", host: host.name, location: store.location, reason: cmd.reason, volumes };
}

/** True when every volume was backed up. */
export function everyVolumeBackedUp(r: BackupResult): boolean {
  return r.volumes.every((v) => v.ok);
}

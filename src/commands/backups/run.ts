/**
 * `backups [<target>] [--volume NAME]` (SPEC §2, §10): the backups in the store of backups, newest
 * first, with size, age, who, why and checksum. A failed backup is listed as failed, with why,
 * and is never restorable. What the other backup commands show of a backup is a BackupRow too.
 */
import type { BackupManifest } from "../../backup/manifest.js";
import type { BackupStore } from "../../backup/store.js";
import { resolveTarget } from "../../config/targets.js";
import type { CommandContext } from "../../docker/context.js";
import { BackupStoreError } from "../../errors.js";
import type { Command } from "../parse.js";

/** What backup, backups and restore run with (README "Backups"). */
export interface BackupSetting {
  /** The store of backups (S3 or a local directory), opened on first use. */
  store: () => Promise<BackupStore>;
  /** dvol's version, kept in each manifest. */
  dvolVersion: string;
  /**
   * On Lambda: the time left in this invocation. A backup or restore that cannot fit in it is
   * refused at once (it points to the CLI); one that runs is stopped before the deadline.
   */
  remainingMs?: () => number;
}

export type BackupsCommand = Extract<Command, { name: "backups" }>;

/** One backup as the commands show it (and their --json prints it). */
export interface BackupRow {
  id: string;
  /** complete: verified and restorable; failed: a record only. */
  status: "complete" | "failed";
  restorable: boolean;
  host: string;
  volume: string;
  driver: string;
  /** The stored (gzipped) archive's bytes, and the files' content; null for a failed backup. */
  sizeBytes: number | null;
  contentBytes: number | null;
  entries: number;
  /** sha256 of the stored archive (null for a failed backup). */
  sha256: string | null;
  who: string;
  why: string | null;
  startedAt: string;
  finishedAt: string;
  /** Seconds from its start to when it was listed. */
  ageSeconds: number;
  expiresAt: string;
  /**
   * Past its expiry when listed: S3's lifecycle rule removes it soon; a local directory keeps it
   * until someone removes it (it can still be restored while it is there).
   */
  expired: boolean;
  /** Why it failed (null when complete). */
  error: string | null;
}

export interface BackupsResult {
  command: "backups";
  /** Where the backups are: a directory, or s3://bucket/prefix. */
  location: string;
  /** The hosts asked for (null: every host that has backups). */
  hosts: string[] | null;
  volume: string | null;
  backups: BackupRow[];
}

export function backupRow(m: BackupManifest, now: Date): BackupRow {
  const complete = m.status === "complete" && m.archive !== null;
  return {
    id: m.id,
    status: complete ? "complete" : "failed",
    restorable: complete,
    host: m.host,
    volume: m.volume.name,
    driver: m.volume.driver,
    sizeBytes: m.archive?.bytes ?? null,
    contentBytes: m.archive?.contentBytes ?? null,
    entries: m.entries.length,
    sha256: m.archive?.sha256 ?? null,
    who: m.who,
    why: m.why,
    startedAt: m.startedAt,
    finishedAt: m.finishedAt,
    ageSeconds: Math.max(0, Math.floor((now.getTime() - Date.parse(m.startedAt)) / 1000)),
    expiresAt: m.expiresAt,
    expired: Date.parse(m.expiresAt) <= now.getTime(),
    error: complete ? null : (m.error ?? "incomplete"),
  };
}

/** The setting, or an error that says backups are not set up here. */
export function backupSetting(setting: BackupSetting | undefined): BackupSetting {
  if (setting) return setting;
  throw new BackupStoreError("this front end has no store of backups", {
    hint: "Run it from the dvol CLI, npm start or the AWS deployment, which set one up.",
  });
}

export async function runBackups(
  cmd: BackupsCommand,
  ctx: CommandContext,
  setting: BackupSetting,
): Promise<BackupsResult> {
  const hosts = cmd.target === null ? null : resolveTarget(ctx.config, cmd.target).map((h) => h.name);
  const store = await setting.store();
  const now = ctx.now();
  const backups = (await store.list())
    .filter(
      (m) =>
        (hosts === null || hosts.includes(m.host)) && (cmd.volume === null || m.volume.name === cmd.volume),
    )
    .map((m) => backupRow(m, now));
  return { command: "backups", location: store.location, hosts, volume: cmd.volume, backups };
}

/**
 * Backups before deletion (SPEC §4.8, §10; README "Deleting volumes", "Backed up first"). With
 * `backup.beforeDelete: required`, a request backs every volume up (src/backup/backup.ts, into the
 * configured store of backups) just before it deletes it, and deletes it only when that backup is
 * complete and verified. Here: the rule of the plan (which volumes cannot be backed up first, and
 * are blocked as "too big" unless the request says --no-backup) and the backup of one volume at
 * execution, as an outcome when it does not give a complete backup.
 *
 * Time: a backup must end within the time the executing function has. dvol does not know a
 * volume's backup time before it is taken, so it estimates it from the volume's size (the plan's,
 * as given) at the rate the backup commands assume in the worker (src/backup/budget.ts,
 * WORKER_COPY_BYTES_PER_SECOND: gzip on the 512 MB function's third of a vCPU), one backup at a
 * time (BACKUP_CONCURRENCY) so that the rate holds; an estimate, said so in the plan's reason. A
 * backup that starts gets an abort signal for the invocation's time left (as the backup command's
 * does), so a slower one ends as a failed backup, never as a worker killed mid-write. On the CLI
 * there is no function deadline and only `backup.maxBytes` applies. A volume of unknown size (the
 * engine gives -1 for some drivers, or it was not yet measured) cannot be estimated and is not
 * blocked in the plan; its backup at execution stops once its archive passes `backup.maxBytes`
 * (backupVolume counts the bytes), and the volume is then not deleted (a failed backup).
 */
import { type BackupContext, backupVolume } from "../backup/backup.js";
import { COPY_MARGIN_MS, WORKER_COPY_BYTES_PER_SECOND } from "../backup/budget.js";
import type { BackupStore } from "../backup/store.js";
import { backupConfig, type Config, type HostConfig } from "../config/types.js";
import type { ConnectionFactory } from "../docker/connection.js";
import { BackupFailedError, BackupTooBigError, describeError, VolumeNotFoundError } from "../errors.js";
import { humanSize } from "../format.js";
import type {
  BackupMode,
  BlockedVolume,
  DeletionRequest,
  PlannedVolume,
  VolumeOutcome,
} from "../store/records.js";

/** The throughput a backup is estimated at, to tell whether it ends in time (8 MiB/s). */
export const BACKUP_BYTES_PER_SECOND = WORKER_COPY_BYTES_PER_SECOND;

/**
 * Backups at once in one execution (deletions run DEFAULT_CONCURRENCY at a time): each streams
 * through gzip on the worker's CPU, whose rate the estimate assumes for one, and holds its upload
 * parts in memory (sized for one upload at a time, src/backup/open.ts).
 */
export const BACKUP_CONCURRENCY = 1;

/** The estimated time to back up `sizeBytes` (0 when the size is unknown). */
export function backupEstimateMs(sizeBytes: number | null): number {
  return sizeBytes === null ? 0 : Math.ceil((sizeBytes / BACKUP_BYTES_PER_SECOND) * 1000);
}

/** What bounds a backup before deletion: `backup.maxBytes`, and the time the executor has (null: none). */
export interface BackupLimits {
  maxBytes: number | null;
  /** The longest a backup may take where the request executes (the worker: its timeout less its margins). */
  timeBudgetMs: number | null;
}

/** The request's backup mode: `first` when the config requires it, `skipped` with --no-backup, else `off`. */
export function backupModeOf(config: Pick<Config, "backup">, noBackup: boolean): BackupMode {
  if (backupConfig(config).beforeDelete !== "required") return "off";
  return noBackup ? "skipped" : "first";
}

/** Why a volume cannot be backed up before its deletion, or null when it can. */
export function tooBigReason(v: Pick<PlannedVolume, "sizeBytes">, limits: BackupLimits): string | null {
  const size = v.sizeBytes;
  if (size === null) return null;
  if (limits.maxBytes !== null && size > limits.maxBytes) {
    return `${humanSize(size)} is over backup.maxBytes (${humanSize(limits.maxBytes)}): cannot be backed up first; request it with --no-backup to delete it without a backup`;
  }
  const need = backupEstimateMs(size);
  if (limits.timeBudgetMs !== null && need > limits.timeBudgetMs) {
    const s = (ms: number) => `${Math.ceil(ms / 1000)} s`;
    return `${humanSize(size)} would take about ${s(need)} to back up (at an estimated ${humanSize(BACKUP_BYTES_PER_SECOND)}/s), more than the ${s(limits.timeBudgetMs)} the worker has: back it up and delete it from the CLI, or request it with --no-backup`;
  }
  return null;
}

/**
 * The plan under the backup rule: with mode `first`, each volume that cannot be backed up first
 * leaves the plan and is blocked as too big; otherwise the plan is unchanged.
 */
export function applyBackupRule(
  plan: readonly PlannedVolume[],
  mode: BackupMode,
  limits: BackupLimits,
): { plan: PlannedVolume[]; blocked: BlockedVolume[] } {
  if (mode !== "first") return { plan: [...plan], blocked: [] };
  const kept: PlannedVolume[] = [];
  const blocked: BlockedVolume[] = [];
  for (const v of plan) {
    const why = tooBigReason(v, limits);
    if (why === null) kept.push(v);
    else blocked.push({ name: v.name, reason: "too-big", detail: why });
  }
  return { plan: kept, blocked };
}

/**
 * Whether an execution backs its volumes up first: the request's mode, and, for a request planned
 * while backups were off, the config now (a config that requires backups is never bypassed by an
 * older request; only --no-backup, seen by the approver, skips them).
 */
export function backsUpFirst(
  request: Pick<DeletionRequest, "backup">,
  config: Pick<Config, "backup">,
): boolean {
  if (request.backup === "skipped") return false;
  return request.backup === "first" || backupConfig(config).beforeDelete === "required";
}

/** What an execution needs to back volumes up: the store of backups (opened on first use) and dvol's version. */
export interface BeforeDeleteBackups {
  store: () => Promise<BackupStore>;
  dvolVersion: string;
  /** Takes one backup (default: backupVolume; unit tests pass one without an engine). */
  take?: typeof backupVolume;
  /** On Lambda: the invocation's time left; each backup is stopped before it runs out. */
  remainingMs?: () => number;
}

/** The backup of one volume before its deletion: its id, or the outcome the volume gets instead. */
export type BackupFirst = { ok: true; backupId: string } | { ok: false; outcome: VolumeOutcome };

const FAILED_ID_RE = /recorded as failed: (bk-[0-9a-f-]+)/;

/**
 * Backs `v` up before it is deleted. A backup that does not complete (a cut stream, a store that
 * refuses writes, the host gone) is the volume's `failed` outcome: the volume is not deleted, and
 * the execution pauses as after any failure, so an approver may resume it (which tries the backup
 * again) or the request be cancelled. A volume gone meanwhile is skipped; one whose backup shows
 * another CreatedAt than the plan is not the planned volume and is skipped.
 */
export async function backUpFirst(
  v: PlannedVolume,
  request: Pick<DeletionRequest, "id" | "reason" | "requester" | "decidedBy">,
  ctx: {
    host: HostConfig;
    connect: ConnectionFactory;
    store: BackupStore;
    config: Pick<Config, "backup">;
    now: () => Date;
    dvolVersion: string;
    take?: typeof backupVolume | undefined;
    remainingMs?: (() => number) | undefined;
  },
): Promise<BackupFirst> {
  const allowMs = ctx.remainingMs ? ctx.remainingMs() - ctx.host.timeoutMs - COPY_MARGIN_MS : null;
  const backupCtx: BackupContext = {
    host: ctx.host,
    connect: ctx.connect,
    store: ctx.store,
    now: ctx.now,
    who: request.decidedBy ?? request.requester,
    dvolVersion: ctx.dvolVersion,
    keepDays: backupConfig(ctx.config).keepDays,
    maxBytes: backupConfig(ctx.config).maxBytes,
    ...(allowMs !== null ? { signal: AbortSignal.timeout(Math.max(1, Math.floor(allowMs))) } : {}),
  };
  const why = `before deletion (${request.id}${request.reason ? `: ${request.reason}` : ""})`;
  try {
    const m = await (ctx.take ?? backupVolume)(v.name, why, backupCtx);
    if (v.createdAt !== null && m.volume.createdAt !== v.createdAt) {
      const reason = `not the planned volume: created ${m.volume.createdAt ?? "?"}, planned ${v.createdAt} (re-created since); its backup ${m.id} was kept`;
      return { ok: false, outcome: { name: v.name, result: "skipped", reason } };
    }
    return { ok: true, backupId: m.id };
  } catch (err) {
    if (err instanceof VolumeNotFoundError) {
      return {
        ok: false,
        outcome: {
          name: v.name,
          result: "skipped",
          reason: "no longer exists (deleted outside this request)",
        },
      };
    }
    const failedId = err instanceof BackupFailedError ? FAILED_ID_RE.exec(err.message)?.[1] : undefined;
    const todo =
      err instanceof BackupTooBigError
        ? "; to delete it, raise backup.maxBytes and resume, or cancel and request it again with --no-backup"
        : "";
    const error = `not deleted: its backup did not complete: ${describeError(err).split("\n")[0]}${todo}`;
    return {
      ok: false,
      outcome: { name: v.name, result: "failed", error, ...(failedId ? { backupId: failedId } : {}) },
    };
  }
}

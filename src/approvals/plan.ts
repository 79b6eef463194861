/**
 * The plan of a deletion request (SPEC §4.1): what `rm <host> <volume>...` or `prune <host> ...`
 * would delete, as an exact list of volumes as they are now, and what was asked for but is blocked
 * (in use, protected, missing) and so left out. Nothing is deleted here.
 */

import { createHash } from "node:crypto";
import { resolveHost } from "../config/targets.js";
import { backupConfig, type Config, type HostConfig } from "../config/types.js";
import type { ConnectionFactory } from "../docker/connection.js";
import type { CommandContext } from "../docker/context.js";
import { Engine } from "../docker/engine.js";
import { classifyFailure } from "../docker/failures.js";
import { type ContainerUse, projectOf, type Volume } from "../docker/model.js";
import { UsageError } from "../errors.js";
import { SizeKeeper } from "../sizes/keeper.js";
import { type SizesSource, sizedVolumes } from "../sizes/view.js";
import type { BackupMode, BlockedVolume, PlannedVolume } from "../store/records.js";
import { assertVolumeName } from "../volume-names.js";
import { applyBackupRule, backupModeOf } from "./before-delete.js";
import { MAX_RM_VOLUMES, type PruneCommand, type RmCommand } from "./commands.js";
import { matchesLabelRule, protectionOf } from "./policy.js";
import { forEachLimited } from "./pool.js";

/** At most this many volumes in one request (a prune that matches more takes the first, by name). */
export const MAX_PLAN_VOLUMES = 1000;

const PLAN_CONCURRENCY = 8;

/** What planning needs of an engine (a fake in unit tests). */
export interface PlanEngine {
  volumesWithUsage(): Promise<Volume[]>;
  containersUsing(name: string): Promise<ContainerUse[]>;
}

/** prune's filters: compose project, labels, and created at least `olderThan` ago. */
export type PruneFilters = Pick<PruneCommand, "project" | "labels" | "olderThan">;

export interface PlanParts {
  plan: PlannedVolume[];
  blocked: BlockedVolume[];
  /** Matching volumes left out because the request is full (MAX_PLAN_VOLUMES); prune only. */
  leftOut: number;
}

/** A plan for a host, ready to become a request. */
export interface DeletionPlan extends PlanParts {
  kind: "rm" | "prune";
  host: string;
  /** The command, for messages and the audit trail ("rm host1 a b"). */
  command: string;
  reason: string | null;
  /** Backed up before deletion (`first`), not despite the config (`skipped`: --no-backup), or `off` (absent). */
  backup?: BackupMode;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function planned(v: Volume & { sizeMeasuredAt?: string | null }): PlannedVolume {
  return {
    name: v.name,
    driver: v.driver,
    sizeBytes: v.sizeBytes,
    ...(v.sizeMeasuredAt === undefined ? {} : { sizeMeasuredAt: v.sizeMeasuredAt }),
    createdAt: v.createdAt,
    project: projectOf(v),
    identity: volumeIdentity(v),
  };
}

const sorted = (m: Record<string, string>) =>
  Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * What makes a volume "the same" besides its CreatedAt (SPEC §4): its driver, options and labels,
 * as the SHA-256 of their canonical JSON (keys sorted), base64url.
 */
export function volumeIdentity(v: Pick<Volume, "driver" | "options" | "labels">): string {
  const canonical = JSON.stringify([v.driver, sorted(v.options), sorted(v.labels)]);
  return createHash("sha256").update(canonical).digest("base64url");
}

/** "used by web-1 (running), cron (exited)". */
export function usedByDetail(users: readonly ContainerUse[]): string {
  return `used by ${users.map((c) => `${c.name || c.id} (${c.state || "unknown state"})`).join(", ")}`;
}

/** The names, deduplicated, once they are known to be at most MAX_RM_VOLUMES valid names. */
function planRmPrecheck(names: readonly string[]): string[] {
  const wanted = [...new Set(names)];
  if (wanted.length > MAX_RM_VOLUMES) {
    throw new UsageError(`rm: ${wanted.length} volumes; at most ${MAX_RM_VOLUMES} in one request`, {
      hint: "Split the list into several requests; nothing was sent to the host.",
    });
  }
  for (const n of wanted) assertVolumeName(n);
  return wanted;
}

/** The named volumes: each planned, or blocked as missing, protected or in use. Sorted by name. */
export async function planRm(
  engine: PlanEngine,
  names: readonly string[],
  protect: Config["protect"],
): Promise<PlanParts> {
  const wanted = planRmPrecheck(names);
  const volumes = new Map((await engine.volumesWithUsage()).map((v) => [v.name, v]));
  const plan: PlannedVolume[] = [];
  const blocked: BlockedVolume[] = [];
  await forEachLimited(wanted, PLAN_CONCURRENCY, async (name) => {
    const v = volumes.get(name);
    if (!v) {
      blocked.push({ name, reason: "missing", detail: "no such volume" });
      return;
    }
    const protection = protectionOf(protect, v);
    if (protection !== null) {
      blocked.push({ name, reason: "protected", detail: protection });
      return;
    }
    if (v.refCount !== 0) {
      // Ask which containers: for the message, and for drivers that do not report a ref count.
      const users = await engine.containersUsing(name);
      if (users.length > 0 || (v.refCount ?? 0) > 0) {
        const detail = users.length > 0 ? usedByDetail(users) : `used by ${v.refCount} container(s)`;
        blocked.push({ name, reason: "in-use", detail });
        return;
      }
    }
    plan.push(planned(v));
  });
  return { plan: plan.sort(byName), blocked: blocked.sort(byName), leftOut: 0 };
}

/** Does a dangling volume match prune's filters? */
export function matchesPrune(v: Volume, f: PruneFilters, now: Date): boolean {
  if (f.project !== null && projectOf(v) !== f.project) return false;
  if (!f.labels.every((rule) => matchesLabelRule(v.labels, rule))) return false;
  if (f.olderThan !== null) {
    const created = v.createdAt === null ? Number.NaN : Date.parse(v.createdAt);
    if (!(created <= now.getTime() - f.olderThan.ms)) return false;
  }
  return true;
}

/**
 * The dangling volumes that match, as they are now (never the engine's own prune, which from API
 * 1.42 removes only anonymous volumes). Protected ones are listed as blocked; volumes in use are
 * not candidates at all.
 */
export async function planPrune(
  engine: PlanEngine,
  filters: PruneFilters,
  protect: Config["protect"],
  now: Date,
): Promise<PlanParts> {
  const matching = (await engine.volumesWithUsage())
    .filter((v) => v.refCount === 0 && matchesPrune(v, filters, now))
    .sort(byName);
  const plan: PlannedVolume[] = [];
  const blocked: BlockedVolume[] = [];
  let leftOut = 0;
  for (const v of matching) {
    const protection = protectionOf(protect, v);
    if (protection !== null) blocked.push({ name: v.name, reason: "protected", detail: protection });
    else if (plan.length < MAX_PLAN_VOLUMES) plan.push(planned(v));
    else leftOut++;
  }
  return { plan, blocked, leftOut };
}

/** The command as text, for messages and the audit trail ("rm host1 a b --reason \"old\""). */
export function commandText(cmd: RmCommand | PruneCommand): string {
  const q = (s: string) => (/^[\w.,:=/@*-]+$/.test(s) ? s : JSON.stringify(s));
  if (cmd.name === "rm") {
    return [
      "rm",
      cmd.host,
      ...cmd.volumes,
      ...(cmd.reason ? ["--reason", q(cmd.reason)] : []),
      ...(cmd.noBackup ? ["--no-backup"] : []),
    ].join(" ");
  }
  return [
    "prune",
    cmd.host,
    ...(cmd.project ? ["--project", q(cmd.project)] : []),
    ...cmd.labels.flatMap((l) => ["--label", q(l.value === undefined ? l.key : `${l.key}=${l.value}`)]),
    ...(cmd.olderThan ? ["--older-than", cmd.olderThan.text] : []),
    ...(cmd.noBackup ? ["--no-backup"] : []),
  ].join(" ");
}

/** Runs `fn` with an engine of `host` (API version negotiated); any failure names the host. */
export async function withHostEngine<T>(
  host: HostConfig,
  connect: ConnectionFactory,
  fn: (engine: Engine) => Promise<T>,
): Promise<T> {
  let conn: Awaited<ReturnType<ConnectionFactory>> | undefined;
  try {
    conn = await connect(host);
    return await fn(await Engine.open(conn));
  } catch (err) {
    throw classifyFailure(host, err);
  } finally {
    conn?.close();
  }
}

let planKeeper: SizeKeeper | undefined;

/**
 * Builds the plan of an rm or prune on its host. Unknown hosts and bad names throw before any call.
 * With `backup.beforeDelete: required` (and no --no-backup), volumes that cannot be backed up
 * first (before-delete.ts: over backup.maxBytes, or too big for `backupTimeMs`, the time the
 * executing function has; null on the CLI) are blocked as too big.
 * Volumes, references and dangling state come from the fast calls; sizes from the newest completed
 * measurement, each with when it was measured (src/sizes/view.ts): a plan never waits past the
 * host's deadline for them, and execution never depends on them. Without `sizes`, nothing is
 * remembered and the measurement is waited for within the host's deadline.
 */
export async function buildPlan(
  cmd: RmCommand | PruneCommand,
  ctx: CommandContext,
  backupTimeMs: number | null = null,
  sizes?: SizesSource,
): Promise<DeletionPlan> {
  const host = resolveHost(ctx.config, cmd.host);
  if (cmd.name === "rm") planRmPrecheck(cmd.volumes);
  const protect = ctx.config.protect;
  planKeeper ??= new SizeKeeper();
  const source: SizesSource = sizes ?? { keeper: planKeeper, store: async () => null, policy: "answer" };
  const parts = await withHostEngine(host, ctx.connect, (engine) => {
    const planEngine: PlanEngine = {
      volumesWithUsage: async () => (await sizedVolumes(engine, host, source, ctx)).volumes,
      containersUsing: (name) => engine.containersUsing(name),
    };
    return cmd.name === "rm"
      ? planRm(planEngine, cmd.volumes, protect)
      : planPrune(planEngine, cmd, protect, ctx.now());
  });
  const backup = backupModeOf(ctx.config, cmd.noBackup);
  const ruled = applyBackupRule(parts.plan, backup, {
    maxBytes: backupConfig(ctx.config).maxBytes,
    timeBudgetMs: backupTimeMs,
  });
  return {
    kind: cmd.name,
    host: host.name,
    command: commandText(cmd),
    reason: cmd.name === "rm" ? cmd.reason : null,
    ...parts,
    plan: ruled.plan,
    blocked: [...parts.blocked, ...ruled.blocked].sort(byName),
    backup,
  };
}

/**
 * Executing an approved deletion request (SPEC §4.3–4.4): each planned volume is re-inspected on
 * the host and deleted only if it still exists, no container uses it and it is the same volume
 * (same CreatedAt, driver, options and labels) as planned. A 409 from the engine (a container took it meanwhile) is a skip.
 * Volumes are handled a bounded number at a time; each outcome is recorded as it comes.
 *
 * At most one DELETE per volume, whatever arrives twice: one executor at a time holds the request
 * (`executor`, `leaseUntil`), claimed and renewed with conditional writes on `version`. Another
 * execution while the lease holds answers "busy"; one after completion answers with the recorded
 * outcomes and sends nothing. A retry after the lease ran out (the executor crashed) takes over:
 * volumes with a recorded outcome are not touched again; each other one is re-checked: gone means
 * the crashed attempt deleted it (reported as deleted), still there and unchanged means delete it.
 *
 * An execution that cannot end is paused (SPEC §4.6), never left "executing": the host unreachable
 * when opened or mid-way (the volumes not reached stay without an outcome), a volume that failed
 * (retried on resume), or a stop asked for (`stopRequested`: the CLI got SIGINT/SIGTERM, the
 * worker is near its deadline). A stop is polled before each volume is started; the ones in flight
 * finish and are recorded. A stop with `handOver` leaves the request executing with no executor,
 * for a fresh invocation to continue at once. A request past its lapse time (requests.ttlHours
 * after its approval) lapses at the claim instead of executing.
 *
 * Backed up first (before-delete.ts): when the request backs up before deleting, each volume that
 * passed the re-check is backed up, and deleted only once its backup is complete; the deleted
 * outcome names the backup. A backup that does not complete is the volume's `failed` outcome, so
 * the request pauses as after any failed volume: nothing of it is lost, an approver's resume tries
 * that backup again, and a cancel leaves the volume as it is (a new state or a skipped outcome
 * would either need a transition of its own or close the volume for good without a deletion).
 * Before each backup, the time it is estimated to take is asked of `stopRequested`: too little
 * left, and the volume is left for the next invocation.
 */
import { randomBytes } from "node:crypto";
import pLimit from "p-limit";
import type { BackupStore } from "../backup/store.js";
import { resolveHost } from "../config/targets.js";
import type { Config, HostConfig } from "../config/types.js";
import type { ConnectionFactory } from "../docker/connection.js";
import type { Engine } from "../docker/engine.js";
import { HostEngines } from "../docker/host-engines.js";
import { describeError, HostError, VolumeNotFoundError } from "../errors.js";
import type { DeletionRequest, PauseRecord, PlannedVolume, VolumeOutcome } from "../store/records.js";
import type { Store } from "../store/store.js";
import {
  BACKUP_CONCURRENCY,
  type BackupFirst,
  type BeforeDeleteBackups,
  backsUpFirst,
  backUpFirst,
  backupEstimateMs,
} from "./before-delete.js";
import { Ledger } from "./ledger.js";
import { usedByDetail, volumeIdentity } from "./plan.js";
import { protectionOf } from "./policy.js";
import { forEachLimited } from "./pool.js";
import { audit, auditSeq, isLapsed, lapse, writeNext } from "./requests.js";

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_LEASE_MS = 120_000;

export interface ExecuteDeps {
  store: Store;
  config: Config;
  connect: ConnectionFactory;
  now: () => Date;
  /** Who executes, for the lease and the audit ("worker:<invocation>", "cli:alice"); made unique per call. */
  executor: string;
  /** Volumes handled at once (default 8). */
  concurrency?: number;
  /** How long a claim holds without renewal (default 2 min); a retry takes over after it. */
  leaseMs?: number;
  /**
   * Runs after each DELETE the engine accepted, before its outcome is recorded. Tests throw here
   * to simulate a crash: the execution stops at once, records nothing more and keeps its lease.
   */
  afterDelete?: (name: string, deletedSoFar: number) => void | Promise<void>;
  /**
   * Polled before each volume is started, and before each backup with the time it is estimated to
   * take (`needMs`): a stop asked for (the CLI's signals, the worker's deadline). Null to go on.
   */
  stopRequested?: (needMs?: number) => StopRequest | null;
  /** The store of backups and dvol's version: needed when the request backs volumes up first. */
  backups?: BeforeDeleteBackups;
}

/** Why an execution should stop starting volumes. */
export interface StopRequest {
  kind: "deadline" | "signal";
  /** For people: "the dvol process got SIGINT", "the worker is near its time limit". */
  reason: string;
  /** Leave the request executing, with no executor, for a fresh invocation to continue it. */
  handOver?: boolean;
}

export type ExecutionResult =
  /** Every planned volume has its outcome. `replay`: it was already so, and nothing was sent. */
  | { status: "done"; request: DeletionRequest; replay: boolean }
  /** Another executor holds the request until `request.leaseUntil`: try again after it. */
  | { status: "busy"; request: DeletionRequest }
  /** Taken over by another executor while this one worked (this one's lease had run out). */
  | { status: "lost"; request: DeletionRequest }
  /** Stopped before the end (`request.paused` says why); resumed by an approver, or cancelled. */
  | { status: "paused"; request: DeletionRequest }
  /** Stopped for a fresh invocation to continue: the request is executing with no executor. */
  | { status: "handed-over"; request: DeletionRequest }
  /** Not finished within requests.ttlHours of its approval: it lapsed here, and nothing ran. */
  | { status: "lapsed"; request: DeletionRequest }
  /** Pending, paused (resume it first), or over (rejected, expired, cancelled, lapsed). */
  | { status: "not-approved"; request: DeletionRequest }
  | { status: "not-found"; id: string };

const iso = (ms: number) => new Date(ms).toISOString();

/** Claims the request for `me`, or says why not. */
async function claim(
  deps: ExecuteDeps,
  id: string,
  me: string,
  leaseMs: number,
): Promise<{ request: DeletionRequest; takeover: boolean } | ExecutionResult> {
  for (;;) {
    const r = await deps.store.getRequest(id);
    if (!r) return { status: "not-found", id };
    if (r.status === "done") return { status: "done", request: r, replay: true };
    if (r.status !== "approved" && r.status !== "executing") return { status: "not-approved", request: r };
    const now = deps.now().getTime();
    if (isLapsed(r, deps.now())) {
      const lapsed = await lapse({ store: deps.store, now: deps.now }, r);
      if (lapsed === null) continue;
      return { status: "lapsed", request: lapsed };
    }
    if (r.status === "executing" && r.executor !== null && r.leaseUntil !== null) {
      if (Date.parse(r.leaseUntil) > now) return { status: "busy", request: r };
    }
    const next = await writeNext(deps.store, r, {
      status: "executing",
      executor: me,
      leaseUntil: iso(now + leaseMs),
    });
    if (!next) continue;
    // An executor was at work (it may have deleted volumes without recording them), or one was
    // paused (its volumes in flight when the host went away may be gone); a claim released before
    // anything was sent, or handed over after everything sent was recorded, is not a takeover.
    const takeover =
      (r.status === "executing" && r.executor !== null) ||
      (r.status === "approved" && r.paused?.unrecorded === true);
    await audit(deps.store, next, deps.now(), auditSeq(next.version), me, "executing", {
      takeover,
      previousExecutor: r.executor,
      leaseUntil: next.leaseUntil,
      recorded: next.outcomes.length,
      remaining: next.plan.length - next.outcomes.length,
    });
    return { request: next, takeover };
  }
}

const failed = (name: string, err: unknown): VolumeOutcome => ({
  name,
  result: "failed",
  error: describeError(err),
});
const skipped = (name: string, reason: string): VolumeOutcome => ({ name, result: "skipped", reason });

/**
 * Re-checks one planned volume, backs it up first when `backUp` is given, and deletes it if it is
 * still safe to; never throws but for an unreachable host. Null: stopped before the backup (no
 * outcome: the volume is left for the execution that continues). Each call takes a young
 * connection (a backup may outlast one connection's deadline).
 */
async function deleteIfSafe(
  engines: HostEngines,
  v: PlannedVolume,
  config: Config,
  takeover: boolean,
  beforeDelete: () => Promise<boolean>,
  backUp: ((v: PlannedVolume) => Promise<BackupFirst | "stop">) | null,
): Promise<{ outcome: VolumeOutcome; sent: boolean } | null> {
  try {
    let now: Awaited<ReturnType<Engine["inspectVolume"]>>;
    try {
      now = await engines.use((engine) => engine.inspectVolume(v.name));
    } catch (err) {
      if (!(err instanceof VolumeNotFoundError)) throw err;
      if (takeover) {
        const note = "gone when the execution was resumed: deleted by the attempt that stopped";
        return { outcome: { name: v.name, result: "deleted", freedBytes: v.sizeBytes, note }, sent: false };
      }
      return { outcome: skipped(v.name, "no longer exists (deleted outside this request)"), sent: false };
    }
    if (v.createdAt === null || now.createdAt !== v.createdAt) {
      const why =
        v.createdAt === null
          ? "the engine gave no creation time in the plan: cannot tell it is the same volume"
          : `not the planned volume: created ${now.createdAt ?? "?"}, planned ${v.createdAt} (re-created since)`;
      return { outcome: skipped(v.name, why), sent: false };
    }
    const protection = protectionOf(config.protect, now);
    if (protection !== null) return { outcome: skipped(v.name, `protected: ${protection}`), sent: false };
    if (v.identity !== undefined && volumeIdentity(now) !== v.identity) {
      const why =
        "not the planned volume: its driver, options or labels differ from the plan (re-created since)";
      return { outcome: skipped(v.name, why), sent: false };
    }
    const users = await engines.use((engine) => engine.containersUsing(v.name));
    if (users.length > 0) return { outcome: skipped(v.name, `in use: ${usedByDetail(users)}`), sent: false };
    let backupId: string | undefined;
    if (backUp) {
      if (!(await beforeDelete())) {
        return { outcome: skipped(v.name, "not attempted: the execution was taken over"), sent: false };
      }
      const b = await backUp(v);
      if (b === "stop") return null;
      if (!b.ok) return { outcome: b.outcome, sent: false };
      backupId = b.backupId;
    }
    if (!(await beforeDelete())) {
      return { outcome: skipped(v.name, "not attempted: the execution was taken over"), sent: false };
    }
    try {
      const removed = await engines.use((engine) => engine.removeVolume(v.name));
      if (removed.result === "in-use") {
        return { outcome: skipped(v.name, `in use: ${removed.message}`), sent: true };
      }
    } catch (err) {
      if (!(err instanceof VolumeNotFoundError)) throw err;
      return { outcome: skipped(v.name, "deleted by someone else just before"), sent: true };
    }
    const deleted: VolumeOutcome = { name: v.name, result: "deleted", freedBytes: v.sizeBytes };
    return { outcome: backupId ? { ...deleted, backupId } : deleted, sent: true };
  } catch (err) {
    if (isUnreachable(err)) throw err;
    return { outcome: failed(v.name, err), sent: false };
  }
}

/** The host went away (refused, timed out, TLS, DNS), as opposed to answering with an error. */
function isUnreachable(err: unknown): err is HostError {
  return err instanceof HostError && err.failure !== "api";
}

/** Executes an approved request (or resumes one whose executor stopped). See the module comment. */
export async function executeRequest(deps: ExecuteDeps, id: string): Promise<ExecutionResult> {
  const me = `${deps.executor}#${randomBytes(4).toString("hex")}`;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const claimed = await claim(deps, id, me, leaseMs);
  if ("status" in claimed) return claimed;
  const { takeover } = claimed;
  const ledger = new Ledger(deps, claimed.request, me, leaseMs);
  let host: HostConfig;
  try {
    host = resolveHost(deps.config, claimed.request.host);
  } catch (err) {
    // The host is no longer in the config: nothing was sent; paused, with what was done kept.
    return pause(deps, ledger.request, me, { kind: "unreachable", reason: describeError(err) }, takeover);
  }

  let backupStore: BackupStore | null = null;
  if (backsUpFirst(claimed.request, deps.config)) {
    try {
      if (!deps.backups) throw new Error("no store of backups was given to this execution");
      backupStore = await deps.backups.store();
    } catch (err) {
      // Nothing was sent: without a store, no volume can be backed up, so none is deleted.
      const reason = `each volume must be backed up first, and the store of backups cannot be used: ${describeError(err).split("\n")[0]}`;
      return pause(deps, ledger.request, me, { kind: "failure", reason }, takeover);
    }
  }

  let engines: HostEngines;
  try {
    engines = await HostEngines.open(host, deps.connect);
  } catch (err) {
    // Nothing was sent by this attempt; paused, with what was done before kept.
    return pause(deps, ledger.request, me, { kind: "unreachable", reason: describeError(err) }, takeover);
  }

  const done = new Set(ledger.request.outcomes.map((o) => o.name));
  const todo = ledger.request.plan.filter((v) => !done.has(v.name));
  let deleted = 0;
  let crash: unknown;
  let unreachable: HostError | undefined;
  const stopping: { asked: StopRequest | null } = { asked: null };
  const stopNow = (): boolean => {
    stopping.asked ??= deps.stopRequested?.() ?? null;
    return stopping.asked !== null || unreachable !== undefined || ledger.stopped;
  };
  const store = backupStore;
  const backupSlot = pLimit(BACKUP_CONCURRENCY);
  const backUp =
    store === null
      ? null
      : (v: PlannedVolume): Promise<BackupFirst | "stop"> =>
          backupSlot(async (): Promise<BackupFirst | "stop"> => {
            // Time for this backup in this invocation (asked once it may start)? Else left for the next.
            const stop = stopping.asked ?? deps.stopRequested?.(backupEstimateMs(v.sizeBytes)) ?? null;
            if (stop !== null) {
              stopping.asked ??= stop;
              return "stop";
            }
            return backUpFirst(v, ledger.request, {
              host,
              connect: deps.connect,
              store,
              config: deps.config,
              now: deps.now,
              dvolVersion: deps.backups?.dvolVersion ?? "unknown",
              take: deps.backups?.take,
              remainingMs: deps.backups?.remainingMs,
            });
          });
  try {
    await forEachLimited(
      todo,
      deps.concurrency ?? DEFAULT_CONCURRENCY,
      async (v) => {
        const done = await deleteIfSafe(
          engines,
          v,
          deps.config,
          takeover,
          () => ledger.holdLease(),
          backUp,
        ).catch((err: unknown) => {
          if (!isUnreachable(err)) return { outcome: failed(v.name, err), sent: false };
          unreachable ??= err; // this volume stays without an outcome: resumed later
          return null;
        });
        if (ledger.crashed || done === null) return;
        const { outcome, sent } = done;
        if (sent && outcome.result === "deleted" && deps.afterDelete) {
          try {
            await deps.afterDelete(v.name, ++deleted);
          } catch (err) {
            ledger.abandon();
            crash ??= err;
            return;
          }
        }
        ledger.record(outcome);
      },
      stopNow,
    );
    await ledger.settle();
  } finally {
    engines.close();
    ledger.close();
  }
  if (crash !== undefined) throw crash;
  if (ledger.lost) return lostOrDone(deps, ledger.request);
  const end = ledger.request;
  const recorded = new Set(end.outcomes.map((o) => o.name));
  const left = end.plan.length - recorded.size;
  const stopped = stopping.asked;
  if (unreachable !== undefined) {
    return pause(
      deps,
      end,
      me,
      { kind: "unreachable", reason: describeError(unreachable), unrecorded: true },
      takeover,
    );
  }
  if (stopped !== null && left > 0) {
    if (stopped.handOver) return handOver(deps, end, me, stopped);
    return pause(deps, end, me, { kind: stopped.kind, reason: stopped.reason }, takeover);
  }
  const failures = end.outcomes.filter((o) => o.result === "failed");
  if (failures.length > 0) {
    const first = failures[0];
    const reason = `${failures.length} failed${first?.result === "failed" ? ` (${first.name}: ${first.error.split("\n")[0]})` : ""}`;
    return pause(deps, end, me, { kind: "failure", reason }, takeover);
  }
  return finish(deps, end, me, takeover);
}

/** Writes the request as paused, with why, and releases the lease; audited. */
async function pause(
  deps: ExecuteDeps,
  request: DeletionRequest,
  me: string,
  why: Omit<PauseRecord, "at">,
  takeover: boolean,
): Promise<ExecutionResult> {
  const at = deps.now();
  const paused = await writeNext(deps.store, request, {
    status: "paused",
    executor: null,
    leaseUntil: null,
    // A takeover that stopped again leaves what the run before it may have sent still unrecorded.
    paused: { ...why, unrecorded: why.unrecorded === true || takeover, at: at.toISOString() },
  });
  if (!paused) return lostOrDone(deps, request);
  await audit(deps.store, paused, at, auditSeq(paused.version), me, "paused", {
    ...why,
    ...countOutcomes(paused.outcomes),
    remaining: paused.plan.length - paused.outcomes.length,
  });
  return { status: "paused", request: paused };
}

/** Leaves the request executing with no executor, for the next invocation to claim at once. */
async function handOver(
  deps: ExecuteDeps,
  request: DeletionRequest,
  me: string,
  stop: StopRequest,
): Promise<ExecutionResult> {
  const at = deps.now();
  const next = await writeNext(deps.store, request, { executor: null, leaseUntil: null });
  if (!next) return lostOrDone(deps, request);
  await audit(deps.store, next, at, auditSeq(next.version), me, "handover", {
    reason: stop.reason,
    recorded: next.outcomes.length,
    remaining: next.plan.length - next.outcomes.length,
  });
  return { status: "handed-over", request: next };
}

async function lostOrDone(deps: ExecuteDeps, request: DeletionRequest): Promise<ExecutionResult> {
  const now = await deps.store.getRequest(request.id);
  return now?.status === "done"
    ? { status: "done", request: now, replay: false }
    : { status: "lost", request: now ?? request };
}

async function finish(
  deps: ExecuteDeps,
  request: DeletionRequest,
  me: string,
  takeover: boolean,
): Promise<ExecutionResult> {
  const finished = await writeNext(deps.store, request, { status: "done", leaseUntil: null });
  if (!finished) return lostOrDone(deps, request);
  const c = countOutcomes(finished.outcomes);
  await audit(deps.store, finished, deps.now(), auditSeq(finished.version), me, "executed", {
    ...c,
    takeover,
  });
  return { status: "done", request: finished, replay: false };
}

export interface OutcomeSummary {
  deleted: number;
  skipped: number;
  failed: number;
  /** Space freed by the deleted volumes (their size in the plan). */
  freedBytes: number;
}

export function countOutcomes(outcomes: readonly VolumeOutcome[]): OutcomeSummary {
  const c: OutcomeSummary = { deleted: 0, skipped: 0, failed: 0, freedBytes: 0 };
  for (const o of outcomes) {
    c[o.result]++;
    if (o.result === "deleted") c.freedBytes += o.freedBytes ?? 0;
  }
  return c;
}

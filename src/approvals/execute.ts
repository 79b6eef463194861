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
 */
import { randomBytes } from "node:crypto";
import { resolveHost } from "../config/targets.js";
import type { Config, HostConfig } from "../config/types.js";
import type { ConnectionFactory, EngineConnection } from "../docker/connection.js";
import { Engine, type EngineVersion } from "../docker/engine.js";
import { classifyFailure } from "../docker/failures.js";
import { describeError, VolumeNotFoundError } from "../errors.js";
import type { DeletionRequest, PlannedVolume, VolumeOutcome } from "../store/records.js";
import type { Store } from "../store/store.js";
import { usedByDetail, volumeIdentity } from "./plan.js";
import { protectionOf } from "./policy.js";
import { forEachLimited } from "./pool.js";
import { audit, auditSeq, writeNext } from "./requests.js";

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_LEASE_MS = 120_000;
/** Outcomes are written at most this often (and at the end)... */
const FLUSH_MS = 250;
/** ...or as soon as this many wait. */
const MAX_BATCH = 200;

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
}

export type ExecutionResult =
  /** Every planned volume has its outcome. `replay`: it was already so, and nothing was sent. */
  | { status: "done"; request: DeletionRequest; replay: boolean }
  /** Another executor holds the request until `request.leaseUntil`: try again after it. */
  | { status: "busy"; request: DeletionRequest }
  /** Taken over by another executor while this one worked (this one's lease had run out). */
  | { status: "lost"; request: DeletionRequest }
  /** Pending, rejected or expired: nothing to execute. */
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
    if (r.status === "executing" && r.executor !== null && r.leaseUntil !== null) {
      if (Date.parse(r.leaseUntil) > now) return { status: "busy", request: r };
    }
    const next = await writeNext(deps.store, r, {
      status: "executing",
      executor: me,
      leaseUntil: iso(now + leaseMs),
    });
    if (!next) continue;
    // An executor was at work (it may have deleted volumes without recording them); a claim
    // released before anything was sent (executor null) is not a takeover.
    const takeover = r.status === "executing" && r.executor !== null;
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

/**
 * The request as this executor knows it, and the only writer of it while the lease holds.
 * Outcomes are written in batches, at most every FLUSH_MS (each write rewrites the whole request,
 * which holds up to 1,000 planned volumes: one write per volume would cost more than the deletions
 * on a local engine, and DynamoDB charges by the kilobyte). An outcome not yet written when the
 * executor dies is found again by the retry's re-check. Each write renews the lease; a failed
 * conditional write means another executor took over, and everything stops.
 */
class Ledger {
  private queue: VolumeOutcome[] = [];
  private renewWanted = false;
  private draining: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  lost = false;
  crashed = false;

  constructor(
    private readonly deps: ExecuteDeps,
    public request: DeletionRequest,
    private readonly me: string,
    private readonly leaseMs: number,
  ) {}

  get stopped(): boolean {
    return this.lost || this.crashed;
  }

  record(o: VolumeOutcome): void {
    if (this.crashed) return;
    this.queue.push(o);
    if (this.queue.length >= MAX_BATCH) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), FLUSH_MS);
  }

  /** Renews the lease when less than half of it is left; false when it could not be. */
  async holdLease(): Promise<boolean> {
    const left = Date.parse(this.request.leaseUntil ?? "") - this.deps.now().getTime();
    if (!(left < this.leaseMs / 2)) return !this.stopped;
    this.renewWanted = true;
    this.kick();
    await this.settle();
    return !this.stopped;
  }

  /** A crash: nothing more is written (what is queued is lost, as it would be). */
  abandon(): void {
    this.crashed = true;
    this.close();
  }

  /** No write is pending any more. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Writes everything recorded so far. */
  async settle(): Promise<void> {
    if (this.queue.length > 0) this.kick();
    while (this.draining) await this.draining;
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  private async drain(): Promise<void> {
    while ((this.queue.length > 0 || this.renewWanted) && !this.stopped) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.renewWanted = false;
      const now = this.deps.now();
      const next = await writeNext(this.deps.store, this.request, {
        outcomes: [...this.request.outcomes, ...batch],
        leaseUntil: iso(now.getTime() + this.leaseMs),
      });
      if (!next) {
        this.lost = true;
        return;
      }
      this.request = next;
      await Promise.all(
        batch.map((o, i) =>
          audit(this.deps.store, next, now, auditSeq(next.version, i), this.me, "volume", { ...o }),
        ),
      );
    }
  }
}

/**
 * Connections to the host for the volumes' calls, reused while young: one connection's deadline
 * covers every call made on it, so none is used past half of it.
 */
class HostEngines {
  private idle: { conn: EngineConnection; engine: Engine; born: number }[] = [];

  constructor(
    private readonly host: HostConfig,
    private readonly connect: ConnectionFactory,
    private readonly version: EngineVersion,
    first: EngineConnection,
  ) {
    this.idle.push({ conn: first, engine: Engine.withVersion(first, version), born: Date.now() });
  }

  static async open(host: HostConfig, connect: ConnectionFactory): Promise<HostEngines> {
    let conn: EngineConnection | undefined;
    try {
      conn = await connect(host);
      return new HostEngines(host, connect, await Engine.version(conn), conn);
    } catch (err) {
      conn?.close();
      throw classifyFailure(host, err);
    }
  }

  async use<T>(fn: (engine: Engine) => Promise<T>): Promise<T> {
    let slot = this.idle.pop();
    while (slot && Date.now() - slot.born > this.host.timeoutMs / 2) {
      slot.conn.close();
      slot = this.idle.pop();
    }
    if (!slot) {
      const conn = await this.connect(this.host).catch((err: unknown) => {
        throw classifyFailure(this.host, err);
      });
      slot = { conn, engine: Engine.withVersion(conn, this.version), born: Date.now() };
    }
    try {
      const result = await fn(slot.engine);
      this.idle.push(slot);
      return result;
    } catch (err) {
      slot.conn.close();
      throw err;
    }
  }

  close(): void {
    for (const s of this.idle.splice(0)) s.conn.close();
  }
}

const failed = (name: string, err: unknown): VolumeOutcome => ({
  name,
  result: "failed",
  error: describeError(err),
});
const skipped = (name: string, reason: string): VolumeOutcome => ({ name, result: "skipped", reason });

/** Re-checks one planned volume and deletes it if it is still safe to; never throws. */
async function deleteIfSafe(
  engine: Engine,
  v: PlannedVolume,
  config: Config,
  takeover: boolean,
  beforeDelete: () => Promise<boolean>,
): Promise<{ outcome: VolumeOutcome; sent: boolean }> {
  try {
    let now: Awaited<ReturnType<Engine["inspectVolume"]>>;
    try {
      now = await engine.inspectVolume(v.name);
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
    const users = await engine.containersUsing(v.name);
    if (users.length > 0) return { outcome: skipped(v.name, `in use: ${usedByDetail(users)}`), sent: false };
    if (!(await beforeDelete())) {
      return { outcome: skipped(v.name, "not attempted: the execution was taken over"), sent: false };
    }
    try {
      const removed = await engine.removeVolume(v.name);
      if (removed.result === "in-use") {
        return { outcome: skipped(v.name, `in use: ${removed.message}`), sent: true };
      }
    } catch (err) {
      if (!(err instanceof VolumeNotFoundError)) throw err;
      return { outcome: skipped(v.name, "deleted by someone else just before"), sent: true };
    }
    return { outcome: { name: v.name, result: "deleted", freedBytes: v.sizeBytes }, sent: true };
  } catch (err) {
    return { outcome: failed(v.name, err), sent: false };
  }
}

/** Executes an approved request (or resumes one whose executor stopped). See the module comment. */
export async function executeRequest(deps: ExecuteDeps, id: string): Promise<ExecutionResult> {
  const me = `${deps.executor}#${randomBytes(4).toString("hex")}`;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const claimed = await claim(deps, id, me, leaseMs);
  if ("status" in claimed) return claimed;
  const { takeover } = claimed;
  const ledger = new Ledger(deps, claimed.request, me, leaseMs);

  let engines: HostEngines;
  try {
    engines = await HostEngines.open(resolveHost(deps.config, claimed.request.host), deps.connect);
  } catch (err) {
    // Nothing was sent by this attempt: let the next one claim it at once (still as a takeover when
    // this one was: the attempt before may have deleted volumes), and say why this one could not.
    const released = await writeNext(
      deps.store,
      ledger.request,
      takeover ? { leaseUntil: iso(deps.now().getTime()) } : { executor: null, leaseUntil: null },
    );
    if (released) {
      await audit(deps.store, released, deps.now(), auditSeq(released.version), me, "executing", {
        released: true,
        error: describeError(err),
      });
    }
    throw err;
  }

  const done = new Set(ledger.request.outcomes.map((o) => o.name));
  const todo = ledger.request.plan.filter((v) => !done.has(v.name));
  let deleted = 0;
  let crash: unknown;
  try {
    await forEachLimited(
      todo,
      deps.concurrency ?? DEFAULT_CONCURRENCY,
      async (v) => {
        const { outcome, sent } = await engines
          .use((engine) => deleteIfSafe(engine, v, deps.config, takeover, () => ledger.holdLease()))
          .catch((err: unknown) => ({ outcome: failed(v.name, err), sent: false }));
        if (ledger.crashed) return;
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
      () => ledger.stopped,
    );
    await ledger.settle();
  } finally {
    engines.close();
    ledger.close();
  }
  if (crash !== undefined) throw crash;
  if (ledger.lost) {
    const now = await deps.store.getRequest(id);
    return now?.status === "done"
      ? { status: "done", request: now, replay: false }
      : { status: "lost", request: now ?? ledger.request };
  }
  return finish(deps, ledger.request, me, takeover);
}

async function finish(
  deps: ExecuteDeps,
  request: DeletionRequest,
  me: string,
  takeover: boolean,
): Promise<ExecutionResult> {
  const finished = await writeNext(deps.store, request, { status: "done", leaseUntil: null });
  if (!finished) {
    const now = await deps.store.getRequest(request.id);
    return now?.status === "done"
      ? { status: "done", request: now, replay: false }
      : { status: "lost", request: now ?? request };
  }
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

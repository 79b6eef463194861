/**
 * The ledger of an execution (execute.ts): the request as its executor knows it, with the outcomes
 * recorded in batches and the lease renewed by the same conditional writes, each outcome audited.
 */
import type { DeletionRequest, VolumeOutcome } from "../store/records.js";
import { audit, auditSeq, type RequestDeps, writeNext } from "./requests.js";

/** Outcomes are written at most this often (and at the end)... */
const FLUSH_MS = 250;
/** ...or as soon as this many wait. */
const MAX_BATCH = 200;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The request as this executor knows it, and the only writer of it while the lease holds.
 * Outcomes are written in batches, at most every FLUSH_MS (each write rewrites the whole request,
 * which holds up to 1,000 planned volumes: one write per volume would cost more than the deletions
 * on a local engine, and DynamoDB charges by the kilobyte). An outcome not yet written when the
 * executor dies is found again by the retry's re-check. Each write renews the lease; a failed
 * conditional write means another executor took over, and everything stops.
 */
export class Ledger {
  private queue: VolumeOutcome[] = [];
  private renewWanted = false;
  private draining: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  lost = false;
  crashed = false;

  constructor(
    private readonly deps: RequestDeps,
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

/**
 * Measurements of volume sizes (issue 12, SPEC §11): one at a time per host, coalesced, each on its
 * own long deadline (`sizes.timeoutSeconds`), and every completed one remembered in the store.
 *
 * `GET /system/df` walks every file of every volume: minutes on a big host. A measurement runs on
 * a connection of its own whose deadline is the sizes deadline, not the host's, so the commands
 * that wait for it answer within the host's deadline and leave it to finish on its own.
 *
 * Coalescing, in one process: a host measured already is joined, never asked again. Across
 * processes (Lambda workers, several CLIs): the store claim `sizes#<host>` goes to one measurer;
 * the others watch the store for the snapshot it keeps (and take the claim over if it is given up
 * or expires). An engine that answers "a disk usage operation is already running" (engines before
 * 23.0 refuse a second one) is measuring for someone else: dvol waits and asks again, within the
 * same deadline; that answer is never a failure.
 *
 * What happens to a measurement when its command has answered is the front end's choice (settle):
 * the CLI stops it (its process would otherwise live on for minutes), a Lambda worker waits for it
 * as long as its own time allows (work left after the handler returns is frozen), the local server
 * lets it run.
 */
import type { HostConfig } from "../config/types.js";
import type { ConnectionFactory } from "../docker/connection.js";
import { Engine } from "../docker/engine.js";
import { classifyFailure } from "../docker/failures.js";
import { describeError, HostError } from "../errors.js";
import type { SizeSnapshot } from "../store/sizes.js";
import type { Store } from "../store/store.js";

/** How often a process that does not hold the claim looks for the measurer's snapshot. */
export const WATCH_INTERVAL_MS = 1_000;
/** After "already running", how long before the engine is asked again (doubling up to the max). */
const BUSY_RETRY_MS = 500;
const BUSY_RETRY_MAX_MS = 5_000;
/** Past the measurement's deadline, for clocks that differ a little between processes. */
const CLAIM_MARGIN_MS = 10_000;

export function sizesClaimKey(host: string): string {
  return `sizes#${host}`;
}

/** The engine's answer when another measurement runs on it (engines before 23.0). */
export function isMeasurementBusy(err: unknown): boolean {
  return err instanceof HostError && /disk usage operation is already running/i.test(err.message);
}

/** What a measurement came to: a snapshot, or why there is none. */
export type MeasureOutcome = { ok: true; snapshot: SizeSnapshot } | { ok: false; error: string };

export interface Measurement {
  readonly host: string;
  /** When this process started or joined it (ISO). */
  readonly startedAt: string;
  /** Never rejects. */
  done: Promise<MeasureOutcome>;
  /** Whether `done` has settled. */
  settled: boolean;
  /** Stops it (the engine call is cut, the claim given up); `done` then says so. */
  stop(): void;
}

export interface MeasureDeps {
  connect: ConnectionFactory;
  /** The store, or null when there is none (a worker without one): in-process coalescing only. */
  store: Store | null;
  now: () => Date;
  /** The measurement's deadline (config `sizes.timeoutSeconds`). */
  timeoutMs: number;
  /** Waits (tests and the engine retry); default setTimeout. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/**
 * The measurements of one process. Front ends make one and keep it (the CLI one per run, a
 * Lambda function one per cold start, the local server one).
 */
export class SizeKeeper {
  private readonly running = new Map<string, Measurement>();
  /** Engine measurements started by this process (tests and benchmarks count them). */
  engineCalls = 0;

  /** The host's measurement in this process, joined, or started. */
  measure(host: HostConfig, deps: MeasureDeps): Measurement {
    const current = this.running.get(host.name);
    if (current && !current.settled) return current;
    const stopper = new AbortController();
    const m: Measurement = {
      host: host.name,
      startedAt: deps.now().toISOString(),
      settled: false,
      done: Promise.resolve({ ok: false, error: "not started" }),
      stop: () => stopper.abort(),
    };
    m.done = this.run(host, deps, m.startedAt, stopper.signal)
      .catch((err): MeasureOutcome => ({ ok: false, error: describeError(err) }))
      .then((outcome) => {
        m.settled = true;
        if (this.running.get(host.name) === m) this.running.delete(host.name);
        return outcome;
      });
    this.running.set(host.name, m);
    return m;
  }

  /** The measurements of this process not finished yet. */
  inFlight(): Measurement[] {
    return [...this.running.values()].filter((m) => !m.settled);
  }

  /**
   * Waits for every measurement in flight up to `ms`, then stops those still running. The CLI
   * settles with 0 once it has answered; a Lambda function with what its time allows.
   */
  async settle(ms: number): Promise<void> {
    const open = this.inFlight();
    if (open.length === 0) return;
    if (ms > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(open.map((m) => m.done)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, ms);
        }),
      ]);
      clearTimeout(timer);
    }
    for (const m of open) if (!m.settled) m.stop();
    await Promise.all(open.map((m) => m.done));
  }

  private async run(
    host: HostConfig,
    deps: MeasureDeps,
    startedAt: string,
    stopped: AbortSignal,
  ): Promise<MeasureOutcome> {
    const sleep = deps.sleep ?? defaultSleep;
    const deadline = Date.parse(startedAt) + deps.timeoutMs;
    const store = deps.store;
    const claimKey = sizesClaimKey(host.name);
    let busyWait = BUSY_RETRY_MS;
    const late = (): MeasureOutcome => ({
      ok: false,
      error: `measuring sizes took longer than ${Math.round(deps.timeoutMs / 1000)} s (sizes.timeoutSeconds)`,
    });
    const stoppedOutcome = (): MeasureOutcome => ({ ok: false, error: "the measurement was stopped" });
    while (!stopped.aborted) {
      const now = deps.now();
      if (now.getTime() >= deadline) return late();
      // Someone else's measurement, finished since this one started, is this one's answer.
      const kept = store ? await store.getSizes(host.name, "measured") : null;
      if (kept && kept.measuredAt >= startedAt) return { ok: true, snapshot: kept };
      const lease = new Date(deadline + CLAIM_MARGIN_MS).toISOString();
      const mine = store ? await store.claim(claimKey, lease, now.toISOString()) : true;
      if (mine) {
        try {
          const answer = await this.callEngine(host, deps, deadline - now.getTime(), stopped);
          if (answer.ok) {
            if (store) await store.putSizes("measured", answer.snapshot);
            return answer;
          }
          if (stopped.aborted) return stoppedOutcome();
          if (answer.error !== "busy") return answer;
          // The engine measures for someone else: ask again a little later.
          await sleep(Math.min(busyWait, Math.max(0, deadline - deps.now().getTime())), stopped);
          busyWait = Math.min(busyWait * 2, BUSY_RETRY_MAX_MS);
        } finally {
          if (store) await store.releaseClaim(claimKey, lease).catch(() => {});
        }
        continue;
      }
      await sleep(Math.min(WATCH_INTERVAL_MS, Math.max(0, deadline - now.getTime())), stopped);
    }
    return stoppedOutcome();
  }

  /** One /system/df on a connection whose deadline is the measurement's; "busy" when the engine is. */
  private async callEngine(
    host: HostConfig,
    deps: MeasureDeps,
    timeoutMs: number,
    stopped: AbortSignal,
  ): Promise<MeasureOutcome | { ok: false; error: "busy" }> {
    const longHost: HostConfig = { ...host, timeoutMs: Math.max(1, timeoutMs) };
    let conn: Awaited<ReturnType<ConnectionFactory>> | undefined;
    const cut = () => conn?.close();
    stopped.addEventListener("abort", cut, { once: true });
    try {
      conn = await deps.connect(longHost);
      if (stopped.aborted) return { ok: false, error: "the measurement was stopped" };
      this.engineCalls++;
      // Stopped, the answer is not waited for, whether or not the transport cuts the call.
      const aborted = new Promise<never>((_, reject) => {
        stopped.addEventListener("abort", () => reject(new Error("the measurement was stopped")), {
          once: true,
        });
      });
      aborted.catch(() => {});
      const volumes = await Promise.race([Engine.lazy(conn).volumesWithUsage(), aborted]);
      return {
        ok: true,
        snapshot: {
          host: host.name,
          measuredAt: deps.now().toISOString(),
          volumes: volumes.map((v) => ({ name: v.name, createdAt: v.createdAt, sizeBytes: v.sizeBytes })),
        },
      };
    } catch (err) {
      if (isMeasurementBusy(err)) return { ok: false, error: "busy" };
      return { ok: false, error: describeError(classifyFailure(longHost, err)) };
    } finally {
      stopped.removeEventListener("abort", cut);
      conn?.close();
    }
  }
}

/**
 * `info <host>`: what `docker info` says of storage and what `docker system df` says (SPEC §2),
 * within the host's deadline (issue 12).
 *
 * `/info` always answers quickly; `/system/df` walks every file of every volume (minutes on a big
 * host). It is waited for only as long as `dfWaitMs` says; when it is late, the volumes row is made
 * from the fast calls (count, in use) and the newest remembered measurement of sizes (with its
 * time), and the other rows are null with the reason in `sizes.late`. A host whose disk usage is
 * late is an answered host. While the size keeper measures the host in this process, no second
 * `/system/df` is started beside it: its measurement is waited for, then `/system/df` asked with the
 * time left.
 */
import { resolveHost } from "../../config/targets.js";
import type { HostConfig } from "../../config/types.js";
import type { CommandContext } from "../../docker/context.js";
import type { Engine } from "../../docker/engine.js";
import { forEachHost, type HostResult } from "../../docker/fanout.js";
import type { DiskUsage, StorageInfo, UsageSummary, Volume } from "../../docker/model.js";
import { describeError } from "../../errors.js";
import { isMeasurementBusy } from "../../sizes/keeper.js";
import {
  DEADLINE_MARGIN_MS,
  type HostSizes,
  REMEMBERED_GRACE_MS,
  type SizesSource,
} from "../../sizes/view.js";
import { type SizeSnapshot, sizeKey } from "../../store/sizes.js";

/** A row of `system df`; a late volumes row has sizes only where remembered (null: none). */
export interface InfoUsage extends Omit<UsageSummary, "sizeBytes" | "reclaimableBytes"> {
  sizeBytes: number | null;
  reclaimableBytes: number | null;
  /** Late volumes row only: when its sizes were measured (ISO), null when never. */
  sizeMeasuredAt?: string | null;
}

/** `system df` by type; null: not reported by the engine, or not measured within the deadline. */
export type InfoDiskUsage = { [K in keyof DiskUsage]: InfoUsage | null };

export interface InfoData {
  engineVersion: string;
  apiVersion: string;
  storage: StorageInfo;
  diskUsage: InfoDiskUsage;
  /**
   * When the disk usage shown was measured and why it is not fresh, as `ls` says of sizes;
   * absent: measured just now.
   */
  sizes?: HostSizes;
}

export interface InfoResult {
  command: "info";
  hosts: HostResult<InfoData>[];
  /** When the hosts were asked (ISO): ages are told from it. */
  at?: string;
}

/** With remembered volume sizes to show, how long `info` waits for `/system/df`. */
export const INFO_REMEMBERED_WAIT_MS = 2_000;

/**
 * How long `info` waits for `/system/df`: the host's deadline less a margin (at least
 * REMEMBERED_GRACE_MS), at most INFO_REMEMBERED_WAIT_MS with remembered sizes.
 */
export function dfWaitMs(host: HostConfig, remembered: boolean): number {
  const full = Math.max(REMEMBERED_GRACE_MS, host.timeoutMs - DEADLINE_MARGIN_MS);
  return remembered ? Math.min(full, INFO_REMEMBERED_WAIT_MS) : full;
}

/** "1 s", "0.5 s". */
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

type Timed<T> =
  | { ok: true; value: T }
  | { ok: false; late: true }
  | { ok: false; late: false; error: unknown };

/** `p` if it settles by `until` (epoch ms, on `now`'s clock), else late. */
async function within<T>(p: Promise<T>, until: number, now: () => Date): Promise<Timed<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Timed<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, late: true }), Math.max(0, until - now().getTime()));
  });
  const settled = p.then(
    (value): Timed<T> => ({ ok: true, value }),
    (error: unknown): Timed<T> => ({ ok: false, late: false, error }),
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The volumes row from the fast calls and a measurement of sizes (null: never measured). */
export function volumesRow(volumes: readonly Volume[], snap: SizeSnapshot | null): InfoUsage {
  const sizes = new Map((snap?.volumes ?? []).map((v) => [sizeKey(v.name, v.createdAt), v.sizeBytes]));
  const sizeOf = (v: Volume) => sizes.get(sizeKey(v.name, v.createdAt)) ?? null;
  const known = volumes.filter((v) => sizeOf(v) !== null);
  const sum = (vs: readonly Volume[]) => vs.reduce((a, v) => a + (sizeOf(v) ?? 0), 0);
  return {
    count: volumes.length,
    active: volumes.filter((v) => (v.refCount ?? 0) > 0).length,
    sizeBytes: known.length > 0 ? sum(known) : null,
    reclaimableBytes: known.length > 0 ? sum(known.filter((v) => v.refCount === 0)) : null,
    sizeMeasuredAt: known.length > 0 && snap ? snap.measuredAt : null,
  };
}

async function diskUsageOf(
  engine: Engine,
  host: HostConfig,
  ctx: CommandContext,
  source: SizesSource,
): Promise<Pick<InfoData, "diskUsage" | "sizes">> {
  const started = ctx.now().getTime();
  const store = await source.store().catch(() => null);
  const remembered = store ? await store.getSizes(host.name, "measured").catch(() => null) : null;
  const waitMs = dfWaitMs(host, remembered !== null);
  const until = started + waitMs;
  // The keeper's measurement of this host, when one runs here: joined, never doubled.
  const running = source.keeper.inFlight().find((m) => m.host === host.name);
  const measured = running ? await within(running.done, until, ctx.now) : null;
  const joined = measured?.ok && measured.value.ok ? measured.value.snapshot : null;
  let why = `disk usage not measured within the deadline: the engine takes longer than ${seconds(waitMs)}`;
  if (!running || running.settled) {
    const df = await within(engine.diskUsage(), until, ctx.now);
    if (df.ok) {
      const at = ctx.now().toISOString();
      return { diskUsage: df.value, sizes: { measuredAt: at, fresh: true, late: null } };
    }
    if (!df.late) {
      why = isMeasurementBusy(df.error)
        ? "disk usage not measured: the engine is measuring it for another command"
        : `disk usage could not be measured: ${describeError(df.error)}`;
    }
  } else {
    why = `disk usage not measured within the deadline: a measurement of volume sizes was under way for ${seconds(waitMs)}`;
  }
  const volumes = await engine.volumesFast();
  const newest = store ? await store.getSizes(host.name, "measured").catch(() => null) : null;
  const candidates = [joined, newest, remembered].filter((s): s is SizeSnapshot => s !== null);
  const shown = candidates.sort((a, b) => b.measuredAt.localeCompare(a.measuredAt))[0] ?? null;
  return {
    diskUsage: { images: null, containers: null, volumes: volumesRow(volumes, shown), buildCache: null },
    sizes: { measuredAt: shown?.measuredAt ?? null, fresh: false, late: why },
  };
}

/** What `docker info` says of storage and what `docker system df` says, for one host. */
export async function runInfo(host: string, ctx: CommandContext, source: SizesSource): Promise<InfoResult> {
  const at = ctx.now().toISOString();
  const hosts = await forEachHost([resolveHost(ctx.config, host)], ctx.connect, async (engine, h) => {
    const [storage, df] = await Promise.all([engine.storageInfo(), diskUsageOf(engine, h, ctx, source)]);
    return {
      engineVersion: engine.version.engineVersion,
      apiVersion: engine.version.apiVersion,
      storage,
      ...df,
    };
  });
  return { command: "info", hosts, at };
}

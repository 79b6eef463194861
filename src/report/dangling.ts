/**
 * The dangling-volume report (SPEC §5): for each target host, the volumes no container uses, how
 * much space they hold, the largest ones, and since when dvol has seen each of them dangling.
 *
 * "Dangling since" is a memo in the store keyed by host, volume name and creation time, so a
 * volume re-created under the same name starts anew; a volume seen in use again has its memo
 * deleted, so when it dangles again it starts anew too.
 */

import pLimit from "p-limit";
import { resolveTarget } from "../config/targets.js";
import type { CommandContext } from "../docker/context.js";
import { forEachHost, type HostResult } from "../docker/fanout.js";
import { isDangling, projectOf, type Volume } from "../docker/model.js";
import { SizeKeeper } from "../sizes/keeper.js";
import { type HostSizes, hostSizes, type SizesSource, sized } from "../sizes/view.js";
import type { SizeSnapshot } from "../store/sizes.js";
import type { Store } from "../store/store.js";
import { growthOf, type HostGrowth, reportedSnapshot } from "./growth.js";

export interface ReportVolume {
  name: string;
  sizeBytes: number | null;
  /** When the size was measured (ISO), null when never (issue 12). */
  sizeMeasuredAt?: string | null;
  /** The size's change since the previous report; null when unknown (new, or not measured). */
  growthBytes?: number | null;
  project: string | null;
  createdAt: string | null;
  /** The first time dvol saw this volume dangling (ISO). */
  danglingSince: string;
}

export interface ReportHostData {
  danglingCount: number;
  danglingBytes: number;
  /** Every dangling volume, largest first (then by name). */
  volumes: ReportVolume[];
  /** How old the sizes are, and why they are not fresh (issue 12); absent: measured just now. */
  sizes?: HostSizes;
  /** Against the previous report (issue 12); null when there is none, absent when not compared. */
  growth?: HostGrowth | null;
  /** What the store keeps of this report for the next one's growth (not in the JSON). */
  reported?: SizeSnapshot | null;
}

export type ReportHost = HostResult<ReportHostData>;

export interface ReportResult {
  command: "report";
  /** The day of the report, YYYY-MM-DD (UTC). */
  date: string;
  /** When the hosts were asked (ISO). */
  at: string;
  hosts: ReportHost[];
}

export interface ReportContext extends CommandContext {
  store: Store;
  /** Where sizes come from (issue 12); absent: the measurement is waited for within the host's deadline. */
  sizes?: SizesSource;
}

/** A memo of "dangling since" lives this long after it was last written, and is rewritten well before. */
const MEMO_TTL_MS = 180 * 86_400_000;
const MEMO_REFRESH_MS = 60 * 86_400_000;
/** Store calls in flight at once, per report. */
const STORE_CONCURRENCY = 16;

export function reportDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export function danglingMemoKey(host: string, name: string, createdAt: string | null): string {
  return `dangling|${host}|${name}|${createdAt ?? "?"}`;
}

interface SinceMemo {
  since: string;
  until: string;
}

function parseMemo(value: string | null): SinceMemo | null {
  if (value === null) return null;
  try {
    const m = JSON.parse(value) as Partial<SinceMemo>;
    if (typeof m.since === "string" && typeof m.until === "string") return { since: m.since, until: m.until };
  } catch {
    // A memo dvol cannot read starts anew.
  }
  return null;
}

const bySizeThenName = (a: ReportVolume, b: ReportVolume) =>
  (b.sizeBytes ?? -1) - (a.sizeBytes ?? -1) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Keeps "dangling since" for one host's volumes: a dangling volume gets its memo (written the
 * first time it is seen), a volume in use has its memo deleted. Volumes whose use is unknown
 * are left alone and not reported.
 */
export async function trackDangling(
  store: Store,
  host: string,
  volumes: readonly Volume[],
  now: Date,
): Promise<ReportHostData> {
  const nowIso = now.toISOString();
  const dangling = volumes.filter((v) => isDangling(v) === true);
  const inUse = volumes.filter((v) => isDangling(v) === false);
  const limit = pLimit(STORE_CONCURRENCY);
  const rows = await limit.map(dangling, async (v): Promise<ReportVolume> => {
    const key = danglingMemoKey(host, v.name, v.createdAt);
    const memo = parseMemo(await store.getMemo(key));
    const since = memo?.since ?? nowIso;
    if (!memo || Date.parse(memo.until) - now.getTime() < MEMO_REFRESH_MS) {
      const until = new Date(now.getTime() + MEMO_TTL_MS).toISOString();
      await store.putMemo(key, JSON.stringify({ since, until }), until);
    }
    return {
      name: v.name,
      sizeBytes: v.sizeBytes,
      project: projectOf(v),
      createdAt: v.createdAt,
      danglingSince: since,
    };
  });
  await limit.map(inUse, async (v) => {
    const key = danglingMemoKey(host, v.name, v.createdAt);
    if ((await store.getMemo(key)) !== null) await store.deleteMemo(key);
  });
  rows.sort(bySizeThenName);
  return {
    danglingCount: rows.length,
    danglingBytes: rows.reduce((a, v) => a + (v.sizeBytes ?? 0), 0),
    volumes: rows,
  };
}

/**
 * Asks every target host (all by default) at once; a host that fails is kept, with the reason.
 * Volumes and their dangling state come from the fast calls; sizes from the newest completed
 * measurement (ctx.sizes: the daily report waits for a new one with the long deadline), compared
 * with the previous report's (the store's `reported` slot).
 */
export async function runReport(target: string | null, ctx: ReportContext): Promise<ReportResult> {
  const hosts = resolveTarget(ctx.config, target ?? "all");
  const now = ctx.now();
  const date = reportDate(now);
  const source: SizesSource = ctx.sizes ?? {
    keeper: reportKeeper(),
    store: async () => ctx.store,
    policy: "answer",
  };
  const answers = await forEachHost(hosts, ctx.connect, async (engine, host) => {
    const fast = engine.volumesFast();
    const [volumes, sizes, previous] = await Promise.all([
      fast,
      hostSizes(host, source, ctx, fast),
      ctx.store.getSizes(host.name, "reported").catch(() => null),
    ]);
    return { volumes: sized(volumes, sizes), sizes, previous };
  });
  const results = await Promise.all(
    answers.map(async (a): Promise<ReportHost> => {
      if (!a.ok) return a;
      const data = await trackDangling(ctx.store, a.host, a.volumes, now);
      const all = a.volumes.map((v) => ({ name: v.name, createdAt: v.createdAt, sizeBytes: v.sizeBytes }));
      const { growth, sizeBefore } = growthOf(a.previous, date, all);
      const byName = new Map(a.volumes.map((v) => [v.name, v]));
      const volumes = data.volumes.map((r) => {
        const v = byName.get(r.name);
        const was = v ? sizeBefore(v) : null;
        return {
          ...r,
          sizeMeasuredAt: v?.sizeMeasuredAt ?? null,
          growthBytes: r.sizeBytes === null || was === null ? null : r.sizeBytes - was,
        };
      });
      const measuredAt = a.sizes.measuredAt;
      return {
        host: a.host,
        ok: true,
        error: null,
        ...data,
        volumes,
        sizes: { measuredAt, fresh: a.sizes.fresh, late: a.sizes.late },
        growth,
        reported:
          measuredAt === null
            ? null
            : reportedSnapshot(a.host, date, { measuredAt, volumes: all }, data.danglingBytes, a.previous),
      };
    }),
  );
  return { command: "report", date, at: now.toISOString(), hosts: results };
}

let keeper: SizeKeeper | undefined;
const reportKeeper = () => {
  keeper ??= new SizeKeeper();
  return keeper;
};

/**
 * Keeps what each host's report showed as the `reported` sizes, for the next report's growth
 * (the daily report, once posted). A host whose sizes were never measured keeps nothing.
 */
export async function rememberReported(store: Store, r: ReportResult): Promise<void> {
  for (const h of r.hosts) if (h.ok && h.reported) await store.putSizes("reported", h.reported);
}

/** The JSON of `report --json`. */
export function reportJson(r: ReportResult) {
  return {
    command: "report" as const,
    date: r.date,
    hosts: r.hosts.map((h) =>
      h.ok
        ? {
            host: h.host,
            ok: true,
            error: null,
            danglingCount: h.danglingCount,
            danglingBytes: h.danglingBytes,
            sizesMeasuredAt: h.sizes?.measuredAt ?? null,
            sizesLate: h.sizes?.late ?? null,
            growth: h.growth ?? null,
            volumes: h.volumes.map((v) => ({
              name: v.name,
              sizeBytes: v.sizeBytes,
              sizeMeasuredAt: v.sizeMeasuredAt ?? null,
              growthBytes: v.growthBytes ?? null,
              project: v.project,
              createdAt: v.createdAt,
              danglingSince: v.danglingSince,
            })),
          }
        : { host: h.host, ok: false, error: h.error, danglingCount: null, danglingBytes: null, volumes: [] },
    ),
  };
}

/** True when every host asked answered. */
export function reportComplete(r: ReportResult): boolean {
  return r.hosts.every((h) => h.ok);
}

/**
 * The dangling-volume report (SPEC §5): for each target host, the volumes no container uses, how
 * much space they hold, the largest ones, and since when dvol has seen each of them dangling.
 *
 * "Dangling since" is a memo in the store keyed by host, volume name and creation time, so a
 * volume re-created under the same name starts anew; a volume seen in use again has its memo
 * deleted, so when it dangles again it starts anew too.
 */
import pLimit from "p-limit";
import type { CommandContext } from "../commands/context.js";
import { failureLines } from "../commands/context.js";
import { resolveTarget } from "../commands/targets.js";
import { forEachHost, type HostResult } from "../docker/fanout.js";
import { isDangling, projectOf, type Volume } from "../docker/model.js";
import { bar, humanSize, shortTime, table } from "../format.js";
import type { Store } from "../store/store.js";

export interface ReportVolume {
  name: string;
  sizeBytes: number | null;
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

/** Asks every target host (all by default) at once; a host that fails is kept, with the reason. */
export async function runReport(target: string | null, ctx: ReportContext): Promise<ReportResult> {
  const hosts = resolveTarget(ctx.config, target ?? "all");
  const now = ctx.now();
  const answers = await forEachHost(hosts, ctx.connect, async (engine) => ({
    volumes: await engine.volumesWithUsage(),
  }));
  const results = await Promise.all(
    answers.map(async (a): Promise<ReportHost> => {
      if (!a.ok) return a;
      return {
        host: a.host,
        ok: true,
        error: null,
        ...(await trackDangling(ctx.store, a.host, a.volumes, now)),
      };
    }),
  );
  return { command: "report", date: reportDate(now), at: now.toISOString(), hosts: results };
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
            volumes: h.volumes.map((v) => ({
              name: v.name,
              sizeBytes: v.sizeBytes,
              project: v.project,
              createdAt: v.createdAt,
              danglingSince: v.danglingSince,
            })),
          }
        : { host: h.host, ok: false, error: h.error, danglingCount: null, danglingBytes: null, volumes: [] },
    ),
  };
}

/** "3d", "5h", "12m" between an ISO time and now; "?" when unknown. */
export function age(iso: string | null, now: Date): string {
  if (iso === null) return "?";
  const ms = now.getTime() - Date.parse(iso);
  if (!Number.isFinite(ms)) return "?";
  const min = Math.max(0, Math.floor(ms / 60_000));
  if (min < 60) return `${min}m`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** Each answering host's share of all the dangling space, as [host, share 0..1]. */
export function shares(r: ReportResult): { host: string; bytes: number; share: number }[] {
  const ok = r.hosts.filter((h): h is Extract<ReportHost, { ok: true }> => h.ok);
  const all = ok.reduce((a, h) => a + h.danglingBytes, 0);
  return ok.map((h) => ({
    host: h.host,
    bytes: h.danglingBytes,
    share: all > 0 ? h.danglingBytes / all : 0,
  }));
}

/** The largest volumes shown per host in the text and in Slack's message. */
export const LARGEST_SHOWN = 10;

export function renderReportText(r: ReportResult, largest = LARGEST_SHOWN): string {
  const now = new Date(r.at);
  const share = new Map(shares(r).map((s) => [s.host, s.share]));
  const total = r.hosts.reduce((a, h) => a + (h.ok ? h.danglingBytes : 0), 0);
  const count = r.hosts.reduce((a, h) => a + (h.ok ? h.danglingCount : 0), 0);
  const failed = r.hosts.filter((h) => !h.ok).length;
  const head = `Dangling volumes, ${r.date}: ${count} on ${r.hosts.length - failed} host${
    r.hosts.length - failed === 1 ? "" : "s"
  }, ${humanSize(total)}${failed ? `; ${failed} host${failed === 1 ? "" : "s"} unavailable` : ""}`;
  const blocks = r.hosts.map((h) => {
    if (!h.ok) return failureLines(h).join("\n");
    const line = `${h.host}: ${h.danglingCount} dangling, ${humanSize(h.danglingBytes)}  ${bar(share.get(h.host) ?? 0)}`;
    if (h.volumes.length === 0) return line;
    const shown = h.volumes.slice(0, largest);
    const rows = shown.map((v) => [
      v.name,
      humanSize(v.sizeBytes),
      v.project ?? "-",
      age(v.createdAt, now),
      shortTime(v.danglingSince),
    ]);
    const more = h.volumes.length - shown.length;
    return [
      line,
      ...table([["NAME", "SIZE", "PROJECT", "AGE", "DANGLING SINCE"], ...rows]).map((l) => `  ${l}`),
      ...(more > 0 ? [`  … and ${more} more`] : []),
    ].join("\n");
  });
  return [head, ...blocks].join("\n\n");
}

/** True when every host asked answered. */
export function reportComplete(r: ReportResult): boolean {
  return r.hosts.every((h) => h.ok);
}

/**
 * The text of the daily dangling report (`dvol report`, the CLI and the attached file in Slack);
 * the report itself is made by src/report/dangling.ts.
 */

import { bar, humanSize, joinLines, shortTime, table } from "../../format.js";
import type { ReportHost, ReportResult } from "../../report/dangling.js";
import { failureLines } from "../context.js";
import { sizesNote, sizeWithAge } from "../sizes.js";

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

/** The largest volumes shown per host in the text (the attached file in Slack shows them all). */
const LARGEST_SHOWN = 10;

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
    if (!h.ok) return joinLines(failureLines(h));
    const line = `${h.host}: ${h.danglingCount} dangling, ${humanSize(h.danglingBytes)}${danglingGrowth(h, r.date)}  ${bar(share.get(h.host) ?? 0)}`;
    const note = sizesNote(h.sizes, now);
    const growers = growersLine(h, r.date);
    const lead = [line, ...(note ? [`  ${note}`] : []), ...(growers ? [`  ${growers}`] : [])];
    if (h.volumes.length === 0) return joinLines(lead);
    const shown = h.volumes.slice(0, largest);
    const compared = h.growth ? ` since ${sinceText(h.growth.since, r.date)}` : "";
    const rows = shown.map((v) => [
      v.name,
      sizeWithAge(v, h.sizes, now),
      ...(h.growth ? [growthText(v.growthBytes ?? null)] : []),
      v.project ?? "-",
      age(v.createdAt, now),
      shortTime(v.danglingSince),
    ]);
    const more = h.volumes.length - shown.length;
    const head = ["NAME", "SIZE", ...(h.growth ? [`GROWTH${compared.toUpperCase()}`] : []), "PROJECT", "AGE"];
    return joinLines([
      ...lead,
      ...table([[...head, "DANGLING SINCE"], ...rows]).map((l) => `  ${l}`),
      ...(more > 0 ? [`  … and ${more} more`] : []),
    ]);
  });
  return [head, ...blocks].join("\n\n");
}

/** "yesterday" when `since` is the day before `date`, else the day. */
export function sinceText(since: string, date: string): string {
  const yesterday = new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  return since === yesterday ? "yesterday" : since;
}

/** "+2.1 GB", "-300 MB", "0 B"; "?" when unknown. */
export function growthText(bytes: number | null): string {
  if (bytes === null) return "?";
  if (bytes === 0) return "0 B";
  return `${bytes > 0 ? "+" : "-"}${humanSize(Math.abs(bytes))}`;
}

/** " (+2.1 GB since yesterday)" after a host's dangling space; "" without a previous report. */
export function danglingGrowth(h: Extract<ReportHost, { ok: true }>, date: string): string {
  if (!h.growth) return "";
  return ` (${growthText(h.danglingBytes - h.growth.danglingBytesBefore)} since ${sinceText(h.growth.since, date)})`;
}

/** "grew most since yesterday: a +1.2 GB, b +300 MB", or null when none grew. */
export function growersLine(h: Extract<ReportHost, { ok: true }>, date?: string): string | null {
  if (!h.growth || h.growth.growers.length === 0) return null;
  const since = date ? sinceText(h.growth.since, date) : h.growth.since;
  return `grew most since ${since}: ${h.growth.growers.map((g) => `${g.name} ${growthText(g.growthBytes)}`).join(", ")}`;
}

/**
 * `ls` as text: a table per host, and each host's share when there are several. The counts, sizes
 * and shares are the host's totals (every volume that matched), even when --limit shows fewer rows.
 */
import { bar, humanSize, joinLines, shortTime, table, yesNo } from "../../format.js";
import { perHostText } from "../context.js";
import { resultNow, sizesNote, sizeWithAge } from "../sizes.js";
import type { LsResult } from "./run.js";

export function renderLsText(r: LsResult): string {
  const now = resultNow(r);
  const body = perHostText(r.hosts, (h) => {
    const shown = h.shown < h.matched ? `; showing ${h.shown} of ${h.matched}` : "";
    const head = `${h.host}: ${h.matched} volume${h.matched === 1 ? "" : "s"}, ${humanSize(h.totals.sizeBytes)}${shown}`;
    const note = sizesNote(h.sizes, now);
    const lead = note ? [head, `  ${note}`] : [head];
    if (h.volumes.length === 0) return lead;
    const rows = h.volumes.map((v) => [
      v.name,
      v.driver,
      sizeWithAge(v, h.sizes, now),
      v.refCount === null ? "?" : String(v.refCount),
      v.project ?? "-",
      shortTime(v.createdAt),
      yesNo(v.dangling),
    ]);
    return [
      ...lead,
      ...table([["NAME", "DRIVER", "SIZE", "REFS", "PROJECT", "CREATED", "DANGLING"], ...rows]),
    ];
  });
  const ok = r.hosts.filter((h) => h.ok);
  if (r.hosts.length < 2 || ok.length === 0) return body;
  const sizes = ok.map((h) => (h.ok ? h.totals.sizeBytes : 0));
  const all = sizes.reduce((a, b) => a + b, 0);
  const summary = ok.map((h, i) => {
    const size = sizes[i] ?? 0;
    return [h.host, humanSize(size), bar(all > 0 ? size / all : 0)];
  });
  return `${body}\n\n${joinLines(table([["HOST", "SIZE", "SHARE"], ...summary]))}`;
}

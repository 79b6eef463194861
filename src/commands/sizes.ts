/**
 * How a size is shown (issue 12), the same in text and Slack: "5.2 GB" when measured during the
 * command, "5.2 GB · 3 h ago" when remembered, "not yet measured" when never; and the note on a
 * host whose sizes are late.
 */
import { humanSize } from "../format.js";
import { FRESH_FOR_MS } from "../sizes/fresh.js";
import type { HostSizes } from "../sizes/view.js";

export const NOT_MEASURED = "not yet measured";

/** "just now", "12 min ago", "3 h ago", "4 d ago". */
export function ago(iso: string, now: Date): string {
  const ms = now.getTime() - Date.parse(iso);
  if (!Number.isFinite(ms)) return "?";
  const min = Math.floor(Math.max(0, ms) / 60_000);
  if (min < 1) return "just now";
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** A volume's size with its age when it was not measured just now. */
export function sizeWithAge(
  v: { sizeBytes: number | null; sizeMeasuredAt?: string | null },
  sizes: HostSizes | undefined,
  now: Date,
): string {
  if (!sizes) return humanSize(v.sizeBytes);
  if (!v.sizeMeasuredAt) return v.sizeBytes === null ? NOT_MEASURED : humanSize(v.sizeBytes);
  if (sizes.fresh) return humanSize(v.sizeBytes);
  return `${humanSize(v.sizeBytes)} · ${ago(v.sizeMeasuredAt, now)}`;
}

/** The note on a host whose sizes are not fresh: when they were measured, and why not now. */
export function sizesNote(sizes: HostSizes | undefined, now: Date): string | null {
  if (!sizes || sizes.fresh) return null;
  const when = sizes.measuredAt ? `sizes as measured ${ago(sizes.measuredAt, now)}` : "size not yet measured";
  return sizes.late ? `${when} (${sizes.late})` : when;
}

/** The time a result's ages are told from. */
export function resultNow(r: { at?: string }): Date {
  return r.at ? new Date(r.at) : new Date();
}

/** A planned volume's size: with its age at `now` unless measured within FRESH_FOR_MS of it. */
export function plannedSize(
  v: { sizeBytes: number | null; sizeMeasuredAt?: string | null },
  now: Date,
): string {
  if (v.sizeMeasuredAt === undefined) return humanSize(v.sizeBytes);
  if (v.sizeMeasuredAt === null) return v.sizeBytes === null ? NOT_MEASURED : humanSize(v.sizeBytes);
  const fresh = now.getTime() - Date.parse(v.sizeMeasuredAt) < FRESH_FOR_MS;
  return fresh ? humanSize(v.sizeBytes) : `${humanSize(v.sizeBytes)} · ${ago(v.sizeMeasuredAt, now)}`;
}

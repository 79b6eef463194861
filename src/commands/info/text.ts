/** `info` as text: the storage of each host and its `docker system df`. */
import type { DiskUsage } from "../../docker/model.js";
import { bar, humanSize, table } from "../../format.js";
import { perHostText } from "../context.js";
import { NOT_MEASURED, resultNow, sizesNote, sizeWithAge } from "../sizes.js";
import type { InfoData, InfoResult, InfoUsage } from "./run.js";

/** The types of `docker system df`, as it names them. */
export const DF_TYPES: [keyof DiskUsage, string][] = [
  ["images", "Images"],
  ["containers", "Containers"],
  ["volumes", "Local Volumes"],
  ["buildCache", "Build Cache"],
];

/** What a row not measured within the deadline says in its SIZE column. */
export const NOT_MEASURED_IN_TIME = "not measured within the deadline";

function reclaimable(u: InfoUsage): string {
  if (u.sizeBytes === null || u.reclaimableBytes === null) return "";
  const pct = u.sizeBytes > 0 ? Math.round((u.reclaimableBytes / u.sizeBytes) * 100) : 0;
  return `${humanSize(u.reclaimableBytes)} (${pct}%)`;
}

/** A host's `system df`, the same in text and Slack: its rows and totals, and the note when late. */
export interface DfView {
  /** TYPE, TOTAL, ACTIVE, SIZE, RECLAIMABLE, and the share (0..1, null when not known). */
  rows: [string, string, string, string, string, number | null][];
  totalBytes: number;
  reclaimableBytes: number;
  /** The note on a disk usage not measured now (when, and why), or null. */
  note: string | null;
}

export function dfView(h: InfoData, now: Date): DfView {
  const late = h.sizes !== undefined && !h.sizes.fresh;
  const total = DF_TYPES.reduce((a, [k]) => a + (h.diskUsage[k]?.sizeBytes ?? 0), 0);
  const reclaim = DF_TYPES.reduce((a, [k]) => a + (h.diskUsage[k]?.reclaimableBytes ?? 0), 0);
  const rows = DF_TYPES.flatMap(([k, label]): DfView["rows"] => {
    const u = h.diskUsage[k];
    if (!u) return late ? [[label, "-", "-", NOT_MEASURED_IN_TIME, "", null]] : [];
    // Late, the known part is not the whole: no share is shown.
    const share = late || u.sizeBytes === null ? null : total > 0 ? u.sizeBytes / total : 0;
    const size =
      u.sizeMeasuredAt === undefined
        ? humanSize(u.sizeBytes)
        : u.sizeBytes === null
          ? NOT_MEASURED
          : sizeWithAge({ sizeBytes: u.sizeBytes, sizeMeasuredAt: u.sizeMeasuredAt }, h.sizes, now);
    return [[label, String(u.count), String(u.active), size, reclaimable(u), share]];
  });
  return { rows, totalBytes: total, reclaimableBytes: reclaim, note: sizesNote(h.sizes, now) };
}

export function renderInfoText(r: InfoResult): string {
  const now = resultNow(r);
  return perHostText(r.hosts, (h) => {
    const s = h.storage;
    const df = dfView(h, now);
    return [
      `${h.host}: Docker ${h.engineVersion} (API ${h.apiVersion})`,
      `Storage Driver: ${s.storageDriver}`,
      ...s.driverStatus.map(([k, v]) => `  ${k}: ${v}`),
      `containerd snapshotter: ${s.containerdSnapshotter ? "yes" : "no"}`,
      `Docker Root Dir: ${s.dockerRootDir}`,
      "",
      ...(df.note ? [`Disk usage: ${df.note}`] : []),
      ...table([
        ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE", "SHARE"],
        ...df.rows.map(([a, b, c, d, e, share]) => [a, b, c, d, e, share === null ? "" : bar(share)]),
      ]),
    ];
  });
}

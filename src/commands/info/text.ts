/** `info` as text: the storage of each host and its `docker system df`. */
import type { DiskUsage, UsageSummary } from "../../docker/model.js";
import { bar, humanSize, table } from "../../format.js";
import { perHostText } from "../context.js";
import type { InfoResult } from "./run.js";

/** The types of `docker system df`, as it names them. */
export const DF_TYPES: [keyof DiskUsage, string][] = [
  ["images", "Images"],
  ["containers", "Containers"],
  ["volumes", "Local Volumes"],
  ["buildCache", "Build Cache"],
];

function reclaimable(u: UsageSummary): string {
  const pct = u.sizeBytes > 0 ? Math.round((u.reclaimableBytes / u.sizeBytes) * 100) : 0;
  return `${humanSize(u.reclaimableBytes)} (${pct}%)`;
}

export function renderInfoText(r: InfoResult): string {
  return perHostText(r.hosts, (h) => {
    const s = h.storage;
    const total = DF_TYPES.reduce((a, [k]) => a + (h.diskUsage[k]?.sizeBytes ?? 0), 0);
    const df = DF_TYPES.flatMap(([k, label]) => {
      const u = h.diskUsage[k];
      if (!u) return [];
      const share = total > 0 ? u.sizeBytes / total : 0;
      return [[label, String(u.count), String(u.active), humanSize(u.sizeBytes), reclaimable(u), bar(share)]];
    });
    return [
      `${h.host}: Docker ${h.engineVersion} (API ${h.apiVersion})`,
      `Storage Driver: ${s.storageDriver}`,
      ...s.driverStatus.map(([k, v]) => `  ${k}: ${v}`),
      `containerd snapshotter: ${s.containerdSnapshotter ? "yes" : "no"}`,
      `Docker Root Dir: ${s.dockerRootDir}`,
      "",
      ...table([["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE", "SHARE"], ...df]),
    ];
  });
}

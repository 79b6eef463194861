import { resolveHost } from "../config/targets.js";
import type { CommandContext } from "../docker/context.js";
import { forEachHost, type HostResult } from "../docker/fanout.js";
import type { DiskUsage, StorageInfo, UsageSummary } from "../docker/model.js";
import { bar, humanSize } from "../format.js";
import { perHostText, table } from "./context.js";

export interface InfoData {
  engineVersion: string;
  apiVersion: string;
  storage: StorageInfo;
  diskUsage: DiskUsage;
}

export interface InfoResult {
  command: "info";
  hosts: HostResult<InfoData>[];
}

/** What `docker info` says of storage and what `docker system df` says, for one host. */
export async function runInfo(host: string, ctx: CommandContext): Promise<InfoResult> {
  const hosts = await forEachHost([resolveHost(ctx.config, host)], ctx.connect, async (engine) => {
    const [storage, diskUsage] = await Promise.all([engine.storageInfo(), engine.diskUsage()]);
    return {
      engineVersion: engine.version.engineVersion,
      apiVersion: engine.version.apiVersion,
      storage,
      diskUsage,
    };
  });
  return { command: "info", hosts };
}

const TYPES: [keyof DiskUsage, string][] = [
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
    const total = TYPES.reduce((a, [k]) => a + (h.diskUsage[k]?.sizeBytes ?? 0), 0);
    const df = TYPES.flatMap(([k, label]) => {
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

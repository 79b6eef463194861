import type { ContainerUse, DiskUsage, StorageInfo, UsageSummary, Volume } from "./model.js";

/** Parsers from the engine's JSON to dvol's model, tolerant of fields that versions add or drop. */

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : null);

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) if (typeof val === "string") out[k] = val;
  return out;
}

/** Docker gives RFC 3339 with the daemon's offset and sometimes nanoseconds: normalise to UTC seconds. */
export function normaliseTime(v: unknown): string | null {
  if (typeof v !== "string" || v === "") return null;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return null;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export function parseVolume(raw: unknown): Volume {
  const v = obj(raw);
  const usage = obj(v.UsageData);
  return {
    name: text(v.Name),
    driver: text(v.Driver),
    mountpoint: text(v.Mountpoint),
    scope: text(v.Scope),
    createdAt: normaliseTime(v.CreatedAt),
    labels: stringMap(v.Labels),
    options: stringMap(v.Options),
    sizeBytes: num(usage.Size),
    refCount: num(usage.RefCount),
  };
}

/**
 * The volumes of a /system/df answer. Before API 1.52 they are `Volumes`; from 1.52 on, with
 * `verbose=1`, they are `VolumeUsage.Items` (and `Volumes` is only there for old clients).
 */
export function dfVolumes(raw: unknown): Volume[] {
  const d = obj(raw);
  const items = Array.isArray(obj(d.VolumeUsage).Items) ? obj(d.VolumeUsage).Items : d.Volumes;
  return arr(items).map(parseVolume);
}

function summary(count: number, active: number, sizeBytes: number, reclaimableBytes: number): UsageSummary {
  return { count, active, sizeBytes, reclaimableBytes: Math.max(0, reclaimableBytes) };
}

const sum = (xs: unknown[], f: (x: Json) => number | null): number =>
  xs.reduce<number>((acc, x) => acc + (f(obj(x)) ?? 0), 0);

/** The new (API 1.52+) per-type summary: {Active*, Total*, TotalSize, Reclaimable}. */
function newSummary(v: unknown, what: string): UsageSummary | null {
  const u = obj(v);
  if (Object.keys(u).length === 0) return null;
  return summary(
    num(u[`Total${what}`]) ?? 0,
    num(u[`Active${what}`]) ?? 0,
    num(u.TotalSize) ?? 0,
    num(u.Reclaimable) ?? 0,
  );
}

const RUNNING = new Set(["running", "paused", "restarting"]);

/** `docker system df` figures from either response shape, computed as the docker CLI does. */
export function parseDiskUsage(raw: unknown): DiskUsage {
  const d = obj(raw);
  if (d.ImageUsage || d.ContainerUsage || d.VolumeUsage || d.BuildCacheUsage) {
    return {
      images: newSummary(d.ImageUsage, "Images"),
      containers: newSummary(d.ContainerUsage, "Containers"),
      volumes: newSummary(d.VolumeUsage, "Volumes"),
      buildCache: newSummary(d.BuildCacheUsage, "BuildCacheRecords"),
    };
  }
  const images = arr(d.Images);
  const usedImages = images.filter((i) => (num(obj(i).Containers) ?? 0) > 0);
  const layers = num(d.LayersSize) ?? 0;
  const imageUsed = sum(usedImages, (i) => (num(i.Size) ?? 0) - (num(i.SharedSize) ?? 0));
  const containers = arr(d.Containers);
  const active = containers.filter((c) => RUNNING.has(text(obj(c).State)));
  const ctrSize = sum(containers, (c) => num(c.SizeRw));
  const volumes = dfVolumes(d);
  const volSize = volumes.reduce((a, v) => a + (v.sizeBytes ?? 0), 0);
  const cache = arr(d.BuildCache);
  return {
    images:
      d.Images === undefined ? null : summary(images.length, usedImages.length, layers, layers - imageUsed),
    containers:
      d.Containers === undefined
        ? null
        : summary(containers.length, active.length, ctrSize, ctrSize - sum(active, (c) => num(c.SizeRw))),
    volumes:
      d.Volumes === undefined
        ? null
        : summary(
            volumes.length,
            volumes.filter((v) => (v.refCount ?? 0) > 0).length,
            volSize,
            volumes.filter((v) => v.refCount === 0).reduce((a, v) => a + (v.sizeBytes ?? 0), 0),
          ),
    buildCache:
      d.BuildCache === undefined
        ? null
        : summary(
            cache.length,
            cache.filter((c) => obj(c).InUse === true).length,
            sum(cache, (c) => (c.Shared === true ? 0 : num(c.Size))),
            sum(cache, (c) => (c.Shared === true || c.InUse === true ? 0 : num(c.Size))),
          ),
  };
}

export function parseStorageInfo(raw: unknown): StorageInfo {
  const i = obj(raw);
  const driverStatus = arr(i.DriverStatus)
    .map((p) => arr(p))
    .filter((p) => p.length >= 2)
    .map((p) => [text(p[0]), text(p[1])] as [string, string]);
  return {
    serverVersion: text(i.ServerVersion),
    storageDriver: text(i.Driver),
    dockerRootDir: text(i.DockerRootDir),
    driverStatus,
    containerdSnapshotter: driverStatus.some(
      ([k, v]) => k === "driver-type" && v === "io.containerd.snapshotter.v1",
    ),
    os: text(i.OperatingSystem),
    kernelVersion: text(i.KernelVersion),
  };
}

/** The containers of a /containers/json answer that mount `volume`, with how they mount it. */
export function parseContainerUses(raw: unknown, volume: string): ContainerUse[] {
  const out: ContainerUse[] = [];
  for (const c of arr(raw).map(obj)) {
    for (const m of arr(c.Mounts).map(obj)) {
      if (m.Type !== "volume" || m.Name !== volume) continue;
      out.push({
        id: text(c.Id).slice(0, 12),
        name: text(arr(c.Names)[0]).replace(/^\//, ""),
        state: text(c.State),
        image: text(c.Image),
        mountPath: text(m.Destination),
        readOnly: m.RW === false,
      });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

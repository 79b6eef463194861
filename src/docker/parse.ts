import type { ContainerUse, DiskUsage, StorageInfo, UsageSummary, Volume } from "./model.js";

/** Parsers from the engine's JSON to dvol's model, tolerant of fields that versions add or drop. */

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : null);

/**
 * Own string entries only; a key such as `__proto__` is kept as a plain key (as Object.fromEntries
 * would). A loop rather than entries, filter and fromEntries: it runs twice per volume, and their
 * three arrays a call showed in the profile of `ls` of 5,000 volumes.
 */
function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === null || v === undefined) return out; // Options and Labels are often null
  const src = obj(v);
  for (const k of Object.keys(src)) {
    const val = src[k];
    if (typeof val !== "string") continue;
    if (k === "__proto__") {
      Object.defineProperty(out, k, { value: val, enumerable: true, writable: true, configurable: true });
    } else out[k] = val;
  }
  return out;
}

/** RFC 3339 in UTC, whole seconds: what an engine on a UTC host writes, and what dvol shows. */
const UTC_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** The two digits of `s` at `i` as a number. */
const two = (s: string, i: number): number => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * A time already in UTC seconds whose fields name a real instant: Date.parse reads it as exactly
 * that instant, and toISOString would give the same text back (a 30 February or a 24:00, which
 * Date.parse rolls over into the next day, are left to the general path).
 */
function isCanonicalUtc(v: string): boolean {
  if (!UTC_SECONDS.test(v)) return false;
  const year = two(v, 0) * 100 + two(v, 2);
  const month = two(v, 5);
  const day = two(v, 8);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    two(v, 11) <= 23 &&
    two(v, 14) <= 59 &&
    two(v, 17) <= 59
  );
}

/**
 * Docker gives RFC 3339 with the daemon's offset and sometimes nanoseconds: normalise to UTC seconds.
 * A time already in that form is returned as it is, without a Date: Date.parse and toISOString
 * cost about 2 µs a call, a third of `ls`'s parsing of 5,000 volumes on Node 24.
 */
export function normaliseTime(v: unknown): string | null {
  if (typeof v !== "string" || v === "") return null;
  if (isCanonicalUtc(v)) return v;
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
 * The per-type summary of an API 1.52+ answer. Released engines spell it `VolumesDiskUsage`
 * (with `TotalCount`, `ActiveCount`); development builds of 1.52 had `VolumeUsage` (with
 * `TotalVolumes`, `ActiveVolumes`). Both are read.
 */
function newUsage(d: Json, type: "Images" | "Containers" | "Volumes" | "BuildCache"): Json | undefined {
  const singular = type === "BuildCache" ? "BuildCache" : type.slice(0, -1);
  const u = d[`${type}DiskUsage`] ?? d[`${singular}Usage`];
  return u && typeof u === "object" ? (u as Json) : undefined;
}

/**
 * The volumes of a /system/df answer. Before API 1.52 they are `Volumes`; from 1.52 on, with
 * `verbose=1`, they are the `Items` of the volumes summary (and `Volumes` only for old clients).
 */
export function dfVolumes(raw: unknown): Volume[] {
  const d = obj(raw);
  const items = newUsage(d, "Volumes")?.Items;
  return arr(Array.isArray(items) ? items : d.Volumes).map(parseVolume);
}

function summary(count: number, active: number, sizeBytes: number, reclaimableBytes: number): UsageSummary {
  return { count, active, sizeBytes, reclaimableBytes: Math.max(0, reclaimableBytes) };
}

const sum = (xs: unknown[], f: (x: Json) => number | null): number =>
  xs.reduce<number>((acc, x) => acc + (f(obj(x)) ?? 0), 0);

/** An API 1.52+ per-type summary: {TotalCount, ActiveCount, TotalSize, Reclaimable}. */
function newSummary(u: Json | undefined, what: string): UsageSummary | null {
  if (!u) return null;
  const count = num(u.TotalCount) ?? num(u[`Total${what}`]) ?? arr(u.Items).length;
  const active = num(u.ActiveCount) ?? num(u[`Active${what}`]) ?? 0;
  return summary(count, active, num(u.TotalSize) ?? 0, num(u.Reclaimable) ?? 0);
}

const RUNNING = new Set(["running", "paused", "restarting"]);

/** `docker system df` figures from either response shape, computed as the docker CLI does. */
export function parseDiskUsage(raw: unknown): DiskUsage {
  const d = obj(raw);
  const fresh = {
    images: newUsage(d, "Images"),
    containers: newUsage(d, "Containers"),
    volumes: newUsage(d, "Volumes"),
    buildCache: newUsage(d, "BuildCache"),
  };
  if (fresh.images || fresh.containers || fresh.volumes || fresh.buildCache) {
    return {
      images: newSummary(fresh.images, "Images"),
      containers: newSummary(fresh.containers, "Containers"),
      volumes: newSummary(fresh.volumes, "Volumes"),
      buildCache: newSummary(fresh.buildCache, "BuildCacheRecords"),
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

/** How many containers of a /containers/json?all=1 answer mount each named volume (each once). */
export function countVolumeRefs(raw: unknown): Map<string, number> {
  const refs = new Map<string, number>();
  for (const c of arr(raw).map(obj)) {
    const names = new Set<string>();
    for (const m of arr(c.Mounts).map(obj))
      if (m.Type === "volume" && typeof m.Name === "string") names.add(m.Name);
    for (const n of names) refs.set(n, (refs.get(n) ?? 0) + 1);
  }
  return refs;
}

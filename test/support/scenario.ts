// The fixed scenario every integration test can rely on, created identically on each engine.
// Tests must not modify or delete these volumes and containers: tests that delete create their own.
import { existsSync } from "node:fs";
import { readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BUSYBOX_IMAGE, type EngineInfo, importBusyboxImage, runDocker, socketRequest } from "./engines.js";

export const VOLUMES = {
  plainA: "plain-a",
  plainB: "plain-b",
  shopDb: "shop_db-data",
  shopCache: "shop_cache",
  blogUploads: "blog_uploads",
  sized5m: "sized-5m",
  sized1m: "sized-1m",
  inUseRunning: "in-use-running",
  inUseCreated: "in-use-created",
  postgres: "postgres-data",
  markedProtected: "marked-protected",
} as const;
export type ScenarioVolumeName = (typeof VOLUMES)[keyof typeof VOLUMES];

export const CONTAINERS = {
  /** Running (`sleep 1000000`), mounts in-use-running at /data. */
  runner: "dvol-runner",
  /** Created, never started, mounts in-use-created read-only at /cache. */
  created: "dvol-created",
} as const;

/** The `protect:` section dvol's test config uses; postgres-data and marked-protected fall under it. */
export const PROTECT_RULES = { names: ["*postgres*"], labels: ["dvol.protect=true"] } as const;

export const MIB = 1024 * 1024;
/** Name of the single file in each sized volume. */
export const SIZED_FILE = "blob";

export interface ScenarioVolume {
  name: ScenarioVolumeName;
  labels: Record<string, string>;
  /** Bytes of data in the volume; what the engine's /system/df reports (apparent file sizes). */
  sizeBytes: number;
  compose: { project: string; volume: string } | null;
  usedBy: { container: string; mountPoint: string; readOnly: boolean; running: boolean } | null;
  /** Referenced by no container (what `docker volume ls -f dangling=true` lists). */
  dangling: boolean;
  protectedBy: "name" | "label" | null;
}

const compose = (project: string, volume: string) => ({
  labels: { "com.docker.compose.project": project, "com.docker.compose.volume": volume },
  compose: { project, volume },
});

const base = { labels: {}, sizeBytes: 0, compose: null, usedBy: null, dangling: true, protectedBy: null };

export const SCENARIO_VOLUMES: readonly ScenarioVolume[] = [
  { ...base, name: VOLUMES.plainA },
  { ...base, name: VOLUMES.plainB },
  { ...base, name: VOLUMES.shopDb, ...compose("shop", "db-data") },
  { ...base, name: VOLUMES.shopCache, ...compose("shop", "cache") },
  { ...base, name: VOLUMES.blogUploads, ...compose("blog", "uploads") },
  { ...base, name: VOLUMES.sized5m, sizeBytes: 5 * MIB },
  { ...base, name: VOLUMES.sized1m, sizeBytes: 1 * MIB },
  {
    ...base,
    name: VOLUMES.inUseRunning,
    dangling: false,
    usedBy: { container: CONTAINERS.runner, mountPoint: "/data", readOnly: false, running: true },
  },
  {
    ...base,
    name: VOLUMES.inUseCreated,
    dangling: false,
    usedBy: { container: CONTAINERS.created, mountPoint: "/cache", readOnly: true, running: false },
  },
  { ...base, name: VOLUMES.postgres, protectedBy: "name" },
  { ...base, name: VOLUMES.markedProtected, labels: { "dvol.protect": "true" }, protectedBy: "label" },
];

export const SCENARIO_VOLUME_NAMES: readonly ScenarioVolumeName[] = SCENARIO_VOLUMES.map((v) => v.name);
export const DANGLING_VOLUME_NAMES: readonly ScenarioVolumeName[] = SCENARIO_VOLUMES.filter(
  (v) => v.dangling,
).map((v) => v.name);

export function scenarioVolume(name: ScenarioVolumeName): ScenarioVolume {
  const v = SCENARIO_VOLUMES.find((s) => s.name === name);
  if (!v) throw new Error(`not a scenario volume: ${name}`);
  return v;
}

// ---------------------------------------------------------------------------------------------------

interface VolumeInspect {
  Name: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
}

interface ContainerInspect {
  State: { Status: string; Running: boolean };
  Mounts: { Name?: string; Destination: string; RW: boolean }[];
}

async function inspect<T>(engine: EngineInfo, path: string): Promise<T | null> {
  const res = await socketRequest(engine.socketPath, "GET", path);
  if (res.status === 404) return null;
  if (res.status !== 200) throw new Error(`GET ${path} on ${engine.kind}: HTTP ${res.status} ${res.body}`);
  return JSON.parse(res.body) as T;
}

function sameLabels(a: Record<string, string> | null, b: Record<string, string>): boolean {
  const x = a ?? {};
  return Object.keys(x).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => x[k] === v);
}

async function ensureVolume(engine: EngineInfo, v: ScenarioVolume): Promise<VolumeInspect> {
  const path = `/volumes/${v.name}`;
  const found = await inspect<VolumeInspect>(engine, path);
  if (found && sameLabels(found.Labels, v.labels)) return found;
  if (found) await runDocker(engine, ["volume", "rm", v.name]); // wrong labels: recreate
  // The API rather than `docker volume create`: same request, without a CLI process per volume.
  const res = await socketRequest(engine.socketPath, "POST", "/volumes/create", 10_000, {
    Name: v.name,
    Driver: "local",
    Labels: v.labels,
  });
  if (res.status !== 201)
    throw new Error(`creating volume ${v.name} on ${engine.kind}: HTTP ${res.status} ${res.body}`);
  const created = await inspect<VolumeInspect>(engine, path);
  if (!created) throw new Error(`volume ${v.name} missing on ${engine.kind} right after creating it`);
  return created;
}

/** Leaves exactly one file of `size` bytes in the volume's _data directory (written as root). */
async function ensureSize(mountpoint: string, size: number): Promise<void> {
  for (const entry of await readdir(mountpoint)) {
    if (entry !== SIZED_FILE) await rm(join(mountpoint, entry), { recursive: true, force: true });
  }
  const file = join(mountpoint, SIZED_FILE);
  if (size === 0) {
    await rm(file, { force: true });
    return;
  }
  if (existsSync(file) && (await stat(file)).size === size) return;
  await writeFile(file, Buffer.alloc(size, 0x5a));
}

async function ensureContainer(
  engine: EngineInfo,
  name: string,
  volume: string,
  mountPoint: string,
  readOnly: boolean,
  running: boolean,
): Promise<void> {
  const found = await inspect<ContainerInspect>(engine, `/containers/${name}/json`);
  const mountOk = found?.Mounts.some(
    (m) => m.Name === volume && m.Destination === mountPoint && m.RW === !readOnly,
  );
  if (found && mountOk && found.State.Running === running && (running || found.State.Status === "created")) {
    return;
  }
  if (found && mountOk && running) {
    await runDocker(engine, ["start", name]);
    return;
  }
  if (found) await runDocker(engine, ["rm", "-f", name]);
  const mount = `${volume}:${mountPoint}${readOnly ? ":ro" : ""}`;
  const common = ["--name", name, "--network", "none", "-v", mount, BUSYBOX_IMAGE];
  if (running) await runDocker(engine, ["run", "-d", ...common, "sleep", "1000000"]);
  else await runDocker(engine, ["create", ...common]);
}

/** Creates (or repairs) the scenario on the engine. Idempotent; imports the busybox image if needed. */
export async function createScenario(engine: EngineInfo): Promise<void> {
  await importBusyboxImage(engine);
  await Promise.all(
    SCENARIO_VOLUMES.map(async (v) => {
      const vol = await ensureVolume(engine, v);
      if (v.sizeBytes > 0) await ensureSize(vol.Mountpoint, v.sizeBytes);
    }),
  );
  await Promise.all(
    SCENARIO_VOLUMES.map(async (v) => {
      const u = v.usedBy;
      if (u) await ensureContainer(engine, u.container, v.name, u.mountPoint, u.readOnly, u.running);
    }),
  );
}

/** A volume as dvol shows it, whatever the engine version. */
export interface Volume {
  name: string;
  driver: string;
  mountpoint: string;
  scope: string;
  /** ISO 8601 in UTC, or null when the engine does not say. */
  createdAt: string | null;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** null where the engine does not know (Docker reports -1). */
  sizeBytes: number | null;
  /** Containers that use it; null where the engine does not know. */
  refCount: number | null;
}

export interface ContainerUse {
  id: string;
  name: string;
  state: string;
  image: string;
  mountPath: string;
  readOnly: boolean;
}

export interface UsageSummary {
  count: number;
  active: number;
  sizeBytes: number;
  reclaimableBytes: number;
}

export interface DiskUsage {
  images: UsageSummary | null;
  containers: UsageSummary | null;
  volumes: UsageSummary | null;
  buildCache: UsageSummary | null;
}

export interface StorageInfo {
  serverVersion: string;
  storageDriver: string;
  dockerRootDir: string;
  driverStatus: [string, string][];
  containerdSnapshotter: boolean;
  os: string;
  kernelVersion: string;
}

export const COMPOSE_PROJECT_LABEL = "com.docker.compose.project";
export const COMPOSE_VOLUME_LABEL = "com.docker.compose.volume";

export function projectOf(v: Pick<Volume, "labels">): string | null {
  return v.labels[COMPOSE_PROJECT_LABEL] ?? null;
}

/** Dangling as Docker means it: no container, running or not, refers to the volume. */
export function isDangling(v: Pick<Volume, "refCount">): boolean | null {
  return v.refCount === null ? null : v.refCount === 0;
}

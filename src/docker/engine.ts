import { HostError, VolumeNotFoundError } from "../errors.js";
import { assertVolumeName } from "../volume-names.js";
import type { EngineConnection } from "./connection.js";
import type { ContainerUse, DiskUsage, StorageInfo, Volume } from "./model.js";
import {
  countVolumeRefs,
  dfVolumes,
  parseContainerUses,
  parseDiskUsage,
  parseStorageInfo,
  parseVolume,
} from "./parse.js";
import { compareVersions, MAX_API_VERSION, negotiateApiVersion } from "./versions.js";

export interface EngineOverview {
  version: EngineVersion;
  storage: StorageInfo;
  volumeCount: number;
  /** Whether the host answered through a dvol gate (`Dvol-Gate: 1` on its answers). */
  gated: boolean;
}

export interface EngineVersion {
  engineVersion: string;
  /** The highest API version the engine speaks. */
  engineApiVersion: string;
  /** The version dvol uses with it: the lower of the engine's and ours. */
  apiVersion: string;
}

/** Per-volume container lists asked at once, where the whole list is refused (a dvol gate). */
const PER_VOLUME_CONCURRENCY = 8;

/** What DELETE /volumes/<name> did: removed, or refused because a container uses the volume (409). */
export type RemoveVolumeResult = { result: "removed" } | { result: "in-use"; message: string };

/**
 * The Docker Engine API calls dvol makes, on one connection. The API version is negotiated once
 * per host (`GET /version` is unversioned on every engine); every later call carries the
 * negotiated prefix, so response shapes are the ones we expect. An engine made with `lazy`
 * negotiates on its first call, and `volumesWithUsage` can then spare the engine the /version call
 * altogether (see there).
 */
export class Engine {
  private negotiated: EngineVersion | null;
  private negotiating: Promise<EngineVersion> | null = null;

  private constructor(
    private readonly conn: EngineConnection,
    version: EngineVersion | null,
  ) {
    this.negotiated = version;
  }

  static async open(conn: EngineConnection): Promise<Engine> {
    return new Engine(conn, await Engine.version(conn));
  }

  /**
   * An engine on `conn` whose version is negotiated by its first call; `version` can be read
   * once a call has answered.
   */
  static lazy(conn: EngineConnection): Engine {
    return new Engine(conn, null);
  }

  /** An engine on `conn` whose version is already known (negotiated on another connection). */
  static withVersion(conn: EngineConnection, version: EngineVersion): Engine {
    return new Engine(conn, version);
  }

  static async version(conn: EngineConnection): Promise<EngineVersion> {
    return parseVersion(conn.host, await conn.call({ method: "GET", path: "/version" }));
  }

  /**
   * What `hosts` shows, in one round trip: /info and /volumes asked at once, without a version
   * prefix (the engine then answers at its own version; the fields read have the same shape in
   * every API version dvol supports). The engine's version is /info's ServerVersion, its API
   * version the `Api-Version` header of the answers; only a transport that cannot give that
   * header costs a /version call.
   */
  static async overview(conn: EngineConnection): Promise<EngineOverview> {
    const [info, volumes] = await Promise.all([
      conn.call({ method: "GET", path: "/info" }),
      conn.call<{ Volumes?: unknown[] | null }>({ method: "GET", path: "/volumes" }),
    ]);
    const storage = parseStorageInfo(info);
    const version = conn.engineApiVersion
      ? parseVersion(conn.host, { ApiVersion: conn.engineApiVersion, Version: storage.serverVersion })
      : await Engine.version(conn);
    return { version, storage, volumeCount: volumes?.Volumes?.length ?? 0, gated: conn.gated === true };
  }

  get host(): string {
    return this.conn.host;
  }

  /** The negotiated version; on a `lazy` engine, only once a call has answered. */
  get version(): EngineVersion {
    if (!this.negotiated) throw new Error(`${this.host}: the API version is not negotiated yet`);
    return this.negotiated;
  }

  private negotiate(): Promise<EngineVersion> {
    if (this.negotiated) return Promise.resolve(this.negotiated);
    this.negotiating ??= Engine.version(this.conn).then((v) => {
      this.negotiated = v;
      return v;
    });
    return this.negotiating;
  }

  private async get<T>(
    path: string,
    query?: Record<string, string | number | boolean | undefined>,
  ): Promise<T> {
    const { apiVersion } = await this.negotiate();
    return this.conn.call<T>({ method: "GET", path: `/v${apiVersion}${path}`, query });
  }

  private atLeast(v: string): boolean {
    return compareVersions(this.version.apiVersion, v) >= 0;
  }

  async storageInfo(): Promise<StorageInfo> {
    return parseStorageInfo(await this.get("/info"));
  }

  /** `docker system df` summaries for every type. */
  async diskUsage(): Promise<DiskUsage> {
    await this.negotiate();
    return parseDiskUsage(await this.get("/system/df", this.atLeast("1.52") ? { verbose: 1 } : undefined));
  }

  /**
   * Every volume with its size and ref count. Sizes are only in /system/df; engines from API 1.42
   * can be asked for volumes alone (`type=volume`), which spares them walking images and containers.
   *
   * On a `lazy` engine whose transport names the engine's API version on its answers (the
   * `Api-Version` header every engine sends), this is one round trip and no /version call (which
   * costs an engine 10 to 20 ms: it runs `runc --version` and `docker-init --version`):
   * /system/df is asked without a version prefix, so the engine answers at its own API version,
   * with `type=volume` and `verbose=1` (an engine ignores a query it predates). For an engine up to
   * MAX_API_VERSION that is exactly the answer the negotiated prefix would give, and the version
   * is negotiated from the header. An engine newer than dvol, or an answer without the header, is
   * asked again the usual way (/version, then the prefixed call).
   */
  async volumesWithUsage(): Promise<Volume[]> {
    let volumes: Volume[] | null = null;
    if (!this.negotiated && !this.negotiating && this.conn.engineApiVersion !== undefined) {
      const raw = await this.conn.call({
        method: "GET",
        path: "/system/df",
        query: { type: "volume", verbose: 1 },
      });
      const announced = this.conn.engineApiVersion;
      if (announced && compareVersions(announced, MAX_API_VERSION) <= 0) {
        // (A call made meanwhile may have negotiated already: to the same version, the engine's.)
        this.negotiated ??= parseVersion(this.host, {
          ApiVersion: announced,
          Version: this.conn.engineVersion ?? undefined,
        });
        volumes = dfVolumes(raw);
      }
    }
    if (!volumes) {
      await this.negotiate();
      const query: Record<string, string | number> = {};
      if (this.atLeast("1.42")) query.type = "volume";
      if (this.atLeast("1.52")) query.verbose = 1;
      volumes = dfVolumes(await this.get("/system/df", query));
    }
    if (volumes.some((v) => v.refCount === null)) {
      // Drivers other than `local` may not report usage: ask the engine which ones dangle.
      const dangling = new Set((await this.listVolumes({ dangling: ["true"] })).map((v) => v.name));
      for (const v of volumes) if (v.refCount === null && dangling.has(v.name)) v.refCount = 0;
    }
    return volumes;
  }

  /**
   * Every volume with its ref count and no size, from the fast calls only (issue 12): /volumes and
   * /containers/json?all=1 asked at once, without a version prefix (the fields read are the same in
   * every API version dvol supports). Neither walks a volume's files, so a host with millions of
   * files answers as fast as one with none. A volume's ref count is the number of containers,
   * running or not, that mount it, as /system/df counts them.
   */
  async volumesFast(): Promise<Volume[]> {
    // A dvol gate passes the whole list on as Ids and volume mounts only; one that refuses it (403:
    // a gate from before it did) leaves the references to be asked per volume.
    const refused = (err: unknown) => {
      if (err instanceof HostError && err.statusCode === 403) return null;
      throw err;
    };
    let answers: [{ Volumes?: unknown[] | null } | null, unknown];
    if (!this.negotiated && !this.negotiating && this.conn.engineApiVersion !== undefined) {
      // One round trip: the version is read from the answers' Api-Version header (as volumesWithUsage).
      answers = await Promise.all([
        this.conn.call<{ Volumes?: unknown[] | null }>({ method: "GET", path: "/volumes" }),
        this.conn
          .call<unknown>({ method: "GET", path: "/containers/json", query: { all: 1 } })
          .catch(refused),
      ]);
      const announced = this.conn.engineApiVersion;
      if (announced && compareVersions(announced, MAX_API_VERSION) <= 0) {
        // Refuses an engine too old for dvol, as negotiation does.
        this.negotiated ??= parseVersion(this.host, {
          ApiVersion: announced,
          Version: this.conn.engineVersion ?? undefined,
        });
      } else await this.negotiate();
    } else {
      answers = await Promise.all([
        this.get<{ Volumes?: unknown[] | null }>("/volumes"),
        this.get<unknown>("/containers/json", { all: 1 }).catch(refused),
      ]);
    }
    const [body, containers] = answers;
    const volumes = (body?.Volumes ?? []).map((raw) => ({ ...parseVolume(raw), sizeBytes: null }));
    if (containers !== null) {
      const refs = countVolumeRefs(containers);
      return volumes.map((v) => ({ ...v, refCount: refs.get(v.name) ?? 0 }));
    }
    const dangling = new Set((await this.listVolumes({ dangling: ["true"] })).map((v) => v.name));
    const used = volumes.filter((v) => !dangling.has(v.name));
    const counts = new Map<string, number>();
    for (let i = 0; i < used.length; i += PER_VOLUME_CONCURRENCY) {
      await Promise.all(
        used.slice(i, i + PER_VOLUME_CONCURRENCY).map(async (v) => {
          counts.set(v.name, (await this.containersUsing(v.name)).length);
        }),
      );
    }
    return volumes.map((v) => ({ ...v, refCount: dangling.has(v.name) ? 0 : (counts.get(v.name) ?? null) }));
  }

  /** GET /volumes (no sizes), with engine-side filters. */
  async listVolumes(filters?: Record<string, string[]>): Promise<Volume[]> {
    const body = await this.get<{ Volumes?: unknown[] | null }>(
      "/volumes",
      filters ? { filters: JSON.stringify(filters) } : undefined,
    );
    return (body?.Volumes ?? []).map(parseVolume);
  }

  async inspectVolume(name: string): Promise<Volume> {
    assertVolumeName(name);
    try {
      return parseVolume(await this.get(`/volumes/${encodeURIComponent(name)}`));
    } catch (err) {
      if (err instanceof HostError && err.statusCode === 404) {
        throw new VolumeNotFoundError(this.host, name, { cause: err });
      }
      throw err;
    }
  }

  /** Every container, running or not, that mounts the volume. */
  async containersUsing(name: string): Promise<ContainerUse[]> {
    assertVolumeName(name);
    const raw = await this.get("/containers/json", { all: 1, filters: JSON.stringify({ volume: [name] }) });
    return parseContainerUses(raw, name);
  }

  /**
   * Deletes one volume (never with `force`). A 404 is a VolumeNotFoundError; a 409 (a container
   * uses it) is an answer, not a failure.
   */
  async removeVolume(name: string): Promise<RemoveVolumeResult> {
    assertVolumeName(name);
    const { apiVersion } = await this.negotiate();
    const path = `/v${apiVersion}/volumes/${encodeURIComponent(name)}`;
    try {
      await this.conn.call({ method: "DELETE", path, ok: [204] });
      return { result: "removed" };
    } catch (err) {
      if (err instanceof HostError && err.statusCode === 404) {
        throw new VolumeNotFoundError(this.host, name, { cause: err });
      }
      if (err instanceof HostError && err.statusCode === 409) {
        return { result: "in-use", message: err.message.replace(`${this.host}: `, "") };
      }
      throw err;
    }
  }
}

function parseVersion(host: string, raw: unknown): EngineVersion {
  const v = (raw ?? {}) as Record<string, unknown>;
  const engineApiVersion = typeof v.ApiVersion === "string" ? v.ApiVersion : "";
  if (!/^\d+\.\d+$/.test(engineApiVersion)) {
    throw new HostError(host, "protocol", "the engine's /version has no ApiVersion");
  }
  return {
    engineVersion: typeof v.Version === "string" ? v.Version : "unknown",
    engineApiVersion,
    apiVersion: negotiateApiVersion(host, engineApiVersion, v.MinAPIVersion),
  };
}

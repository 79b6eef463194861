// Unit tests of src/docker/engine.ts's version negotiation: Engine.lazy negotiates on its first
// call, and volumesWithUsage (ls, report) spares the /version call when the transport names the
// engine's API version on its answers (the Api-Version header).
import { describe, expect, it } from "vitest";
import type { EngineConnection, EngineRequest } from "../../../src/docker/connection.js";
import { Engine } from "../../../src/docker/engine.js";

const VOLUME = {
  Name: "app_data",
  Driver: "local",
  CreatedAt: "2026-11-01T10:00:00Z",
  Labels: null,
  UsageData: { Size: 5, RefCount: 1 },
};

/**
 * A connection answering by path like an engine of `api`: unversioned paths at its own version,
 * `/vX.Y/...` at X.Y. `announces`: whether the transport sets engineApiVersion from the answers.
 */
function engineAt(api: string, opts: { announces: boolean; min?: string }) {
  const calls: string[] = [];
  const conn: { -readonly [K in keyof EngineConnection]: EngineConnection[K] } = {
    host: "h",
    call: async <T>(req: EngineRequest): Promise<T> => {
      const q = new URLSearchParams(
        Object.entries(req.query ?? {}).map(([k, v]) => [k, String(v)]) as [string, string][],
      ).toString();
      calls.push(`${req.method} ${req.path}${q ? `?${q}` : ""}`);
      if (opts.announces) {
        conn.engineApiVersion = api;
        conn.engineVersion = "28.5.2";
      }
      const path = req.path.replace(/^\/v\d+\.\d+/, "");
      if (path === "/version")
        return { ApiVersion: api, Version: "28.5.2", MinAPIVersion: opts.min ?? "1.24" } as T;
      if (path === "/system/df") {
        const at = /^\/v(\d+\.\d+)/.exec(req.path)?.[1] ?? api;
        // API 1.52 moved the volumes under VolumesDiskUsage.Items (verbose=1).
        return (
          at === "1.52" || at === "1.53"
            ? { VolumesDiskUsage: { Items: req.query?.verbose ? [VOLUME] : [] } }
            : { Volumes: [VOLUME] }
        ) as T;
      }
      if (path === "/volumes") return { Volumes: [VOLUME] } as T;
      throw new Error(`unexpected ${req.path}`);
    },
    close() {},
  };
  if (opts.announces) conn.engineApiVersion = null;
  return { conn, calls };
}

describe("Engine.lazy: volumesWithUsage", () => {
  it("asks /system/df once, unversioned, when the transport names the engine's API version", async () => {
    const { conn, calls } = engineAt("1.51", { announces: true });
    const engine = Engine.lazy(conn);
    const volumes = await engine.volumesWithUsage();
    expect(volumes.map((v) => [v.name, v.sizeBytes, v.refCount])).toEqual([["app_data", 5, 1]]);
    expect(calls).toEqual(["GET /system/df?type=volume&verbose=1"]);
    expect(engine.version).toEqual({ engineVersion: "28.5.2", engineApiVersion: "1.51", apiVersion: "1.51" });
  });

  it("reads API 1.52's shape from the unversioned answer", async () => {
    const { conn, calls } = engineAt("1.52", { announces: true });
    expect((await Engine.lazy(conn).volumesWithUsage()).map((v) => v.name)).toEqual(["app_data"]);
    expect(calls).toHaveLength(1);
  });

  it("refuses an engine older than Docker 20.10 from the header, as /version would", async () => {
    const { conn, calls } = engineAt("1.40", { announces: true });
    await expect(Engine.lazy(conn).volumesWithUsage()).rejects.toThrow(/API 1\.40/);
    expect(calls).toHaveLength(1);
  });

  it("asks an engine newer than dvol again at dvol's version, after /version", async () => {
    const { conn, calls } = engineAt("1.53", { announces: true });
    const engine = Engine.lazy(conn);
    expect((await engine.volumesWithUsage()).map((v) => v.name)).toEqual(["app_data"]);
    expect(calls).toEqual([
      "GET /system/df?type=volume&verbose=1",
      "GET /version",
      "GET /v1.52/system/df?type=volume&verbose=1",
    ]);
    expect(engine.version.apiVersion).toBe("1.52");
  });

  it("an engine that needs a newer API than dvol's is refused by the /version check", async () => {
    const { conn } = engineAt("1.54", { announces: true, min: "1.53" });
    await expect(Engine.lazy(conn).volumesWithUsage()).rejects.toThrow(/needs API 1\.53/);
  });

  it("negotiates with /version first on a transport that cannot name the version", async () => {
    const { conn, calls } = engineAt("1.41", { announces: false });
    expect((await Engine.lazy(conn).volumesWithUsage()).map((v) => v.name)).toEqual(["app_data"]);
    expect(calls).toEqual(["GET /version", "GET /v1.41/system/df"]);
  });

  it("any other call negotiates first, once for calls made at once", async () => {
    const { conn, calls } = engineAt("1.51", { announces: true });
    const engine = Engine.lazy(conn);
    expect(() => engine.version).toThrow(/not negotiated/);
    await Promise.all([
      engine.listVolumes(),
      engine.storageInfo().catch(() => null),
      engine.volumesWithUsage(),
    ]);
    expect(calls.filter((c) => c === "GET /version")).toHaveLength(1);
    expect(calls).toContain("GET /v1.51/volumes");
    expect(calls).toContain("GET /v1.51/system/df?type=volume");
  });
});

// Sanity test of the integration test bed itself (test/support): both engines, mutual TLS, scenario.
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { describe, expect, it } from "vitest";
import { type EngineInfo, runDocker, socketGetJson } from "../support/engines.js";
import {
  CONTAINERS,
  DANGLING_VOLUME_NAMES,
  MIB,
  SCENARIO_VOLUME_NAMES,
  SCENARIO_VOLUMES,
  VOLUMES,
} from "../support/scenario.js";
import { requireTestbed, testbedEngines } from "../support/testbed-types.js";

const testbed = requireTestbed();

interface ClientTls {
  ca: string;
  cert?: string;
  key?: string;
}

function httpsGetJson<T>(engine: EngineInfo, path: string, tls: ClientTls): Promise<T> {
  const { hostname, port } = new URL(engine.url.replace(/^tcp:/, "https:"));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        path,
        method: "GET",
        servername: engine.serverName,
        ca: readFileSync(tls.ca),
        ...(tls.cert ? { cert: readFileSync(tls.cert) } : {}),
        ...(tls.key ? { key: readFileSync(tls.key) } : {}),
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${body}`));
          else resolve(JSON.parse(body) as T);
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

interface SystemDf {
  Volumes: {
    Name: string;
    Labels: Record<string, string> | null;
    UsageData: { Size: number; RefCount: number };
  }[];
}

describe.each(testbedEngines(testbed))("test bed engine $kind", (engine) => {
  const validClient = { ca: testbed.pki.ca.cert, cert: testbed.pki.client.cert, key: testbed.pki.client.key };

  it("answers /version over mutual TLS with the expected API version", async () => {
    const v = await httpsGetJson<{ Version: string; ApiVersion: string }>(engine, "/version", validClient);
    expect(v.Version).toBe(engine.version);
    expect(v.ApiVersion).toBe(engine.apiVersion);
    if (engine.kind === "docker20") {
      expect(v.ApiVersion).toBe("1.41");
      expect(v.Version).toMatch(/^20\.10\./);
    } else {
      // forky's docker.io is 28.x (API 1.51) today; forky moves on, so only a floor is asserted.
      expect(Number(v.ApiVersion.split(".")[1])).toBeGreaterThanOrEqual(50);
      expect(Number(v.Version.split(".")[0])).toBeGreaterThanOrEqual(28);
    }
  });

  it("refuses a client without a certificate or with one from another CA", async () => {
    await expect(httpsGetJson(engine, "/version", { ca: testbed.pki.ca.cert })).rejects.toThrow();
    await expect(
      httpsGetJson(engine, "/version", {
        ca: testbed.pki.ca.cert,
        cert: testbed.pki.rogueClient.cert,
        key: testbed.pki.rogueClient.key,
      }),
    ).rejects.toThrow();
  });

  it("is not trusted through the rogue CA, nor under another name", async () => {
    await expect(
      httpsGetJson(engine, "/version", { ...validClient, ca: testbed.pki.rogueCa.cert }),
    ).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
    await expect(
      httpsGetJson({ ...engine, serverName: "other.dvol.test" }, "/version", validClient),
    ).rejects.toThrow(/altnames|does not match/i);
  });

  it("has the scenario's volumes (docker volume ls over TLS with dockerEnv)", async () => {
    const names = (await runDocker(engine, ["volume", "ls", "-q"], { via: "tls" })).split("\n");
    expect(names).toEqual(expect.arrayContaining([...SCENARIO_VOLUME_NAMES]));
    const dangling = (await runDocker(engine, ["volume", "ls", "-q", "-f", "dangling=true"], { via: "tls" }))
      .split("\n")
      .filter((n) => (SCENARIO_VOLUME_NAMES as readonly string[]).includes(n));
    expect(dangling.sort()).toEqual([...DANGLING_VOLUME_NAMES].sort());
  });

  it("has the scenario's containers", async () => {
    const ps = await runDocker(engine, ["ps", "-a", "--format", "{{.Names}} {{.State}}"], { via: "tls" });
    expect(ps).toContain(`${CONTAINERS.runner} running`);
    expect(ps).toContain(`${CONTAINERS.created} created`);
  });

  it("reports volume sizes and labels in /system/df as the scenario says", async () => {
    // The engines report the apparent size (sum of the files' st_size), not allocated blocks:
    // sized-5m is exactly 5 MiB, empty volumes are 0.
    const df = await httpsGetJson<SystemDf>(engine, "/system/df", validClient);
    const byName = new Map(df.Volumes.map((v) => [v.Name, v]));
    expect(byName.get(VOLUMES.sized5m)?.UsageData.Size).toBe(5 * MIB);
    for (const v of SCENARIO_VOLUMES) {
      const got = byName.get(v.name);
      expect(got, v.name).toBeDefined();
      expect(got?.UsageData.Size, v.name).toBe(v.sizeBytes);
      expect(got?.UsageData.RefCount, v.name).toBe(v.usedBy ? 1 : 0);
      expect(got?.Labels ?? {}, v.name).toEqual(v.labels);
    }
  });

  it("reaches the same engine through its unix socket", async () => {
    const v = await socketGetJson<{ ApiVersion: string }>(engine.socketPath, "/version");
    expect(v.ApiVersion).toBe(engine.apiVersion);
  });
});

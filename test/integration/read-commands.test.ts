// dvol's read commands against the real engines of the test bed, over mutual TLS, compared with
// what each engine itself (its API on the unix socket, or its docker CLI) says.
import { describe, expect, it } from "vitest";
import type { HostsResult } from "../../src/commands/hosts/run.js";
import type { InfoResult } from "../../src/commands/info/run.js";
import type { InspectResult } from "../../src/commands/inspect/run.js";
import type { LsResult } from "../../src/commands/ls/run.js";
import { engineHost, runCli, writeConfig } from "../support/dvol.js";
import { runDocker, socketGetJson } from "../support/engines.js";
import { CONTAINERS, MIB, SCENARIO_VOLUME_NAMES, VOLUMES } from "../support/scenario.js";
import { requireTestbed, testbedEngines } from "../support/testbed-types.js";

const testbed = requireTestbed();

interface EngineDfVolume {
  Name: string;
  UsageData: { Size: number; RefCount: number };
}

describe.each(testbedEngines(testbed))("on $kind (API $apiVersion)", (engine) => {
  const config = writeConfig([engineHost("h", engine, testbed)], { protect: { names: ["*postgres*"] } });

  it("ls agrees with the engine on names, dangling flags, ref counts and sizes", async () => {
    const run = await runCli<LsResult>(["--config", config, "--json", "ls", "h"]);
    expect(run.code).toBe(0);
    const [h] = run.json.hosts;
    if (!h?.ok) throw new Error(`host failed: ${JSON.stringify(h)}`);

    const df = await socketGetJson<{ Volumes: EngineDfVolume[] }>(engine.socketPath, "/system/df");
    const dangling = (await runDocker(engine, ["volume", "ls", "-q", "-f", "dangling=true"]))
      .split("\n")
      .filter(Boolean);
    const fromEngine = df.Volumes.map((v) => ({
      name: v.Name,
      sizeBytes: v.UsageData.Size,
      refCount: v.UsageData.RefCount,
      dangling: dangling.includes(v.Name),
    })).sort((a, b) => a.name.localeCompare(b.name));
    const fromDvol = h.volumes.map(({ name, sizeBytes, refCount, dangling }) => ({
      name,
      sizeBytes,
      refCount,
      dangling,
    }));
    expect(fromDvol).toEqual(fromEngine);
    for (const name of SCENARIO_VOLUME_NAMES) expect(fromDvol.map((v) => v.name)).toContain(name);
    expect(fromDvol.find((v) => v.name === VOLUMES.sized5m)?.sizeBytes).toBe(5 * MIB);
    expect(fromDvol.find((v) => v.name === VOLUMES.inUseCreated)).toMatchObject({
      refCount: 1,
      dangling: false,
    });
  });

  it("ls shows compose projects and filters by project, label, name, dangling, sort and limit", async () => {
    const ls = async (...args: string[]) => {
      const run = await runCli<LsResult>(["--config", config, "--json", "ls", "h", ...args]);
      const [h] = run.json.hosts;
      if (!h?.ok) throw new Error(`host failed: ${JSON.stringify(h)}`);
      return h.volumes;
    };
    const shop = await ls("--project", "shop");
    expect(shop.map((v) => v.name)).toEqual([VOLUMES.shopCache, VOLUMES.shopDb]);
    expect(shop[0]).toMatchObject({ project: "shop", labels: { "com.docker.compose.volume": "cache" } });
    expect((await ls("--label", "dvol.protect=true")).map((v) => v.name)).toEqual([VOLUMES.markedProtected]);
    expect((await ls("--name", "IN-USE")).map((v) => v.name)).toEqual([
      VOLUMES.inUseCreated,
      VOLUMES.inUseRunning,
    ]);
    const dangling = await ls("--dangling");
    expect(dangling.every((v) => v.dangling === true)).toBe(true);
    expect(dangling.map((v) => v.name)).not.toContain(VOLUMES.inUseRunning);
    expect((await ls("--sort", "size", "--limit", "2")).map((v) => v.name)).toEqual([
      VOLUMES.sized5m,
      VOLUMES.sized1m,
    ]);
  });

  it("ls prints a readable table with human sizes", async () => {
    const run = await runCli(["--config", config, "ls", "h", "--name", "sized"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/sized-5m\s+local\s+5\.2 MB\s+0\s/);
    expect(run.stdout).toMatch(/sized-1m\s+local\s+1\.0 MB/);
  });

  it("inspect shows each container that uses the volume, running or only created", async () => {
    const running = await runCli<InspectResult>([
      "--config",
      config,
      "--json",
      "inspect",
      "h",
      VOLUMES.inUseRunning,
    ]);
    expect(running.code).toBe(0);
    const [r] = running.json.hosts;
    if (!r?.ok) throw new Error(JSON.stringify(r));
    expect(r.volume).toMatchObject({
      name: VOLUMES.inUseRunning,
      driver: "local",
      refCount: 1,
      dangling: false,
    });
    expect(r.volume.mountpoint).toContain(VOLUMES.inUseRunning);
    expect(r.volume.containers).toEqual([
      expect.objectContaining({
        name: CONTAINERS.runner,
        state: "running",
        mountPath: "/data",
        readOnly: false,
      }),
    ]);

    const created = await runCli<InspectResult>([
      "--config",
      config,
      "--json",
      "inspect",
      "h",
      VOLUMES.inUseCreated,
    ]);
    const [c] = created.json.hosts;
    if (!c?.ok) throw new Error(JSON.stringify(c));
    expect(c.volume.containers).toEqual([
      expect.objectContaining({
        name: CONTAINERS.created,
        state: "created",
        mountPath: "/cache",
        readOnly: true,
      }),
    ]);

    const sized = await runCli<InspectResult>([
      "--config",
      config,
      "--json",
      "inspect",
      "h",
      VOLUMES.sized5m,
    ]);
    const [s] = sized.json.hosts;
    expect(s).toMatchObject({ ok: true, volume: { sizeBytes: 5 * MIB, containers: [], dangling: true } });
  });

  it("inspect of a volume that does not exist says so, and exits 1", async () => {
    const run = await runCli<InspectResult>(["--config", config, "--json", "inspect", "h", "no-such-volume"]);
    expect(run.code).toBe(1);
    expect(run.json.hosts[0]).toMatchObject({ ok: false, error: 'h: no volume named "no-such-volume"' });
  });

  it("info reports the storage driver, root dir and system df as the engine does", async () => {
    const run = await runCli<InfoResult>(["--config", config, "--json", "info", "h"]);
    expect(run.code).toBe(0);
    const [h] = run.json.hosts;
    if (!h?.ok) throw new Error(JSON.stringify(h));
    const info = await socketGetJson<{
      Driver: string;
      DockerRootDir: string;
      DriverStatus: [string, string][];
    }>(engine.socketPath, "/info");
    expect(h.storage.storageDriver).toBe(info.Driver);
    expect(h.storage.dockerRootDir).toBe(info.DockerRootDir);
    expect(h.storage.driverStatus).toEqual(info.DriverStatus ?? []);
    const volumes = (await socketGetJson<{ Volumes: unknown[] }>(engine.socketPath, "/volumes")).Volumes;
    expect(h.diskUsage.volumes?.count).toBe(volumes.length);
    expect(h.diskUsage.images?.count).toBeGreaterThanOrEqual(1);
    expect(h.diskUsage.containers).toMatchObject({ count: 2, active: 1 });
    const text = await runCli(["--config", config, "info", "h"]);
    expect(text.stdout).toContain(`Storage Driver: ${info.Driver}`);
    expect(text.stdout).toMatch(/Local Volumes\s+\d+\s+\d+\s+[\d.]+ MB/);
  });
});

describe("across both engines", () => {
  const [e20, e28] = testbedEngines(testbed);
  if (!e20 || !e28) throw new Error("the test bed has fewer than two engines");
  const config = writeConfig([engineHost("old", e20, testbed), engineHost("new", e28, testbed)]);

  it("hosts lists each engine with its version, negotiated API version, driver and volume count", async () => {
    const run = await runCli<HostsResult>(["--config", config, "--json", "hosts"]);
    expect(run.code).toBe(0);
    expect(run.json.hosts.map((h) => h.host)).toEqual(["old", "new"]);
    for (const [h, engine] of [
      [run.json.hosts[0], e20],
      [run.json.hosts[1], e28],
    ] as const) {
      if (!h?.ok) throw new Error(JSON.stringify(h));
      expect(h.engineVersion).toBe(engine.version);
      expect(h.apiVersion).toBe(engine.apiVersion);
      const volumes = (await socketGetJson<{ Volumes: unknown[] }>(engine.socketPath, "/volumes")).Volumes;
      expect(h.volumeCount).toBe(volumes.length);
    }
  });

  it("ls all, a comma list, a glob and a mix reach the same hosts", async () => {
    for (const target of ["all", "old,new", "*", "o*,new"]) {
      const run = await runCli<LsResult>(["--config", config, "--json", "ls", target, "--name", "sized-5m"]);
      expect(run.code).toBe(0);
      expect(run.json.hosts.map((h) => [h.host, h.ok && h.volumes.map((v) => v.name)])).toEqual([
        ["old", [VOLUMES.sized5m]],
        ["new", [VOLUMES.sized5m]],
      ]);
    }
  });
});

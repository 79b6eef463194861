// Bugs found in review, each pinned by the test that showed it.
import { describe, expect, it } from "vitest";
import { selectVolumes } from "../../src/commands/ls.js";
import { parseCommand, tokenize } from "../../src/commands/parse.js";
import { loadConfig, parseConfig } from "../../src/config/load.js";
import { dfVolumes, parseDiskUsage } from "../../src/docker/parse.js";
import { ConfigError } from "../../src/errors.js";

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

const volume = (name: string, size: number, refs: number) => ({
  Name: name,
  Driver: "local",
  Labels: {},
  UsageData: { Size: size, RefCount: refs },
});

describe("review findings", () => {
  it("an unknown key in a host is named with the host: hosts[0] (h).tsl", () => {
    const err = configError(() =>
      parseConfig(
        "hosts:\n  - name: h\n    url: tcp://10.0.0.5:2376\n    tsl: { ca: 'env:A', cert: 'env:B', key: 'env:C' }\n",
        "/etc/dvol.yaml",
      ),
    );
    expect(err.key).toBe("hosts[0] (h).tsl");
  });

  it("a duplicate YAML key error gives its line", () => {
    const err = configError(() =>
      parseConfig(
        "hosts:\n  - name: a\n    socket: /a\nreport:\n  channel: C1\nreport:\n  channel: C2\n",
        "/etc/d.yaml",
      ),
    );
    expect(err.message).toContain("at line 6");
  });

  it("--label K does not match a volume without K when K is an Object.prototype name", () => {
    const cmd = parseCommand(["ls", "h", "--label", "constructor"]);
    if (cmd.name !== "ls") throw new Error("not ls");
    const volumes = dfVolumes({ Volumes: [{ Name: "plain", Driver: "local", Labels: { env: "prod" } }] });
    expect(selectVolumes(volumes, cmd).volumes.map((v) => v.name)).toEqual([]);
  });

  it("a label literally named __proto__ is kept as a label", () => {
    const [v] = dfVolumes(JSON.parse('{"Volumes":[{"Name":"x1","Labels":{"__proto__":"yes"}}]}'));
    expect(Object.hasOwn(v?.labels ?? {}, "__proto__")).toBe(true);
  });

  it("reads the API 1.52 df shape as released engines spell it (VolumesDiskUsage, TotalCount)", () => {
    const raw = {
      ImagesDiskUsage: { TotalCount: 3, ActiveCount: 1, TotalSize: 900, Reclaimable: 100 },
      ContainersDiskUsage: { TotalCount: 2, ActiveCount: 1, TotalSize: 50, Reclaimable: 20 },
      VolumesDiskUsage: {
        TotalCount: 2,
        ActiveCount: 1,
        TotalSize: 70,
        Reclaimable: 20,
        Items: [volume("used", 50, 1), volume("idle", 20, 0)],
      },
      BuildCacheDiskUsage: { TotalCount: 0, ActiveCount: 0, TotalSize: 0, Reclaimable: 0 },
    };
    expect(dfVolumes(raw).map((v) => [v.name, v.sizeBytes, v.refCount])).toEqual([
      ["used", 50, 1],
      ["idle", 20, 0],
    ]);
    expect(parseDiskUsage(raw)).toEqual({
      images: { count: 3, active: 1, sizeBytes: 900, reclaimableBytes: 100 },
      containers: { count: 2, active: 1, sizeBytes: 50, reclaimableBytes: 20 },
      volumes: { count: 2, active: 1, sizeBytes: 70, reclaimableBytes: 20 },
      buildCache: { count: 0, active: 0, sizeBytes: 0, reclaimableBytes: 0 },
    });
  });

  it("an empty DVOL_CONFIG counts as unset", async () => {
    const config = await loadConfig({ env: { DVOL_CONFIG: "" }, cwd: "/nonexistent-dir-for-dvol" });
    expect(config.hosts.map((h) => h.name)).toEqual(["local"]);
  });

  it("an option given to a command without options is named", () => {
    expect(() => parseCommand(["hosts", "--x"])).toThrow(
      "hosts: unknown option --x (hosts takes no options)",
    );
  });

  it("accepts Slack's curly quotes however they are paired", () => {
    expect(tokenize("ls h --name ”a b”")).toEqual(["ls", "h", "--name", "a b"]);
    expect(tokenize("ls h --name ’a b’")).toEqual(["ls", "h", "--name", "a b"]);
  });
});

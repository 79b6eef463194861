// Unit tests of src/cli.ts: the dvol command end to end, with a fake engine connection (no Docker, no network).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  EXIT_HOST_FAILED,
  EXIT_OK,
  EXIT_OUTPUT_FAILED,
  EXIT_USAGE,
  main,
  splitGlobalOptions,
} from "../../src/cli.js";
import type { HostConfig } from "../../src/config/types.js";
import type { ConnectionFactory, EngineConnection, EngineRequest } from "../../src/docker/connection.js";
import { StoreError, UsageError } from "../../src/errors.js";
import { createMemoryState, MemoryStore } from "../../src/store/memory.js";
import { writeConfig } from "../support/dvol.js";
import { FakeEngine } from "../support/fake-engine.js";

/** Canned engine answers by request path, per host. */
type Answers = Record<string, unknown>;

function volume(name: string, size: number, refCount: number, labels: Record<string, string> = {}) {
  return {
    Name: name,
    Driver: "local",
    Mountpoint: `/var/lib/docker/volumes/${name}/_data`,
    CreatedAt: "2026-11-29T15:51:00.123456789+02:00",
    Labels: labels,
    Scope: "local",
    Options: null,
    UsageData: { Size: size, RefCount: refCount },
  };
}

/** /volumes carries no usage; /containers/json gives the references (each mount of a volume). */
function fastAnswers(prefix: string, volumes: ReturnType<typeof volume>[]): Answers {
  const containers = volumes.flatMap((v) =>
    Array.from({ length: v.UsageData.RefCount }, (_, i) => ({
      Id: `${v.Name}-${i}`,
      Names: [`/${v.Name}-user-${i}`],
      State: "running",
      Image: "busybox",
      Mounts: [{ Type: "volume", Name: v.Name, Destination: "/data", RW: true }],
    })),
  );
  return {
    [`${prefix}/volumes`]: { Volumes: volumes.map((v) => ({ ...v, UsageData: null })) },
    [`${prefix}/containers/json`]: containers,
  };
}

const VOLUMES_20 = [
  volume("app_data", 5242880, 1, { "com.docker.compose.project": "app" }),
  volume("old-cache", 1000, 0),
];

const ENGINE_20: Answers = {
  ...fastAnswers("/v1.41", VOLUMES_20),
  "/version": { ApiVersion: "1.41", Version: "20.10.24", MinAPIVersion: "1.12" },
  "/v1.41/system/df": {
    LayersSize: 0,
    Images: [],
    Containers: [],
    Volumes: VOLUMES_20,
    BuildCache: [],
  },
};

const ENGINE_28: Answers = {
  ...fastAnswers("/v1.51", [volume("shop_db-data", 123_000_000, 2)]),
  "/version": { ApiVersion: "1.51", Version: "28.5.1", MinAPIVersion: "1.24" },
  "/v1.51/system/df": { Volumes: [volume("shop_db-data", 123_000_000, 2)] },
};

interface Call {
  host: string;
  req: EngineRequest;
}

/** A ConnectionFactory that answers from canned JSON and records every call and connection. */
class FakeEngines {
  readonly calls: Call[] = [];
  readonly connected: string[] = [];
  readonly closed: string[] = [];
  constructor(
    private readonly answers: Record<string, Answers>,
    private readonly refuse: ReadonlySet<string> = new Set(),
  ) {}

  readonly connect: ConnectionFactory = async (host: HostConfig): Promise<EngineConnection> => {
    this.connected.push(host.name);
    if (this.refuse.has(host.name)) {
      throw Object.assign(new Error(`connect ECONNREFUSED ${host.name}`), { code: "ECONNREFUSED" });
    }
    const answers = this.answers[host.name] ?? {};
    return {
      host: host.name,
      call: async <T>(req: EngineRequest): Promise<T> => {
        this.calls.push({ host: host.name, req });
        if (!(req.path in answers)) {
          throw Object.assign(new Error("page not found"), {
            statusCode: 404,
            json: { message: "page not found" },
          });
        }
        return structuredClone(answers[req.path]) as T;
      },
      close: () => {
        this.closed.push(host.name);
      },
    };
  };
}

/** The clock of every run: sizes measured during a run carry this time. */
const NOW = "2026-12-07T08:00:00.000Z";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let configFile: string;
let badConfigFile: string;

async function run(argv: string[], engines: FakeEngines, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env,
    cwd: dir,
    connect: engines.connect,
    now: () => new Date(NOW),
  });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "dvol-cli-"));
  configFile = path.join(dir, "hosts.yaml");
  badConfigFile = path.join(dir, "bad.yaml");
  await writeFile(
    configFile,
    [
      "hosts:",
      "  - name: docker20",
      "    socket: /run/fake/docker20.sock",
      "  - name: down",
      "    socket: /run/fake/down.sock",
      "  - name: docker28",
      "    socket: /run/fake/docker28.sock",
      "",
    ].join("\n"),
  );
  await writeFile(badConfigFile, "hosts:\n  - name: h\n    url: tcp://10.0.0.5:2376\n");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let engines: FakeEngines;
beforeEach(() => {
  engines = new FakeEngines({ docker20: ENGINE_20, docker28: ENGINE_28 }, new Set(["down"]));
});

describe("dvol --json ls", () => {
  it("prints one JSON document with every host, the failed one as ok:false with its error", async () => {
    const r = await run(["--config", configFile, "--json", "ls", "all"], engines);
    expect(r.code).toBe(EXIT_HOST_FAILED);
    const doc = JSON.parse(r.stdout);
    expect(doc.command).toBe("ls");
    expect(doc.hosts.map((h: { host: string; ok: boolean }) => [h.host, h.ok])).toEqual([
      ["docker20", true],
      ["down", false],
      ["docker28", true],
    ]);
    const down = doc.hosts[1];
    expect(typeof down.error).toBe("string");
    expect(down.error).toMatch(/^down: connection refused/);
    expect(down).not.toHaveProperty("volumes");
  });

  it("lists each answering host's volumes with the SPEC's fields", async () => {
    const r = await run(["--config", configFile, "--json", "ls", "docker20"], engines);
    expect(r.code).toBe(EXIT_OK);
    const doc = JSON.parse(r.stdout);
    expect(doc.hosts).toHaveLength(1);
    expect(doc.hosts[0]).toMatchObject({ host: "docker20", ok: true, error: null });
    expect(doc.hosts[0].volumes).toEqual([
      {
        name: "app_data",
        driver: "local",
        sizeBytes: 5242880,
        sizeMeasuredAt: doc.at,
        refCount: 1,
        dangling: false,
        createdAt: "2026-11-29T13:51:00Z",
        project: "app",
        labels: { "com.docker.compose.project": "app" },
      },
      {
        name: "old-cache",
        driver: "local",
        sizeBytes: 1000,
        sizeMeasuredAt: doc.at,
        refCount: 0,
        dangling: true,
        createdAt: "2026-11-29T13:51:00Z",
        project: null,
        labels: {},
      },
    ]);
  });

  it("exits 0 when every host answered", async () => {
    const r = await run(["--config", configFile, "--json", "ls", "docker*"], engines);
    expect(r.code).toBe(EXIT_OK);
    expect(JSON.parse(r.stdout).hosts.map((h: { host: string }) => h.host)).toEqual(["docker20", "docker28"]);
    expect(r.stderr).toBe("");
  });

  it("applies the ls options to each host", async () => {
    const r = await run(["--config", configFile, "--json", "ls", "docker20", "--dangling"], engines);
    expect(JSON.parse(r.stdout).hosts[0].volumes.map((v: { name: string }) => v.name)).toEqual(["old-cache"]);
  });

  it("speaks to each engine at its own API version", async () => {
    // A store of its own: no sizes remembered from another test, so each engine is measured.
    const state = await mkdtemp(path.join(tmpdir(), "dvol-cli-state-"));
    await run(["--config", configFile, "--json", "ls", "docker20,docker28"], engines, {
      DVOL_STATE_DIR: state,
    });
    const paths = engines.calls.map((c) => `${c.host} ${c.req.method} ${c.req.path}`);
    expect(paths).toContain("docker20 GET /v1.41/system/df");
    expect(paths).toContain("docker28 GET /v1.51/system/df");
    const df28 = engines.calls.find((c) => c.req.path === "/v1.51/system/df");
    expect(df28?.req.query).toEqual({ type: "volume" });
  });

  it("closes every connection it opened", async () => {
    await run(["--config", configFile, "ls", "all"], engines);
    // The command's connection and the measurement's (its own deadline), one each per host.
    // (The refused host has no connection to close.)
    expect([...engines.closed].sort()).toEqual(engines.connected.filter((h) => h !== "down").sort());
    expect(new Set(engines.closed)).toEqual(new Set(["docker20", "docker28"]));
  });
});

describe("dvol ls (text)", () => {
  it("prints the volume names and human sizes of each host, and the failure of the other", async () => {
    const r = await run([`--config=${configFile}`, "ls", "all"], engines);
    expect(r.code).toBe(EXIT_HOST_FAILED);
    expect(r.stdout).toContain("app_data");
    expect(r.stdout).toContain("old-cache");
    expect(r.stdout).toContain("shop_db-data");
    expect(r.stdout).toContain("5.2 MB");
    expect(r.stdout).toContain("123 MB");
    expect(r.stdout).toMatch(/^docker20: 2 volumes, 5\.2 MB$/m);
    expect(r.stdout).toMatch(/^down: unavailable: connection refused \(unix:\/\/\/run\/fake\/down\.sock\)$/m);
    expect(() => JSON.parse(r.stdout)).toThrow();
  });
});

describe("--config", () => {
  it("accepts --config FILE and --config=FILE alike", async () => {
    const a = await run(["--config", configFile, "--json", "ls", "docker28"], engines);
    const b = await run([`--config=${configFile}`, "--json", "ls", "docker28"], engines);
    expect(a.code).toBe(EXIT_OK);
    expect(b.stdout).toBe(a.stdout);
  });

  it("reads the file named by DVOL_CONFIG when --config is not given", async () => {
    const r = await run(["--json", "ls", "docker28"], engines, { DVOL_CONFIG: configFile });
    expect(r.code).toBe(EXIT_OK);
    expect(JSON.parse(r.stdout).hosts[0].host).toBe("docker28");
  });

  it("accepts the global options after the command too", async () => {
    const r = await run(["ls", "docker28", "--json", "--config", configFile], engines);
    expect(r.code).toBe(EXIT_OK);
    expect(JSON.parse(r.stdout).hosts[0].host).toBe("docker28");
  });

  it("refuses --config without a file", async () => {
    const r = await run(["ls", "all", "--config"], engines);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(/--config needs a file/);
    expect(engines.connected).toEqual([]);
  });

  it("splits the global options from the command's words", () => {
    expect(splitGlobalOptions(["--json", "ls", "--config=x.yaml", "all", "--dangling"])).toEqual({
      config: "x.yaml",
      json: true,
      yes: false,
      help: false,
      version: false,
      words: ["ls", "all", "--dangling"],
    });
    expect(splitGlobalOptions(["rm", "h", "v1", "--yes"])).toMatchObject({
      yes: true,
      words: ["rm", "h", "v1"],
    });
    expect(() => splitGlobalOptions(["--config"])).toThrow(UsageError);
  });
});

describe("usage errors: exit 2, nothing asked of any host", () => {
  it.each([
    ["an unknown command", ["frobnicate"], /unknown command "frobnicate"/],
    ["an unknown option", ["ls", "all", "--bogus"], /unknown option --bogus/],
    ["a bad --sort", ["ls", "all", "--sort", "big"], /--sort is one of/],
    ["a missing argument", ["info"], /missing <host>/],
  ])("%s", async (_what, words, message) => {
    const r = await run(["--config", configFile, ...words], engines);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/usage:\n {2}dvol /);
    expect(r.stdout).toBe("");
    expect(engines.connected).toEqual([]);
    expect(engines.calls).toEqual([]);
  });

  it.each(["../containers/x", "a?force=1", "-rf", "a", "données"])(
    "an invalid volume name %j reaches no host",
    async (volume) => {
      const r = await run(["--config", configFile, "inspect", "docker20", volume], engines);
      expect(r.code).toBe(EXIT_USAGE);
      expect(r.stderr).toMatch(/invalid volume name/);
      expect(r.stderr).toMatch(/nothing was sent to the host/);
      expect(engines.connected).toEqual([]);
      expect(engines.calls).toEqual([]);
    },
  );

  it.each([
    ["ls", "nope"],
    ["ls", "docker20,nope"],
    ["ls", "web-*"],
    ["info", "nope"],
    ["inspect", "nope", "app_data"],
  ])("an unknown host (%s %s) reaches no host and lists the registered ones", async (...words) => {
    const r = await run(["--config", configFile, ...words], engines);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(/unknown host/);
    expect(r.stderr).toContain("Registered hosts: docker20, down, docker28.");
    expect(engines.connected).toEqual([]);
    expect(engines.calls).toEqual([]);
  });

  it("a bad config file is a usage error naming the key", async () => {
    const r = await run(["--config", badConfigFile, "ls", "all"], engines);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain("hosts[0] (h).tls");
    expect(engines.connected).toEqual([]);
  });

  it("a missing config file is a usage error, not a fallback to the local socket", async () => {
    const r = await run(["--config", path.join(dir, "nope.yaml"), "ls", "all"], engines);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain("nope.yaml");
    expect(engines.connected).toEqual([]);
  });

  it("with --json, also prints the error as one JSON document", async () => {
    const r = await run(
      ["--config", configFile, "--json", "inspect", "docker20", "../containers/x"],
      engines,
    );
    expect(r.code).toBe(EXIT_USAGE);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      error: 'invalid volume name "../containers/x"',
      kind: "invalid-volume-name",
    });
  });
});

describe("help", () => {
  it("prints the command list without asking any host", async () => {
    const r = await run(["--config", configFile, "help"], engines);
    expect(r.code).toBe(EXIT_OK);
    for (const c of ["help", "hosts", "info", "ls", "inspect"])
      expect(r.stdout).toMatch(new RegExp(`^ {2}${c}\\s`, "m"));
    expect(engines.connected).toEqual([]);
  });

  it("is what dvol prints with no arguments", async () => {
    const none = await run(["--config", configFile], engines);
    const help = await run(["--config", configFile, "help"], engines);
    expect(none.code).toBe(EXIT_OK);
    expect(none.stdout).toBe(help.stdout);
  });

  it("shows one command's usage and examples", async () => {
    const r = await run(["--config", configFile, "help", "ls"], engines);
    expect(r.stdout).toContain("dvol ls <target>");
    expect(r.stdout).toContain("--sort name|size|created");
    expect(r.stdout).toContain("dvol ls all --dangling --sort size");
  });
});

describe("other commands through the fake engines", () => {
  it("info: exit 1 and the host's error when that host is down", async () => {
    const r = await run(["--config", configFile, "--json", "info", "down"], engines);
    expect(r.code).toBe(EXIT_HOST_FAILED);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ command: "info", hosts: [{ host: "down", ok: false }] });
    expect(doc.hosts[0].error).toMatch(/connection refused/);
  });

  it("hosts: every host, reachable or not", async () => {
    const withInfo = new FakeEngines(
      {
        docker20: {
          "/version": ENGINE_20["/version"],
          "/info": { Driver: "overlay2", DockerRootDir: "/var/lib/docker", DriverStatus: [] },
          "/volumes": { Volumes: [{ Name: "a1" }, { Name: "b1" }] },
        },
      },
      new Set(["down", "docker28"]),
    );
    const r = await run(["--config", configFile, "--json", "hosts"], withInfo);
    expect(r.code).toBe(EXIT_HOST_FAILED);
    const doc = JSON.parse(r.stdout);
    expect(doc.hosts.map((h: { host: string; ok: boolean }) => [h.host, h.ok])).toEqual([
      ["docker20", true],
      ["down", false],
      ["docker28", false],
    ]);
    expect(doc.hosts[0]).toMatchObject({
      engineVersion: "20.10.24",
      apiVersion: "1.41",
      storageDriver: "overlay2",
      volumeCount: 2,
      endpoint: "unix:///run/fake/docker20.sock",
    });
  });

  it("an engine error answer is a host failure (exit 1) with the engine's message", async () => {
    const broken = new FakeEngines({ docker20: { "/version": ENGINE_20["/version"] } });
    const r = await run(["--config", configFile, "--json", "ls", "docker20"], broken);
    expect(r.code).toBe(EXIT_HOST_FAILED);
    expect(JSON.parse(r.stdout).hosts[0].error).toBe("docker20: engine error 404: page not found");
  });

  it("an engine older than Docker 20.10 is a host failure naming its API version", async () => {
    const old = new FakeEngines({ docker20: { "/version": { ApiVersion: "1.40", Version: "19.03.15" } } });
    const r = await run(["--config", configFile, "--json", "ls", "docker20"], old);
    expect(r.code).toBe(EXIT_HOST_FAILED);
    expect(JSON.parse(r.stdout).hosts[0].error).toMatch(/API 1\.40/);
    expect(old.calls.map((c) => c.req.path)).toEqual(["/version"]);
  });
});

describe("--help, -h and --version", () => {
  it.each([["--help"], ["-h"], ["help"]])("%s prints the command list on stdout, exit 0", async (flag) => {
    const r = await run(["--config", configFile, flag], engines);
    const help = await run(["--config", configFile, "help"], engines);
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toBe(help.stdout);
    expect(r.stdout).toMatch(/^dvol: the Docker storage of your hosts/);
    expect(r.stderr).toBe("");
    expect(engines.connected).toEqual([]);
  });

  it.each([
    ["ls", "--help"],
    ["ls", "all", "--dangling", "-h"],
    ["--help", "ls"],
  ])("%s %s prints that command's help, without parsing the rest", async (...words) => {
    const r = await run(words, engines);
    const help = await run(["help", "ls"], engines);
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toBe(help.stdout);
    expect(r.stdout).toContain("dvol ls <target>");
    expect(engines.connected).toEqual([]);
  });

  it("rm host1 --help deletes nothing and reads no config", async () => {
    const r = await run(
      ["--config", path.join(dir, "nope.yaml"), "--yes", "rm", "h", "v", "--help"],
      engines,
    );
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toContain("dvol rm <host>");
  });

  it("--version prints dvol <version>, exit 0, asking nothing and reading no config", async () => {
    const out: string[] = [];
    const code = await main(["--config", path.join(dir, "nope.yaml"), "--version"], {
      stdout: (t) => out.push(t),
      stderr: (t) => out.push(`stderr: ${t}`),
      env: {},
      cwd: dir,
      connect: engines.connect,
      version: "1.2.3",
    });
    expect(code).toBe(EXIT_OK);
    expect(out).toEqual(["dvol 1.2.3"]);
    expect(engines.connected).toEqual([]);
  });

  it("--json --version is one JSON document", async () => {
    const out: string[] = [];
    await main(["--json", "--version"], {
      stdout: (t) => out.push(t),
      stderr: () => {},
      env: {},
      cwd: dir,
      version: "1.2.3",
    });
    expect(out.map((t) => JSON.parse(t))).toEqual([{ command: "version", version: "1.2.3" }]);
  });

  it("splits --help, -h and --version from the words", () => {
    expect(splitGlobalOptions(["ls", "-h", "all"])).toMatchObject({
      help: true,
      version: false,
      words: ["ls", "all"],
    });
    expect(splitGlobalOptions(["--version"])).toMatchObject({ help: false, version: true, words: [] });
  });
});

describe("dvol gate: the CLI's own command, outside the grammar", () => {
  it("is listed in --help, has its own help, and needs its config file (exit 2) before it starts", async () => {
    expect((await run(["--help"], engines)).stdout).toContain("dvol gate --config gate.yaml");
    const help = await run(["gate", "--help"], engines);
    expect(help.code).toBe(EXIT_OK);
    expect(help.stdout).toMatch(/^gate +the mutual-TLS gate/);
    const bare = await run(["gate"], engines);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("gate needs its config file: dvol gate --config gate.yaml");
    const extra = await run(["--config", configFile, "gate", "now"], engines);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain("gate takes no arguments");
    expect(engines.connected).toEqual([]);
  });
});

describe("exit status: every row of the README's table", () => {
  // host1 answers (a fake engine with volumes: unused, in use, protected), down refuses.
  const deletionConfig = writeConfig(
    [
      { name: "host1", socket: "/nonexistent/host1.sock" },
      { name: "down", socket: "/nonexistent/down.sock" },
    ],
    { protect: { names: ["*postgres*"] } },
  );
  let fake: FakeEngine;
  let storeFails: boolean;
  beforeEach(() => {
    storeFails = false;
    fake = new FakeEngine()
      .addVolume({ name: "old-cache", sizeBytes: 5_200_000 })
      .addVolume({ name: "tmp-data", sizeBytes: 1_000 })
      .addVolume({ name: "app_postgres" })
      .addVolume({ name: "web-data" })
      .addContainer({ name: "web-1", state: "running", volumes: ["web-data"] });
  });

  async function exit(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const answer = fake.factory();
    const code = await main(["--config", deletionConfig, ...argv], {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      env: { USER: "alice" },
      cwd: dir,
      connect: async (host) => {
        if (host.name === "down") {
          throw Object.assign(new Error("connect ECONNREFUSED /nonexistent/down.sock"), {
            code: "ECONNREFUSED",
          });
        }
        return answer(host);
      },
      openStore: async () => {
        if (storeFails) throw new StoreError("the table cannot be reached");
        return new MemoryStore({ state: createMemoryState() });
      },
      version: "0.0.0-test",
    });
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  }

  const ROWS: [number, string, string[], (() => void)?][] = [
    // 0: the command ran and everything it was asked was done.
    [0, "every host answered (ls)", ["ls", "host1"]],
    [0, "every host answered (inspect)", ["inspect", "host1", "old-cache"]],
    [0, "help", ["help"]],
    [0, "--help", ["--help"]],
    [0, "-h", ["-h"]],
    [0, "ls --help", ["ls", "--help"]],
    [0, "--version", ["--version"]],
    [0, "rm without --yes: the plan of deletable volumes", ["rm", "host1", "old-cache"]],
    [0, "rm --yes: every volume deleted", ["--yes", "rm", "host1", "old-cache", "tmp-data"]],
    [0, "rm --yes: some deleted, the others blocked (listed)", ["--yes", "rm", "host1", "old-cache", "typo"]],
    [0, "prune --yes: the dangling ones deleted", ["--yes", "prune", "host1"]],
    [0, "requests", ["requests"]],
    // 1: the command ran and something failed.
    [1, "a host failed (refused)", ["ls", "all"]],
    [1, "a host failed (info)", ["info", "down"]],
    [1, "inspect: volume not found", ["inspect", "host1", "typo"]],
    [1, "rm --yes: the volume does not exist (not found)", ["--yes", "rm", "host1", "typo"]],
    [1, "rm without --yes: the volume does not exist", ["rm", "host1", "typo"]],
    [
      1,
      "rm --yes: nothing deletable (in use, protected)",
      ["--yes", "rm", "host1", "web-data", "app_postgres"],
    ],
    [
      1,
      "rm --yes: a deletion failed",
      ["--yes", "rm", "host1", "old-cache"],
      () => {
        fake.beforeAnswer = (req) => {
          if (req.method === "DELETE") throw new Error("disk on fire");
        };
      },
    ],
    [1, "rm on a host that is down", ["--yes", "rm", "down", "old-cache"]],
    [
      1,
      "the store cannot be used",
      ["requests"],
      () => {
        storeFails = true;
      },
    ],
    // 2: the command could not run as given; nothing was asked of any host.
    [2, "unknown command", ["frobnicate"]],
    [2, "unknown option", ["ls", "all", "--bogus"]],
    [2, "missing argument", ["info"]],
    [2, "invalid volume name", ["rm", "host1", "../x"]],
    [2, "unknown host", ["ls", "nohost"]],
    [2, "--config without a file", ["ls", "all", "--config"]],
  ];

  it.each(ROWS)("%i: %s", async (status, _what, argv, arrange) => {
    arrange?.();
    const r = await exit(argv);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(status);
    if (status === 2) expect(fake.calls).toEqual([]);
  });

  it.each([
    ["a bad config key", "hosts:\n  - name: h\n    url: tcp://10.0.0.5:2376\n", /hosts\[0\] \(h\)\.tls/],
    [
      "a bound passed",
      "hosts:\n  - name: h\n    socket: /s\n    timeoutSeconds: 600\n",
      /timeoutSeconds: 600 is more/,
    ],
    ["not YAML", "hosts: [\n", /is not valid YAML/],
  ])("2: bad config: %s", async (_what, text, message) => {
    const file = path.join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, text);
    const r = await run(["--config", file, "ls", "all"], engines);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(message);
    expect(engines.connected).toEqual([]);
  });

  it.each([
    ["missing", "nope.yaml", "no such file"],
    ["a directory", ".", "is a directory"],
  ])("2: a config file that cannot be read (%s) names the file and the cause", async (_what, name, words) => {
    const file = path.join(dir, name);
    const r = await run(["--config", file, "ls", "all"], engines);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr.split("\n")[0]).toBe(`dvol: config: cannot read ${file}: ${words}`);
  });

  it("the constants are the table's", () => {
    expect([EXIT_OK, EXIT_HOST_FAILED, EXIT_USAGE, EXIT_OUTPUT_FAILED]).toEqual([0, 1, 2, 1]);
  });
});

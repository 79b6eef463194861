// Unit tests of src/config/validate.ts and src/config/load.ts: the YAML config, its errors and defaults.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SOCKET, defaultConfig, loadConfig, parseConfig } from "../../../src/config/load.js";
import type { Config } from "../../../src/config/types.js";
import { ConfigError } from "../../../src/errors.js";

const SPEC_EXAMPLE = `
hosts:
  - name: host1
    url: tcp://10.0.0.5:2376          # always TLS, client certificate required
    tls:
      ca: file:certs/host1/ca.pem     # file:PATH | env:VAR | ssm:/param/name
      cert: file:certs/host1/cert.pem
      key: ssm:/dvol/host1/key        # SecureString in AWS SSM Parameter Store
      serverName: host1.internal      # optional, when the URL is an address
    labels: { env: prod }
  - name: local
    socket: /var/run/docker.sock      # a unix socket, for a bot on the host itself
access:
  channels: [C0123ABCD]               # where commands are accepted; empty = anywhere
  viewers: ["*"]                      # may run read commands
  requesters: ["*"]                   # may open deletion requests
  approvers: [U0AAAAAAA, S0BBBBBBB]   # users or user groups who may approve
  allowSelfApproval: false
report:
  channel: C0123ABCD
protect:                              # never deletable through dvol
  names: ["*postgres*"]
  labels: ["dvol.protect=true"]
requests:
  ttlHours: 24
`;

const FILE = "/etc/dvol/dvol.config.yaml";

function configError(fn: () => unknown): ConfigError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

async function configErrorAsync(p: Promise<unknown>): Promise<ConfigError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

/** A config error must name the offending key, both as `key` and in the message the user reads. */
function expectKey(err: ConfigError, key: string): void {
  expect(err.key).toBe(key);
  expect(err.message).toContain(key);
}

const socketHost = (name: string) => `  - name: ${name}\n    socket: /run/${name}.sock\n`;

describe("parseConfig: the SPEC's example", () => {
  let config: Config;
  beforeAll(() => {
    config = parseConfig(SPEC_EXAMPLE, FILE);
  });

  it("records where it came from, and resolves file: references from that folder", () => {
    expect(config.source).toBe(FILE);
    expect(config.baseDir).toBe("/etc/dvol");
  });

  it("has both hosts, in order", () => {
    expect(config.hosts.map((h) => h.name)).toEqual(["host1", "local"]);
  });

  it("reads the tcp host with its TLS references, server name and labels", () => {
    const [host1] = config.hosts;
    expect(host1?.endpoint).toEqual({
      kind: "tcp",
      host: "10.0.0.5",
      port: 2376,
      tls: {
        ca: { scheme: "file", target: "certs/host1/ca.pem" },
        cert: { scheme: "file", target: "certs/host1/cert.pem" },
        key: { scheme: "ssm", target: "/dvol/host1/key" },
        serverName: "host1.internal",
      },
    });
    expect(host1?.labels).toEqual({ env: "prod" });
  });

  it("reads the socket host", () => {
    expect(config.hosts[1]?.endpoint).toEqual({ kind: "socket", path: "/var/run/docker.sock" });
    expect(config.hosts[1]?.labels).toEqual({});
  });

  it("gives every host the default deadline of 20 s", () => {
    expect(config.hosts.map((h) => h.timeoutMs)).toEqual([20_000, 20_000]);
  });

  it("reads access, report, protect and requests", () => {
    expect(config.access).toEqual({
      channels: ["C0123ABCD"],
      viewers: ["*"],
      requesters: ["*"],
      approvers: ["U0AAAAAAA", "S0BBBBBBB"],
      allowSelfApproval: false,
    });
    expect(config.report).toEqual({ channel: "C0123ABCD" });
    expect(config.protect.names).toEqual(["*postgres*"]);
    expect(config.protect.labels).toEqual([{ key: "dvol.protect", value: "true" }]);
    expect(config.requests).toEqual({ ttlHours: 24 });
  });
});

describe("parseConfig: details and defaults", () => {
  it("fills the optional sections with safe defaults", () => {
    const c = parseConfig(`hosts:\n${socketHost("a")}`, FILE);
    expect(c.access).toEqual({
      channels: [],
      viewers: ["*"],
      requesters: ["*"],
      approvers: [],
      allowSelfApproval: false,
    });
    expect(c.report).toEqual({ channel: null });
    expect(c.protect).toEqual({ names: [], labels: [] });
    expect(c.requests).toEqual({ ttlHours: 24 });
  });

  it("defaults a tcp:// port to 2376 and leaves serverName unset", () => {
    const c = parseConfig(
      "hosts:\n  - name: h\n    url: tcp://docker.example.com\n    tls: { ca: 'env:CA', cert: 'env:CERT', key: 'env:KEY' }\n",
      FILE,
    );
    expect(c.hosts[0]?.endpoint).toMatchObject({ kind: "tcp", host: "docker.example.com", port: 2376 });
    expect(c.hosts[0]?.endpoint.kind === "tcp" && c.hosts[0].endpoint.tls.serverName).toBeUndefined();
  });

  it("reads an IPv6 address without its brackets", () => {
    const c = parseConfig(
      "hosts:\n  - name: h\n    url: tcp://[::1]:2400\n    tls: { ca: 'env:CA', cert: 'env:CERT', key: 'env:KEY' }\n",
      FILE,
    );
    expect(c.hosts[0]?.endpoint).toMatchObject({ host: "::1", port: 2400 });
  });

  it("accepts a socket given as unix://PATH", () => {
    const c = parseConfig("hosts:\n  - name: h\n    socket: unix:///run/docker.sock\n", FILE);
    expect(c.hosts[0]?.endpoint).toEqual({ kind: "socket", path: "/run/docker.sock" });
  });

  it("turns timeoutSeconds into the host's deadline", () => {
    const c = parseConfig("hosts:\n  - name: h\n    socket: /s\n    timeoutSeconds: 2.5\n", FILE);
    expect(c.hosts[0]?.timeoutMs).toBe(2500);
  });

  it("turns scalar label values into strings", () => {
    const c = parseConfig("hosts:\n  - name: h\n    socket: /s\n    labels: { rack: 7, gpu: true }\n", FILE);
    expect(c.hosts[0]?.labels).toEqual({ rack: "7", gpu: "true" });
  });

  it("reads a protect label without a value as any value", () => {
    const c = parseConfig(`hosts:\n${socketHost("a")}protect:\n  labels: [keep, "tier=db"]\n`, FILE);
    expect(c.protect.labels).toEqual([
      { key: "keep", value: undefined },
      { key: "tier", value: "db" },
    ]);
  });

  it("accepts host names with letters, digits, _ . and -", () => {
    const c = parseConfig(`hosts:\n${socketHost("web-1.eu_west")}${socketHost("DB2")}`, FILE);
    expect(c.hosts.map((h) => h.name)).toEqual(["web-1.eu_west", "DB2"]);
  });
});

describe("parseConfig: every error names the bad key", () => {
  it("refuses an unknown top-level key", () => {
    const err = configError(() => parseConfig(`hosts:\n${socketHost("a")}reports:\n  channel: C1\n`, FILE));
    expectKey(err, "reports");
    expect(err.message).toMatch(/unknown key/);
  });

  it("refuses an unknown key in a section", () => {
    expectKey(
      configError(() => parseConfig(`hosts:\n${socketHost("a")}access:\n  approver: [U1]\n`, FILE)),
      "access.approver",
    );
    expectKey(
      configError(() => parseConfig(`hosts:\n${socketHost("a")}requests:\n  ttl: 3\n`, FILE)),
      "requests.ttl",
    );
  });

  it("refuses an unknown key in a host (a typo of tls), naming that host's key", () => {
    const err = configError(() =>
      parseConfig(
        "hosts:\n  - name: h\n    url: tcp://10.0.0.5:2376\n    tsl: { ca: 'env:A', cert: 'env:B', key: 'env:C' }\n",
        FILE,
      ),
    );
    expect(err.key).toMatch(/^hosts\[0\].*\.tsl$/);
    expect(err.message).toContain(".tsl: unknown key");
    expect(err.message).toContain("tls");
  });

  // Found in review: a host's unknown keys were checked before its name was read, so the key was
  // named hosts[0].tsl, unlike every other key of a host, which names the host too.
  it("names an unknown key in a host with the host: hosts[0] (h).tsl", () => {
    const err = configError(() =>
      parseConfig(
        "hosts:\n  - name: h\n    url: tcp://10.0.0.5:2376\n    tsl: { ca: 'env:A', cert: 'env:B', key: 'env:C' }\n",
        "/etc/dvol.yaml",
      ),
    );
    expect(err.key).toBe("hosts[0] (h).tsl");
  });

  it("refuses an unknown key in tls", () => {
    const err = configError(() =>
      parseConfig(
        "hosts:\n  - name: h\n    url: tcp://h:2376\n    tls: { ca: 'env:A', cert: 'env:B', key: 'env:C', verify: false }\n",
        FILE,
      ),
    );
    expectKey(err, "hosts[0] (h).tls.verify");
  });

  it("refuses a tcp:// host without tls, as a config error on its tls key", () => {
    const err = configError(() => parseConfig("hosts:\n  - name: h\n    url: tcp://10.0.0.5:2376\n", FILE));
    expectKey(err, "hosts[0] (h).tls");
    expect(err.message).toMatch(/mutual TLS/);
  });

  it("refuses tls without its key", () => {
    const err = configError(() =>
      parseConfig("hosts:\n  - name: h\n    url: tcp://h\n    tls: { ca: 'env:A', cert: 'env:B' }\n", FILE),
    );
    expectKey(err, "hosts[0] (h).tls.key");
  });

  it("refuses tls on a socket host", () => {
    const err = configError(() =>
      parseConfig(
        "hosts:\n  - name: h\n    socket: /s\n    tls: { ca: 'env:A', cert: 'env:B', key: 'env:C' }\n",
        FILE,
      ),
    );
    expectKey(err, "hosts[0] (h).tls");
  });

  it("refuses a host with both url and socket", () => {
    const err = configError(() =>
      parseConfig(
        "hosts:\n  - name: h\n    url: tcp://h:2376\n    socket: /s\n    tls: { ca: 'env:A', cert: 'env:B', key: 'env:C' }\n",
        FILE,
      ),
    );
    expectKey(err, "hosts[0] (h)");
    expect(err.message).toMatch(/url or socket/);
  });

  it("refuses a host with neither url nor socket", () => {
    expectKey(
      configError(() => parseConfig("hosts:\n  - name: h\n", FILE)),
      "hosts[0] (h)",
    );
  });

  it.each(["http://h:2375", "https://h:2376", "unix:///var/run/docker.sock"])("refuses the url %s", (url) => {
    const err = configError(() =>
      parseConfig(
        `hosts:\n  - name: h\n    url: ${url}\n    tls: { ca: 'env:A', cert: 'env:B', key: 'env:C' }\n`,
        FILE,
      ),
    );
    expectKey(err, "hosts[0] (h).url");
  });

  it("refuses a url with a path", () => {
    const err = configError(() =>
      parseConfig(
        "hosts:\n  - name: h\n    url: tcp://h:2376/v1.41\n    tls: { ca: 'env:A', cert: 'env:B', key: 'env:C' }\n",
        FILE,
      ),
    );
    expectKey(err, "hosts[0] (h).url");
  });

  it.each([
    ["a missing hosts list", "access: {}\n"],
    ["an empty hosts list", "hosts: []\n"],
    ["hosts as a mapping", "hosts:\n  a: { socket: /s }\n"],
    ["an empty document", ""],
  ])("refuses %s", (_what, text) => {
    expectKey(
      configError(() => parseConfig(text, FILE)),
      "hosts",
    );
  });

  it("refuses two hosts with the same name, naming the second one", () => {
    const err = configError(() =>
      parseConfig(`hosts:\n${socketHost("a")}${socketHost("b")}${socketHost("a")}`, FILE),
    );
    expectKey(err, "hosts[2].name");
    expect(err.message).toContain('"a"');
  });

  it.each(["all", "a b", "web-*", "-web", ".web", "a,b", "h?", "x".repeat(64)])(
    "refuses the host name %j",
    (name) => {
      const err = configError(() =>
        parseConfig(`hosts:\n  - name: ${JSON.stringify(name)}\n    socket: /s\n`, FILE),
      );
      expectKey(err, "hosts[0].name");
    },
  );

  it("refuses a host without a name", () => {
    expectKey(
      configError(() => parseConfig("hosts:\n  - socket: /s\n", FILE)),
      "hosts[0].name",
    );
  });

  it.each([
    ["certs/ca.pem", /reference file:PATH, env:VAR or ssm/],
    ["ssm:dvol/key", /starting with \//],
    ["env:1BAD", /not an environment variable name/],
    ["vault:secret/x", /reference file:PATH/],
    ["file:", /reference file:PATH/],
  ])("refuses the secret reference %j", (ref, message) => {
    const err = configError(() =>
      parseConfig(
        `hosts:\n  - name: h\n    url: tcp://h:2376\n    tls: { ca: ${JSON.stringify(ref)}, cert: 'env:B', key: 'env:C' }\n`,
        FILE,
      ),
    );
    expectKey(err, "hosts[0] (h).tls.ca");
    expect(err.message).toMatch(message);
  });

  it("refuses text that is not YAML, naming the file", () => {
    const err = configError(() => parseConfig("hosts: [\n  - name: a\n", FILE));
    expect(err.message).toContain(FILE);
    expect(err.message).toMatch(/not valid YAML/);
  });

  it("refuses duplicate YAML keys instead of silently keeping the last one", () => {
    const err = configError(() => parseConfig(`hosts:\n${socketHost("a")}hosts:\n${socketHost("b")}`, FILE));
    expect(err.message).toMatch(/not valid YAML/);
  });

  // Found in review: a YAML error said what was wrong but not where, leaving a long file to search.
  it("gives the line of a duplicate YAML key", () => {
    const err = configError(() =>
      parseConfig(
        "hosts:\n  - name: a\n    socket: /a\nreport:\n  channel: C1\nreport:\n  channel: C2\n",
        "/etc/d.yaml",
      ),
    );
    expect(err.message).toContain("at line 6");
  });

  it("refuses a document that is not a mapping", () => {
    expect(configError(() => parseConfig("- a\n- b\n", FILE)).message).toMatch(/expected a mapping/);
  });

  it.each([
    ['allowSelfApproval: "yes"', 'access:\n  allowSelfApproval: "yes"\n', "access.allowSelfApproval"],
    ["allowSelfApproval: 1", "access:\n  allowSelfApproval: 1\n", "access.allowSelfApproval"],
    ["ttlHours: -1", "requests:\n  ttlHours: -1\n", "requests.ttlHours"],
    ["ttlHours: 0", "requests:\n  ttlHours: 0\n", "requests.ttlHours"],
    ['ttlHours: "24"', 'requests:\n  ttlHours: "24"\n', "requests.ttlHours"],
    ["approvers: U1", "access:\n  approvers: U1\n", "access.approvers"],
    ["approvers: [U1, 2]", "access:\n  approvers: [U1, 2]\n", "access.approvers[1]"],
    ['channels: [""]', 'access:\n  channels: [""]\n', "access.channels[0]"],
    ["report: C1", "report: C1\n", "report"],
    ["report.channel: 5", "report:\n  channel: 5\n", "report.channel"],
    ["protect.names: x", "protect:\n  names: x\n", "protect.names"],
  ])("refuses the wrong type %s", (_what, yaml, key) => {
    const err = configError(() => parseConfig(`hosts:\n${socketHost("a")}${yaml}`, FILE));
    expectKey(err, key);
  });

  it.each([
    ["timeoutSeconds: 0", "    timeoutSeconds: 0\n", "hosts[0] (a).timeoutSeconds"],
    ["timeoutSeconds: fast", "    timeoutSeconds: fast\n", "hosts[0] (a).timeoutSeconds"],
    ["labels: [x]", "    labels: [x]\n", "hosts[0] (a).labels"],
    ["labels: { env: [a] }", "    labels: { env: [a] }\n", "hosts[0] (a).labels.env"],
    ["socket: 5", "", "hosts[0] (a).socket"],
  ])("refuses the host field %s", (what, extra, key) => {
    const host = what.startsWith("socket")
      ? "hosts:\n  - name: a\n    socket: 5\n"
      : `hosts:\n  - name: a\n    socket: /s\n${extra}`;
    expectKey(
      configError(() => parseConfig(host, FILE)),
      key,
    );
  });

  it("refuses a host entry that is not a mapping", () => {
    expectKey(
      configError(() => parseConfig("hosts:\n  - local\n", FILE)),
      "hosts[0]",
    );
  });
});

describe("defaultConfig", () => {
  it("has one host, local, on the default socket when DOCKER_HOST is unset", () => {
    const c = defaultConfig({}, "/work");
    expect(c.source).toBeNull();
    expect(c.baseDir).toBe("/work");
    expect(c.hosts).toHaveLength(1);
    expect(c.hosts[0]?.name).toBe("local");
    expect(c.hosts[0]?.endpoint).toEqual({ kind: "socket", path: DEFAULT_SOCKET });
    expect(DEFAULT_SOCKET).toBe("/var/run/docker.sock");
  });

  it("treats a blank DOCKER_HOST as unset", () => {
    expect(defaultConfig({ DOCKER_HOST: "  " }, "/").hosts[0]?.endpoint).toEqual({
      kind: "socket",
      path: "/var/run/docker.sock",
    });
  });

  it("uses a unix:// DOCKER_HOST as the socket", () => {
    expect(defaultConfig({ DOCKER_HOST: "unix:///x/d.sock" }, "/").hosts[0]?.endpoint).toEqual({
      kind: "socket",
      path: "/x/d.sock",
    });
  });

  it("uses a tcp:// DOCKER_HOST with the TLS files of DOCKER_CERT_PATH", () => {
    const c = defaultConfig({ DOCKER_HOST: "tcp://1.2.3.4:2376", DOCKER_CERT_PATH: "/home/op/.docker" }, "/");
    expect(c.hosts[0]?.name).toBe("local");
    expect(c.hosts[0]?.endpoint).toEqual({
      kind: "tcp",
      host: "1.2.3.4",
      port: 2376,
      tls: {
        ca: { scheme: "file", target: "/home/op/.docker/ca.pem" },
        cert: { scheme: "file", target: "/home/op/.docker/cert.pem" },
        key: { scheme: "file", target: "/home/op/.docker/key.pem" },
        serverName: undefined,
      },
    });
  });

  it("refuses a tcp:// DOCKER_HOST without DOCKER_CERT_PATH", () => {
    const err = configError(() => defaultConfig({ DOCKER_HOST: "tcp://1.2.3.4:2376" }, "/"));
    expectKey(err, "DOCKER_HOST");
    expect(err.message).toContain("DOCKER_CERT_PATH");
  });

  it("refuses a DOCKER_HOST of another scheme", () => {
    expectKey(
      configError(() => defaultConfig({ DOCKER_HOST: "ssh://me@host" }, "/")),
      "DOCKER_HOST",
    );
  });
});

describe("loadConfig", () => {
  let dir: string;
  const minimal = `hosts:\n${socketHost("from-file")}`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "dvol-config-"));
    await mkdir(path.join(dir, "cwd-with-default"));
    await mkdir(path.join(dir, "empty-cwd"));
    await mkdir(path.join(dir, "etc"));
    await writeFile(
      path.join(dir, "cwd-with-default", "dvol.config.yaml"),
      `hosts:\n${socketHost("default-file")}`,
    );
    await writeFile(path.join(dir, "etc", "explicit.yaml"), minimal);
    await writeFile(path.join(dir, "etc", "bad.yaml"), "hosts:\n  - name: all\n    socket: /s\n");
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("with no file and no DVOL_CONFIG, falls back to the default config", async () => {
    const c = await loadConfig({ env: {}, cwd: path.join(dir, "empty-cwd") });
    expect(c.source).toBeNull();
    expect(c.hosts.map((h) => h.name)).toEqual(["local"]);
    expect(c.hosts[0]?.endpoint).toEqual({ kind: "socket", path: "/var/run/docker.sock" });
  });

  it("with no file, uses DOCKER_HOST for the default host", async () => {
    const c = await loadConfig({
      env: { DOCKER_HOST: "unix:///x/d.sock" },
      cwd: path.join(dir, "empty-cwd"),
    });
    expect(c.hosts[0]?.endpoint).toEqual({ kind: "socket", path: "/x/d.sock" });
  });

  it("reads dvol.config.yaml from the working directory", async () => {
    const cwd = path.join(dir, "cwd-with-default");
    const c = await loadConfig({ env: {}, cwd });
    expect(c.hosts.map((h) => h.name)).toEqual(["default-file"]);
    expect(c.source).toBe(path.join(cwd, "dvol.config.yaml"));
    expect(c.baseDir).toBe(cwd);
  });

  it("reads an explicit file, relative to the working directory, and anchors file: refs there", async () => {
    const c = await loadConfig({ file: "etc/explicit.yaml", env: {}, cwd: dir });
    expect(c.hosts.map((h) => h.name)).toEqual(["from-file"]);
    expect(c.source).toBe(path.join(dir, "etc", "explicit.yaml"));
    expect(c.baseDir).toBe(path.join(dir, "etc"));
  });

  // Found in review: an empty DVOL_CONFIG was taken as a file name, which resolves to the working
  // directory itself, so loading failed instead of going on as if DVOL_CONFIG were unset.
  it("takes an empty DVOL_CONFIG as unset", async () => {
    const config = await loadConfig({ env: { DVOL_CONFIG: "" }, cwd: "/nonexistent-dir-for-dvol" });
    expect(config.hosts.map((h) => h.name)).toEqual(["local"]);
  });

  it("reads the file named by DVOL_CONFIG", async () => {
    const c = await loadConfig({ env: { DVOL_CONFIG: path.join(dir, "etc", "explicit.yaml") }, cwd: "/" });
    expect(c.hosts.map((h) => h.name)).toEqual(["from-file"]);
  });

  it("prefers the explicit file over DVOL_CONFIG", async () => {
    const c = await loadConfig({
      file: path.join(dir, "etc", "explicit.yaml"),
      env: { DVOL_CONFIG: path.join(dir, "nowhere.yaml") },
      cwd: "/",
    });
    expect(c.hosts.map((h) => h.name)).toEqual(["from-file"]);
  });

  it("refuses an explicit file that does not exist, instead of using the default", async () => {
    const missing = path.join(dir, "missing.yaml");
    const err = await configErrorAsync(
      loadConfig({ file: missing, env: {}, cwd: path.join(dir, "empty-cwd") }),
    );
    expect(err.message).toBe(`config: cannot read ${missing}: no such file`);
  });

  it("refuses a DVOL_CONFIG file that does not exist, instead of using the default", async () => {
    const missing = path.join(dir, "missing-env.yaml");
    const err = await configErrorAsync(
      loadConfig({ env: { DVOL_CONFIG: missing }, cwd: path.join(dir, "empty-cwd") }),
    );
    expect(err.message).toContain(missing);
  });

  it("validates the file it reads", async () => {
    const err = await configErrorAsync(
      loadConfig({ file: path.join(dir, "etc", "bad.yaml"), env: {}, cwd: dir }),
    );
    expectKey(err, "hosts[0].name");
  });

  it("does not look at DOCKER_HOST when a file is given", async () => {
    const c = await loadConfig({
      file: path.join(dir, "etc", "explicit.yaml"),
      env: { DOCKER_HOST: "tcp://1.2.3.4:2376" },
      cwd: "/",
    });
    expect(c.hosts.map((h) => h.name)).toEqual(["from-file"]);
  });
});

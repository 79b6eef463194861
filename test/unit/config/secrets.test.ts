// Unit tests of src/config/secrets.ts: file:, env: and ssm: references, their cache and their errors,
// and the SDK's SSM client's deadlines against loopback ports that never answer or refuse.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { defaultSsmReader, SecretResolver } from "../../../src/config/secrets.js";
import { ConfigError, SsmUnavailableError } from "../../../src/errors.js";
import { SlackSecrets } from "../../../src/slack/secrets.js";

const PEM_BODY = "MIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3DQEBCwUAMBExDzANBgNVBAMMBnRl";
const PEM = `-----BEGIN CERTIFICATE-----\n${PEM_BODY}\n-----END CERTIFICATE-----\n`;
const SECRET_VALUE = "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----";

async function rejection(p: Promise<unknown>): Promise<ConfigError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe("SecretResolver: file:", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "dvol-secrets-"));
    await mkdir(path.join(dir, "certs", "host1"), { recursive: true });
    await writeFile(path.join(dir, "certs", "host1", "ca.pem"), PEM);
    await writeFile(path.join(dir, "abs.pem"), "absolute");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads a relative path from the config's folder, not the process's", async () => {
    const r = new SecretResolver({ baseDir: dir, env: {} });
    const buf = await r.resolve({ scheme: "file", target: "certs/host1/ca.pem" }, "hosts[0] (host1).tls.ca");
    expect(buf.toString("utf8")).toBe(PEM);
  });

  it("reads an absolute path as given", async () => {
    const r = new SecretResolver({ baseDir: "/nonexistent", env: {} });
    const buf = await r.resolve({ scheme: "file", target: path.join(dir, "abs.pem") }, "k");
    expect(buf.toString()).toBe("absolute");
  });

  it("refuses a missing file with a ConfigError naming the key and the path", async () => {
    const r = new SecretResolver({ baseDir: dir, env: {} });
    const err = await rejection(
      r.resolve({ scheme: "file", target: "certs/nope.pem" }, "hosts[0] (host1).tls.cert"),
    );
    expect(err.key).toBe("hosts[0] (host1).tls.cert");
    expect(err.message).toContain("hosts[0] (host1).tls.cert");
    expect(err.message).toContain(path.join(dir, "certs", "nope.pem"));
    expect(err.message).toContain("ENOENT");
  });

  it("reads the file again after it appears (failures are not cached)", async () => {
    const r = new SecretResolver({ baseDir: dir, env: {} });
    const ref = { scheme: "file" as const, target: "late.pem" };
    await rejection(r.resolve(ref, "k"));
    await writeFile(path.join(dir, "late.pem"), "now here");
    expect((await r.resolve(ref, "k")).toString()).toBe("now here");
  });
});

describe("SecretResolver: env:", () => {
  it("reads the variable's value", async () => {
    const r = new SecretResolver({ baseDir: "/", env: { DVOL_CA: PEM } });
    expect((await r.resolve({ scheme: "env", target: "DVOL_CA" }, "k")).toString()).toBe(PEM);
  });

  it("turns the literal \\n of a one-line PEM into newlines", async () => {
    const oneLine = PEM.replace(/\n/g, "\\n");
    expect(oneLine).not.toContain("\n");
    const r = new SecretResolver({ baseDir: "/", env: { DVOL_KEY: oneLine } });
    expect((await r.resolve({ scheme: "env", target: "DVOL_KEY" }, "k")).toString()).toBe(PEM);
  });

  it("leaves a value that is not PEM as it is", async () => {
    const r = new SecretResolver({ baseDir: "/", env: { TOKEN: "a\\nb" } });
    expect((await r.resolve({ scheme: "env", target: "TOKEN" }, "k")).toString()).toBe("a\\nb");
  });

  it("reads the env it was given, not process.env", async () => {
    process.env.DVOL_TEST_ONLY_IN_PROCESS = "from-process";
    try {
      const r = new SecretResolver({ baseDir: "/", env: {} });
      await rejection(r.resolve({ scheme: "env", target: "DVOL_TEST_ONLY_IN_PROCESS" }, "k"));
    } finally {
      delete process.env.DVOL_TEST_ONLY_IN_PROCESS;
    }
  });

  it.each([
    ["unset", {}],
    ["empty", { DVOL_KEY: "" }],
  ])("refuses an %s variable with a ConfigError naming the key and the variable", async (_what, env) => {
    const r = new SecretResolver({ baseDir: "/", env });
    const err = await rejection(r.resolve({ scheme: "env", target: "DVOL_KEY" }, "hosts[1] (db).tls.key"));
    expect(err.key).toBe("hosts[1] (db).tls.key");
    expect(err.message).toContain("hosts[1] (db).tls.key");
    expect(err.message).toContain("DVOL_KEY");
  });
});

describe("SecretResolver: ssm:", () => {
  it("reads the parameter through the injected reader", async () => {
    const ssm = vi.fn(async (name: string) => `value of ${name}`);
    const r = new SecretResolver({ baseDir: "/", env: {}, ssm });
    const buf = await r.resolve({ scheme: "ssm", target: "/dvol/host1/key" }, "k");
    expect(buf.toString()).toBe("value of /dvol/host1/key");
    expect(ssm).toHaveBeenCalledWith("/dvol/host1/key");
  });

  it("asks SSM once per parameter, however many times and from wherever it is referenced", async () => {
    const ssm = vi.fn(async (name: string) => `value of ${name}`);
    const r = new SecretResolver({ baseDir: "/", env: {}, ssm });
    const ref = { scheme: "ssm" as const, target: "/dvol/shared/ca" };
    const [a, b] = await Promise.all([
      r.resolve(ref, "hosts[0] (a).tls.ca"),
      r.resolve(ref, "hosts[1] (b).tls.ca"),
    ]);
    const c = await r.resolve({ ...ref }, "hosts[2] (c).tls.ca");
    await r.resolve({ scheme: "ssm", target: "/dvol/other" }, "hosts[0] (a).tls.key");
    expect([a, b, c].map((x) => x.toString())).toEqual(Array(3).fill("value of /dvol/shared/ca"));
    expect(ssm.mock.calls).toEqual([["/dvol/shared/ca"], ["/dvol/other"]]);
  });

  it("turns a reader failure into a ConfigError naming the key and the parameter", async () => {
    const failure = Object.assign(new Error("User is not authorized to perform: ssm:GetParameter"), {
      name: "AccessDeniedException",
    });
    const r = new SecretResolver({ baseDir: "/", env: {}, ssm: async () => Promise.reject(failure) });
    const err = await rejection(
      r.resolve({ scheme: "ssm", target: "/dvol/host1/key" }, "hosts[0] (host1).tls.key"),
    );
    expect(err.key).toBe("hosts[0] (host1).tls.key");
    expect(err.message).toContain("hosts[0] (host1).tls.key");
    expect(err.message).toContain("/dvol/host1/key");
    expect(err.message).toContain("AccessDeniedException");
    expect(err.hint).toMatch(/ssm:GetParameter/);
  });

  it("never puts what the reader said into the message, in case it holds the secret", async () => {
    const r = new SecretResolver({
      baseDir: "/",
      env: {},
      ssm: async () => {
        throw new Error(`could not decode ${SECRET_VALUE}`);
      },
    });
    const err = await rejection(r.resolve({ scheme: "ssm", target: "/dvol/k" }, "hosts[0] (h).tls.key"));
    expect(err.message).not.toContain("TOP-SECRET");
    expect(err.hint ?? "").not.toContain("TOP-SECRET");
  });

  it("asks again after a failure instead of caching it", async () => {
    const ssm = vi
      .fn<(name: string) => Promise<string>>()
      .mockRejectedValueOnce(new Error("throttled"))
      .mockResolvedValueOnce(SECRET_VALUE);
    const r = new SecretResolver({ baseDir: "/", env: {}, ssm });
    const ref = { scheme: "ssm" as const, target: "/dvol/k" };
    await rejection(r.resolve(ref, "k"));
    expect((await r.resolve(ref, "k")).toString()).toBe(SECRET_VALUE);
    expect(ssm).toHaveBeenCalledTimes(2);
  });
});

describe("defaultSsmReader: the SDK's SSM client, with deadlines", () => {
  // Only loopback: a port that accepts connections and never answers, and one that refuses them.
  // Static credentials and a region, so that the SDK asks nothing else (no IMDS, no AWS).
  const aws = {
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" },
  };
  const sockets = new Set<Socket>();
  let silent: Server;
  let silentPort: number;
  let closedPort: number;

  beforeAll(async () => {
    silent = createServer((s) => {
      sockets.add(s);
      s.on("error", () => {});
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    silentPort = (silent.address() as AddressInfo).port;
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, "127.0.0.1", r));
    closedPort = (gone.address() as AddressInfo).port;
    await new Promise<void>((r) => gone.close(() => r()));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it("fails within its deadline with an SsmUnavailableError naming the parameter when SSM never answers", async () => {
    const read = await defaultSsmReader({
      ...aws,
      endpoint: `http://127.0.0.1:${silentPort}`,
      requestTimeoutMs: 300,
      maxAttempts: 2,
    });
    const t0 = performance.now();
    const err = await read("/dvol/prod/slack/bot-token").catch((e: unknown) => e);
    const took = performance.now() - t0;
    expect(err).toBeInstanceOf(SsmUnavailableError);
    const e = err as SsmUnavailableError;
    expect(e.kind).toBe("ssm-unavailable");
    expect(e.parameter).toBe("/dvol/prod/slack/bot-token");
    expect(e.message).toBe(
      "SSM did not answer when reading parameter /dvol/prod/slack/bot-token: no answer within 300 ms (connection deadline 300 ms)",
    );
    expect(e.hint).toMatch(/network path to SSM/);
    // Two tries of 300 ms and the SDK's back-off between them, far from Lambda's timeout.
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(5000);
    expect(sockets.size).toBeGreaterThanOrEqual(2);
  });

  it("fails at once with an SsmUnavailableError when the connection is refused", async () => {
    const read = await defaultSsmReader({
      ...aws,
      endpoint: `http://127.0.0.1:${closedPort}`,
      maxAttempts: 1,
    });
    const err = await read("/dvol/prod/hosts/ca").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsmUnavailableError);
    expect((err as SsmUnavailableError).message).toMatch(
      /^SSM did not answer when reading parameter \/dvol\/prod\/hosts\/ca: no connection \(ECONNREFUSED\)$/,
    );
  });

  it("reaches the Slack secrets and the TLS references as that same error, naming the parameter", async () => {
    const ssm = await defaultSsmReader({
      ...aws,
      endpoint: `http://127.0.0.1:${silentPort}`,
      requestTimeoutMs: 200,
      maxAttempts: 1,
    });
    const slack = new SlackSecrets({ env: { SLACK_BOT_TOKEN_PARAM: "/dvol/prod/slack/bot-token" }, ssm });
    const a = await slack.botToken().catch((e: unknown) => e);
    expect(a).toBeInstanceOf(SsmUnavailableError);
    expect((a as SsmUnavailableError).parameter).toBe("/dvol/prod/slack/bot-token");
    const tls = new SecretResolver({ baseDir: "/", env: {}, ssm });
    const b = await tls
      .resolve({ scheme: "ssm", target: "/dvol/prod/host1/key" }, "hosts[0] (host1).tls.key")
      .catch((e: unknown) => e);
    expect(b).toBeInstanceOf(SsmUnavailableError);
    expect((b as SsmUnavailableError).message).toContain("/dvol/prod/host1/key");
  });
});

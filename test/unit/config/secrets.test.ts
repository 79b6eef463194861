// Unit tests of src/config/secrets.ts: file:, env: and ssm: references, their cache and their errors,
// and the SDK's SSM client's deadlines against loopback ports that never answer or refuse.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { defaultSsmReader, SecretResolver } from "../../../src/config/secrets.js";
import { ConfigError, fileErrorText, SsmParameterError, SsmUnavailableError } from "../../../src/errors.js";
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

async function ssmRejection(p: Promise<unknown>): Promise<SsmParameterError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SsmParameterError);
  return err as SsmParameterError;
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
    expect(err.message).toBe(
      `config: hosts[0] (host1).tls.cert: cannot read certs/nope.pem (${path.join(dir, "certs", "nope.pem")}): no such file`,
    );
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

  it("turns a reader failure into an SsmParameterError naming the key and the parameter", async () => {
    const failure = Object.assign(new Error("User is not authorized to perform: ssm:GetParameter"), {
      name: "AccessDeniedException",
    });
    const r = new SecretResolver({ baseDir: "/", env: {}, ssm: async () => Promise.reject(failure) });
    const err = await ssmRejection(
      r.resolve({ scheme: "ssm", target: "/dvol/host1/key" }, "hosts[0] (host1).tls.key"),
    );
    expect(err.key).toBe("hosts[0] (host1).tls.key");
    expect(err.message).toContain("hosts[0] (host1).tls.key");
    expect(err.message).toContain("/dvol/host1/key");
    expect(err.message).toContain("access denied");
    expect(err.failure).toBe("access-denied");
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
    const err = await ssmRejection(r.resolve({ scheme: "ssm", target: "/dvol/k" }, "hosts[0] (h).tls.key"));
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
    await ssmRejection(r.resolve(ref, "k"));
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

describe("defaultSsmReader: what SSM or the SDK said, in words", () => {
  // A stand-in for SSM on loopback speaking its JSON protocol (POST /, X-Amz-Target
  // AmazonSSM.GetParameter, errors as {"__type": …} with status 400), so that the SDK's own
  // exception classes are what the reader meets.
  const answers = new Map<string, { status: number; body: unknown }>();
  let server: HttpServer;
  let endpoint: string;
  const targets: string[] = [];
  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString("utf8");
      });
      req.on("end", () => {
        targets.push(String(req.headers["x-amz-target"]));
        const name = (JSON.parse(body) as { Name: string }).Name;
        const a = answers.get(name) ?? {
          status: 400,
          body: { __type: "ParameterNotFound", message: "" },
        };
        res.writeHead(a.status, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify(a.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    answers.set("/dvol/ok", {
      status: 200,
      body: { Parameter: { Name: "/dvol/ok", Type: "SecureString", Value: "the value", Version: 1 } },
    });
    answers.set("/dvol/denied", {
      status: 400,
      body: {
        __type: "AccessDeniedException",
        Message:
          "User: arn:aws:sts::123456789012:assumed-role/dvol-worker/x is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter/dvol/denied because no identity-based policy allows the ssm:GetParameter action",
      },
    });
    answers.set("/dvol/kms", { status: 400, body: { __type: "InvalidKeyId", message: "" } });
    answers.set("/dvol/expired", {
      status: 400,
      body: {
        __type: "ExpiredTokenException",
        message: "The security token included in the request is expired",
      },
    });
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const aws = {
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" },
  };

  /** Nothing from this machine's AWS setup: no region, credentials, profile or instance metadata. */
  function noAwsEnvironment(): void {
    for (const v of [
      "AWS_REGION",
      "AWS_DEFAULT_REGION",
      "AWS_PROFILE",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "AWS_WEB_IDENTITY_TOKEN_FILE",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ]) {
      vi.stubEnv(v, undefined);
    }
    vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/dvol-test/config");
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/dvol-test/credentials");
    vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
  }

  async function failure(read: (name: string) => Promise<string>, name: string): Promise<SsmParameterError> {
    const err = await read(name).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsmParameterError);
    return err as SsmParameterError;
  }

  it("reads a parameter through the stand-in, decrypted", async () => {
    const read = await defaultSsmReader({ ...aws, endpoint, maxAttempts: 1 });
    expect(await read("/dvol/ok")).toBe("the value");
    expect(targets).toContain("AmazonSSM.GetParameter");
  });

  it.each([
    [
      "/dvol/missing",
      "not-found",
      "ParameterNotFound",
      "cannot read SSM parameter /dvol/missing: no such parameter",
      /region \(AWS_REGION\)/,
    ],
    [
      "/dvol/denied",
      "access-denied",
      "AccessDeniedException",
      "cannot read SSM parameter /dvol/denied: access denied (User: arn:aws:sts::123456789012:assumed-role/dvol-worker/x is not authorized to perform: ssm:GetParameter",
      /ssm:GetParameter on the parameter/,
    ],
    [
      "/dvol/kms",
      "kms",
      "InvalidKeyId",
      "cannot read SSM parameter /dvol/kms: its KMS key cannot be used to decrypt it (InvalidKeyId)",
      /kms:Decrypt/,
    ],
    [
      "/dvol/expired",
      "bad-credentials",
      "ExpiredTokenException",
      "cannot read SSM parameter /dvol/expired: the AWS credentials were refused (ExpiredTokenException)",
      /Renew/,
    ],
  ])("%s: SSM's %s answer, from the SDK's own exception", async (name, kind, sdkName, message, hint) => {
    const read = await defaultSsmReader({ ...aws, endpoint, maxAttempts: 1 });
    const err = await failure(read, name);
    expect(err.failure).toBe(kind);
    expect(err.parameter).toBe(name);
    expect((err.cause as Error).name).toBe(sdkName);
    expect(err.message.startsWith(message)).toBe(true);
    expect(err.hint).toMatch(hint);
  });

  it("the SDK's ParameterNotFound class is the cause", async () => {
    const { ParameterNotFound, SSMServiceException } = await import("@aws-sdk/client-ssm");
    const read = await defaultSsmReader({ ...aws, endpoint, maxAttempts: 1 });
    const err = await failure(read, "/dvol/missing");
    expect(err.cause).toBeInstanceOf(ParameterNotFound);
    expect(err.cause).toBeInstanceOf(SSMServiceException);
  });

  it("no region: the SDK's 'Region is missing', named as such", async () => {
    noAwsEnvironment();
    const read = await defaultSsmReader({ credentials: aws.credentials, endpoint, maxAttempts: 1 });
    const err = await failure(read, "/dvol/ok");
    expect((err.cause as Error).message).toMatch(/Region is missing/);
    expect(err.failure).toBe("no-region");
    expect(err.message).toBe("cannot read SSM parameter /dvol/ok: no AWS region is set");
    expect(err.hint).toMatch(/AWS_REGION/);
  });

  it("no credentials: the SDK's CredentialsProviderError, named as such", async () => {
    noAwsEnvironment();
    const read = await defaultSsmReader({ region: "us-east-1", endpoint, maxAttempts: 1 });
    const err = await failure(read, "/dvol/ok");
    expect((err.cause as Error).name).toBe("CredentialsProviderError");
    expect(err.failure).toBe("no-credentials");
    expect(err.message).toBe("cannot read SSM parameter /dvol/ok: no AWS credentials were found");
    expect(err.hint).toMatch(/AWS_PROFILE/);
  });

  it("reaches a TLS reference with its config key, and the Slack secrets as it is", async () => {
    const read = await defaultSsmReader({ ...aws, endpoint, maxAttempts: 1 });
    const tls = new SecretResolver({ baseDir: "/", env: {}, ssm: read });
    const a = await ssmRejection(
      tls.resolve({ scheme: "ssm", target: "/dvol/missing" }, "hosts[0] (host1).tls.key"),
    );
    expect(a.key).toBe("hosts[0] (host1).tls.key");
    expect(a.message).toBe(
      "hosts[0] (host1).tls.key: cannot read SSM parameter /dvol/missing: no such parameter",
    );
    const slack = new SlackSecrets({ env: { SLACK_BOT_TOKEN_PARAM: "/dvol/denied" }, ssm: read });
    const b = await slack.botToken().catch((e: unknown) => e);
    expect(b).toBeInstanceOf(SsmParameterError);
    expect((b as SsmParameterError).failure).toBe("access-denied");
  });
});

describe("SecretResolver: file errors in words", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "dvol-file-errors-"));
    await mkdir(path.join(dir, "certs", "key.pem"), { recursive: true });
    await writeFile(path.join(dir, "plain"), "x");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ["certs/key.pem", "is a directory"],
    ["certs/absent.pem", "no such file"],
    ["plain/key.pem", "a part of the path is not a directory"],
  ])("%s: %s", async (target, words) => {
    const r = new SecretResolver({ baseDir: dir, env: {} });
    const err = await rejection(r.resolve({ scheme: "file", target }, "hosts[0] (h).tls.key"));
    expect(err.message).toBe(
      `config: hosts[0] (h).tls.key: cannot read ${target} (${path.join(dir, target)}): ${words}`,
    );
  });

  it.each([
    ["EACCES", "permission denied"],
    ["ENOENT", "no such file"],
    ["EISDIR", "is a directory"],
    ["EPERM", "operation not permitted"],
    ["ENOSPC", "no space left on device"],
    ["EMFILE", "too many open files"],
  ])("%s is said as %j", (code, words) => {
    expect(fileErrorText(Object.assign(new Error(`${code}: boom`), { code }))).toBe(words);
  });

  it("an unknown code is given with its message", () => {
    expect(fileErrorText(Object.assign(new Error("odd"), { code: "EWEIRD" }))).toBe("EWEIRD (odd)");
    expect(fileErrorText(new Error("plain"))).toBe("plain");
  });
});

// Unit tests of src/docker/failures.ts: what a user reads when a host cannot be asked.
import { describe, expect, it } from "vitest";
import type { HostConfig } from "../../../src/config/types.js";
import { classifyFailure, engineAnswerError } from "../../../src/docker/failures.js";
import { ConfigError, HostError, type HostFailure } from "../../../src/errors.js";

const tcpHost: HostConfig = {
  name: "host1",
  endpoint: {
    kind: "tcp",
    host: "10.0.0.5",
    port: 2376,
    tls: {
      ca: { scheme: "file", target: "ca.pem" },
      cert: { scheme: "file", target: "cert.pem" },
      key: { scheme: "file", target: "key.pem" },
      serverName: undefined,
    },
  },
  labels: {},
  timeoutMs: 20_000,
};

const socketHost: HostConfig = {
  name: "local",
  endpoint: { kind: "socket", path: "/var/run/docker.sock" },
  labels: {},
  timeoutMs: 7_500,
};

function classify(host: HostConfig, err: unknown): HostError {
  const out = classifyFailure(host, err);
  expect(out).toBeInstanceOf(HostError);
  const e = out as HostError;
  expect(e.host).toBe(host.name);
  expect(e.message.startsWith(`${host.name}: `)).toBe(true);
  return e;
}

const withCode = (code: string, message = `some ${code} error`) =>
  Object.assign(new Error(message), { code });

describe("classifyFailure", () => {
  it.each<[string, HostFailure, RegExp]>([
    ["ECONNREFUSED", "refused", /connection refused \(tcp:\/\/10\.0\.0\.5:2376\)/],
    ["ENOTFOUND", "dns", /host name not found/],
    ["EAI_AGAIN", "dns", /host name not found/],
    ["EHOSTUNREACH", "unreachable", /host unreachable/],
    ["ENETUNREACH", "unreachable", /host unreachable/],
    ["ETIMEDOUT", "timeout", /timed out/],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "tls-unknown-ca", /unknown CA/],
    ["SELF_SIGNED_CERT_IN_CHAIN", "tls-unknown-ca", /unknown CA/],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "tls-unknown-ca", /unknown CA/],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "tls-name-mismatch", /name mismatch/],
    ["ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", "tls-certificate-required", /certificate required/],
    ["ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE", "tls-bad-certificate", /rejected our client certificate/],
    ["ERR_SSL_TLSV1_ALERT_UNKNOWN_CA", "tls-bad-certificate", /rejected our client certificate/],
    ["CERT_HAS_EXPIRED", "tls-expired", /expired/],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "protocol", /did not answer as a Docker engine/],
    ["ERR_SSL_SOMETHING_ELSE", "tls", /TLS handshake failed/],
  ])("classifies code %s as %s", (code, failure, message) => {
    const err = classify(tcpHost, withCode(code));
    expect(err.failure).toBe(failure);
    expect(err.message).toMatch(message);
    expect(err.hint).toBeTruthy();
  });

  it("names the endpoint in the message", () => {
    expect(classify(tcpHost, withCode("ECONNREFUSED")).message).toBe(
      "host1: connection refused (tcp://10.0.0.5:2376)",
    );
  });

  it("keeps the original error as the cause", () => {
    const original = withCode("ECONNREFUSED");
    expect(classify(tcpHost, original).cause).toBe(original);
  });

  it("reads the code of a wrapped cause (fetch-style errors)", () => {
    const err = classify(tcpHost, new TypeError("fetch failed", { cause: withCode("ECONNREFUSED") }));
    expect(err.failure).toBe("refused");
  });

  it("accepts a plain object with a code, as the modem may reject with", () => {
    expect(classify(socketHost, { code: "ECONNREFUSED" }).failure).toBe("refused");
  });

  it("says there is no Docker socket when the socket path does not exist", () => {
    const err = classify(socketHost, withCode("ENOENT"));
    expect(err.failure).toBe("refused");
    expect(err.message).toBe("local: no Docker socket at /var/run/docker.sock");
  });

  it("names a refused socket by its unix:// address", () => {
    expect(classify(socketHost, withCode("ECONNREFUSED")).message).toBe(
      "local: connection refused (unix:///var/run/docker.sock)",
    );
  });

  it("classifies a DOMException-like TimeoutError, naming the deadline in seconds", () => {
    const err = classify(tcpHost, {
      name: "TimeoutError",
      message: "The operation was aborted due to timeout",
    });
    expect(err.failure).toBe("timeout");
    expect(err.message).toBe("host1: timed out: no answer from tcp://10.0.0.5:2376 within 20 s");
    expect(classify(socketHost, { name: "TimeoutError" }).message).toContain("within 7.5 s");
  });

  it("classifies a real AbortSignal.timeout reason as a timeout", async () => {
    // AbortSignal.timeout runs on Node's own timers (fake timers cannot move it): wait for its
    // abort event rather than for a guessed time.
    const signal = AbortSignal.timeout(1);
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    expect(classify(tcpHost, signal.reason).failure).toBe("timeout");
  });

  it("reports an engine error answer with its status and the engine's message", () => {
    const err = classify(tcpHost, { statusCode: 500, json: { message: "boom" }, message: "(HTTP code 500)" });
    expect(err.failure).toBe("api");
    expect(err.statusCode).toBe(500);
    expect(err.message).toBe("host1: engine error 500: boom");
  });

  it("keeps the status code of a 404 so callers can tell 'not found'", () => {
    const err = classify(
      tcpHost,
      Object.assign(new Error("(HTTP code 404) no such volume"), { statusCode: 404 }),
    );
    expect(err.failure).toBe("api");
    expect(err.statusCode).toBe(404);
    expect(err.message).toBe("host1: engine error 404: (HTTP code 404) no such volume");
  });

  it("an engine's error answer (engineAnswerError, what the connection throws): the engine's message, else the body, else the status", () => {
    const withMessage = engineAnswerError(tcpHost, 409, { message: "volume is in use - [c0]" });
    expect(withMessage).toBeInstanceOf(HostError);
    expect(withMessage).toMatchObject({ failure: "api", statusCode: 409, hint: undefined });
    expect(withMessage.message).toBe("host1: engine error 409: volume is in use - [c0]");
    expect(engineAnswerError(tcpHost, 502, null, { fallback: "<html>Bad Gateway</html>" }).message).toBe(
      "host1: engine error 502: <html>Bad Gateway</html>",
    );
    expect(engineAnswerError(tcpHost, 500, {}, { fallback: "" }).message).toBe(
      "host1: engine error 500: HTTP 500",
    );
  });

  it("a dvol gate's refusal (403, its message) says the gate refused and that its gate.yaml decides; an engine's own 403 stays the engine's", () => {
    const refused = engineAnswerError(tcpHost, 403, {
      message: "dvol gate: refused: subject:dvol-reader may not volume-delete (it needs delete)",
    });
    expect(refused).toMatchObject({ failure: "api", statusCode: 403 });
    expect(refused.message).toBe(
      "host1: the dvol gate refused: subject:dvol-reader may not volume-delete (it needs delete)",
    );
    expect(refused.hint).toMatch(/gate\.yaml/);
    const engine403 = engineAnswerError(tcpHost, 403, { message: "authorization denied by plugin x" });
    expect(engine403.message).toBe("host1: engine error 403: authorization denied by plugin x");
    expect(engine403.hint).toBeUndefined();
  });

  it("calls anything unrecognised a protocol failure, still naming the host", () => {
    const err = classify(tcpHost, new Error("socket hang up"));
    expect(err.failure).toBe("protocol");
    expect(err.message).toContain("tcp://10.0.0.5:2376");
  });

  it("passes dvol's own errors through unchanged", () => {
    const config = new ConfigError("environment variable X is not set", { key: "hosts[0] (host1).tls.key" });
    expect(classifyFailure(tcpHost, config)).toBe(config);
    const host = new HostError("host1", "api", "already classified");
    expect(classifyFailure(tcpHost, host)).toBe(host);
  });
});

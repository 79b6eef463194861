import http from "node:http";
import https from "node:https";
import { createSecureContext, type SecureContext } from "node:tls";
import { cachedBy } from "../cached.js";
import type { SecretResolver } from "../config/secrets.js";
import type { HostConfig, TlsConfig } from "../config/types.js";
import { ConfigError, HostError } from "../errors.js";
import { classifyFailure, engineAnswerError } from "./failures.js";
import { openStream, type StreamAnswer, type StreamRequest } from "./stream.js";

/** One HTTP exchange with an engine: method, path (with the version prefix) and query. */
export interface EngineRequest {
  method: "GET" | "POST" | "DELETE";
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Status codes that are answers, not failures. Defaults to 200 only. */
  ok?: readonly number[];
}

/** A transport to one engine with a deadline that covers every call made through it. */
export interface EngineConnection {
  readonly host: string;
  /**
   * The engine's highest API version, from the `Api-Version` header every engine puts on its
   * answers; null until an answer came (or when the transport cannot tell).
   */
  readonly engineApiVersion?: string | null;
  /** The engine's version, from the `Server: Docker/<version> (<os>)` header; null until known. */
  readonly engineVersion?: string | null;
  /** Whether the answers came through a dvol gate (its `Dvol-Gate: 1` header); false until an answer came. */
  readonly gated?: boolean;
  /** The decoded JSON answer (null for an empty one); any other status is a HostError. */
  call<T>(req: EngineRequest): Promise<T>;
  /**
   * A streaming exchange (stream.ts: backups and restores) on the same transport; the connection's
   * deadline covers it until the stream flows, a stall timeout after. Absent on transports that
   * cannot stream (some test doubles).
   */
  stream?(req: StreamRequest): Promise<StreamAnswer>;
  close(): void;
}

/** Makes the connection for a host. Injected everywhere, so tests and benchmarks can swap it. */
export type ConnectionFactory = (host: HostConfig) => Promise<EngineConnection>;

/** An engine's answer larger than this is refused rather than held in memory. */
export const MAX_ANSWER_BYTES = 256 * 1024 * 1024;

/**
 * The production factory: the Engine API over mutual TLS (tcp://) or a unix socket, with Node's
 * own http/https clients.
 *
 * dvol does not go through dockerode or its transport, docker-modem (see the README): the modem
 * passes every request's options, the agent and its TLS material included, through util.inspect
 * for its debug log (with DEBUG=modem the client key is printed), which also costs measurable CPU
 * on every call; it speaks plain HTTP unless ca, cert and key are all set on it; it has no
 * default timeout; and it resolves `..` in paths.
 *
 * The TLS material is read once per host into one secure context, shared by every connection to
 * that host; verification is always on and checks the server name (`tls.serverName`, else the
 * URL's host). One deadline per connection covers connecting, the handshake and every answer.
 */
export function tlsConnectionFactory(secrets: SecretResolver): ConnectionFactory {
  const contexts = cachedBy<SecureContext>();
  const contextFor = (host: HostConfig, tlsConfig: TlsConfig): Promise<SecureContext> => {
    const at = `hosts (${host.name}).tls`;
    return contexts(`${host.name}\0${JSON.stringify(tlsConfig)}`, () =>
      Promise.all([
        secrets.resolve(tlsConfig.ca, `${at}.ca`),
        secrets.resolve(tlsConfig.cert, `${at}.cert`),
        secrets.resolve(tlsConfig.key, `${at}.key`),
      ]).then(([ca, cert, key]) => {
        try {
          return createSecureContext({ ca, cert, key, minVersion: "TLSv1.2" });
        } catch (cause) {
          // The OpenSSL message names the kind of problem, never the material itself.
          throw new ConfigError(
            `the CA, certificate or key is not usable: ${cause instanceof Error ? cause.message : String(cause)}`,
            {
              key: at,
              cause,
            },
          );
        }
      }),
    );
  };

  return async (host) => {
    const e = host.endpoint;
    const deadline = AbortSignal.timeout(host.timeoutMs);
    let agent: http.Agent;
    let target: https.RequestOptions;
    let request: typeof http.request;
    if (e.kind === "tcp") {
      const secureContext = await contextFor(host, e.tls);
      agent = new https.Agent({ keepAlive: true, secureContext, rejectUnauthorized: true });
      // Without tls.serverName, Node checks the URL's host: its DNS name, or an IP entry for an address.
      target = { host: e.host, port: e.port, ...(e.tls.serverName ? { servername: e.tls.serverName } : {}) };
      request = https.request;
    } else {
      agent = new http.Agent({ keepAlive: true });
      target = { socketPath: e.path };
      request = http.request;
    }

    const noteAnswer = (res: http.IncomingMessage) => {
      const announced = res.headers["api-version"];
      if (typeof announced === "string" && /^\d+\.\d+$/.test(announced)) conn.engineApiVersion = announced;
      const server = /^Docker\/(\S+)/.exec(String(res.headers.server ?? ""));
      if (server) conn.engineVersion = server[1] as string;
      if (res.headers["dvol-gate"] === "1") conn.gated = true;
    };
    const conn = {
      host: host.name,
      engineApiVersion: null as string | null,
      engineVersion: null as string | null,
      gated: false,
      call<T>(req: EngineRequest): Promise<T> {
        return new Promise<T>((resolve, reject) => {
          const fail = (err: unknown) =>
            reject(classifyFailure(host, deadline.aborted ? deadline.reason : err));
          if (deadline.aborted) {
            fail(deadline.reason);
            return;
          }
          const r = request(
            {
              ...target,
              agent,
              method: req.method,
              path: req.path + queryString(req.query),
              headers: { Accept: "application/json", ...(e.kind === "socket" ? { Host: "docker" } : {}) },
              signal: deadline,
            },
            (res) => {
              noteAnswer(res);
              const chunks: Buffer[] = [];
              let size = 0;
              res.on("data", (c: Buffer) => {
                size += c.length;
                if (size > MAX_ANSWER_BYTES) {
                  res.destroy(
                    new HostError(host.name, "protocol", `answered with more than ${MAX_ANSWER_BYTES} bytes`),
                  );
                } else chunks.push(c);
              });
              res.on("error", fail);
              res.on("end", () => {
                try {
                  resolve(decode<T>(host, req, res.statusCode ?? 0, Buffer.concat(chunks)));
                } catch (err) {
                  reject(err);
                }
              });
            },
          );
          r.on("error", fail);
          r.end();
        });
      },
      stream(req: StreamRequest): Promise<StreamAnswer> {
        return openStream(
          {
            host,
            agent,
            target,
            request,
            deadline,
            headers: e.kind === "socket" ? { Host: "docker" } : {},
            onAnswer: noteAnswer,
          },
          req,
        );
      },
      close() {
        agent.destroy();
      },
    };
    return conn;
  };
}

function queryString(query: EngineRequest["query"]): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The JSON of an answer with an accepted status; any other status is a HostError (api). */
function decode<T>(host: HostConfig, req: EngineRequest, status: number, raw: Buffer): T {
  const text = raw.toString("utf8");
  let json: unknown = null;
  if (text.trim() !== "") {
    try {
      json = JSON.parse(text);
    } catch (cause) {
      if ((req.ok ?? [200]).includes(status)) {
        throw new HostError(host.name, "protocol", "answered with something that is not JSON", { cause });
      }
    }
  }
  if (!(req.ok ?? [200]).includes(status)) {
    throw engineAnswerError(host, status, json, { fallback: text.slice(0, 200) });
  }
  return json as T;
}

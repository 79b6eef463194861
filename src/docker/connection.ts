import https from "node:https";
import Modem from "docker-modem";
import type { SecretResolver } from "../config/secrets.js";
import type { HostConfig } from "../config/types.js";
import { HostError } from "../errors.js";
import { classifyFailure } from "./failures.js";

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
  /** The decoded JSON answer (null for an empty one); any other status is a HostError. */
  call<T>(req: EngineRequest): Promise<T>;
  close(): void;
}

/** Makes the connection for a host. Injected everywhere, so tests and benchmarks can swap it. */
export type ConnectionFactory = (host: HostConfig) => Promise<EngineConnection>;

interface ModemLike {
  dial(
    options: {
      path: string;
      method: string;
      options: Record<string, unknown>;
      statusCodes: Record<number, boolean | string>;
      abortSignal: AbortSignal;
    },
    cb: (err: (Error & { statusCode?: number; json?: unknown }) | null, body: unknown) => void,
  ): void;
}

/**
 * The production factory: dockerode's transport, docker-modem, over mutual TLS (tcp://) or a
 * unix socket. (dvol uses the modem without the rest of dockerode: dockerode pulls in gRPC,
 * protobuf and ssh2, tripling the bundle and the CLI's start-up time for nothing dvol calls.)
 *
 * TLS material lives in our own https.Agent, never in the modem's options, because the modem
 * (a) silently speaks plain HTTP unless ca, cert and key are all on it and (b) puts its options,
 * keys included, through util.inspect for its debug log. Verification is always on; the server
 * name is checked against `tls.serverName` or the URL's host.
 */
export function tlsConnectionFactory(secrets: SecretResolver): ConnectionFactory {
  return async (host) => {
    const e = host.endpoint;
    const deadline = AbortSignal.timeout(host.timeoutMs);
    let agent: https.Agent | undefined;
    let modemOptions: Record<string, unknown>;
    if (e.kind === "tcp") {
      const at = `hosts (${host.name}).tls`;
      const [ca, cert, key] = await Promise.all([
        secrets.resolve(e.tls.ca, `${at}.ca`),
        secrets.resolve(e.tls.cert, `${at}.cert`),
        secrets.resolve(e.tls.key, `${at}.key`),
      ]);
      agent = new https.Agent({
        ca,
        cert,
        key,
        servername: e.tls.serverName,
        rejectUnauthorized: true,
        minVersion: "TLSv1.2",
        keepAlive: true,
        timeout: host.timeoutMs,
      });
      modemOptions = { protocol: "https", host: e.host, port: e.port, socketPath: undefined, agent };
    } else {
      modemOptions = { protocol: "http", host: undefined, port: undefined, socketPath: e.path };
    }
    const modem = new Modem({
      ...modemOptions,
      ca: undefined,
      cert: undefined,
      key: undefined,
      version: undefined,
      timeout: host.timeoutMs,
      connectionTimeout: host.timeoutMs,
    } as Modem.ConstructorOptions) as unknown as ModemLike;

    return {
      host: host.name,
      call<T>(req: EngineRequest): Promise<T> {
        const ok = req.ok ?? [200];
        const statusCodes: Record<number, boolean> = {};
        for (const s of ok) statusCodes[s] = true;
        const query: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query[k] = String(v);
        return new Promise((resolve, reject) => {
          if (deadline.aborted) {
            reject(classifyFailure(host, deadline.reason));
            return;
          }
          // The modem only appends a query string to paths that contain "?".
          const path = Object.keys(query).length > 0 ? `${req.path}?` : req.path;
          modem.dial(
            { path, method: req.method, options: query, statusCodes, abortSignal: deadline },
            (err, body) => {
              if (err) {
                reject(classifyFailure(host, deadline.aborted ? deadline.reason : err));
                return;
              }
              if (Buffer.isBuffer(body) && body.length === 0) body = null;
              if (Buffer.isBuffer(body)) {
                reject(new HostError(host.name, "protocol", "answered with something that is not JSON"));
                return;
              }
              resolve(body as T);
            },
          );
        });
      },
      close() {
        agent?.destroy();
      },
    };
  };
}

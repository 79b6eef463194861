/**
 * `dvol gate`: a mutual-TLS server in front of one engine's unix socket. Each request is checked at
 * the door (door.ts), recognised by the operation table (operations.ts), allowed by the client's
 * permissions, confirmed by the gate's own checks (a delete's volume unused, a helper the gate made),
 * and carried out by a request the gate builds itself. Every answer carries `Dvol-Gate: 1`; every
 * request is one audit line.
 */

import { createHash, X509Certificate } from "node:crypto";
import { openSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import type { Duplex, Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import { compareVersions } from "../docker/versions.js";
import { ConfigError, fileErrorText } from "../errors.js";
import { type AuditLine, type AuditSink, auditTo } from "./audit.js";
import { GateChecks, Refused } from "./checks.js";
import type { GateClient, GateConfig } from "./config.js";
import { checkDoor, type DoorRequest } from "./door.js";
import { EngineUnavailableError, GateEngine } from "./engine.js";
import { type Check, type Planned, planRequest, volumeMountsOnly } from "./operations.js";
import { parseStrictJson } from "./strict-json.js";
import { checkedTar, TarRefusedError } from "./tar-check.js";

export const GATE_HEADER = "Dvol-Gate";

/** Engine answer headers the gate passes on; it sets Api-Version itself (the pinned version). */
const PASSED_HEADERS = [
  "content-type",
  "server",
  "ostype",
  "docker-experimental",
  "x-docker-container-path-stat",
];

export interface GateOptions {
  /** Replaces the audit sink (tests). */
  audit?: AuditSink;
  /** The clock of the delete rate limit (tests). */
  now?: () => number;
}

export interface RunningGate {
  port: number;
  host: string;
  close(): Promise<void>;
}

/** Who a TLS peer is, by the config's clients: pin first, then subject CN. */
export function identify(
  clients: readonly GateClient[],
  cert: { raw?: Buffer; subject?: { CN?: string | string[] } } | null,
): { client: GateClient | null; label: string } {
  if (!cert?.raw) return { client: null, label: "unknown:no certificate" };
  const spki = new X509Certificate(cert.raw).publicKey.export({ type: "spki", format: "der" });
  const pin = createHash("sha256").update(spki).digest("base64");
  const cnRaw = cert.subject?.CN;
  const cn = Array.isArray(cnRaw) ? null : (cnRaw ?? null);
  const byPin = clients.find((c) => c.match.kind === "pin" && c.match.sha256 === pin);
  const bySubject =
    cn === null ? undefined : clients.find((c) => c.match.kind === "subject" && c.match.cn === cn);
  const client = byPin ?? bySubject ?? null;
  return { client, label: client ? client.id : `unknown:CN=${cn ?? "?"},pin=sha256/${pin}` };
}

export async function startGate(config: GateConfig, options: GateOptions = {}): Promise<RunningGate> {
  const read = (file: string, key: string) => {
    try {
      return readFileSync(file);
    } catch (cause) {
      throw new ConfigError(`cannot read ${file}: ${fileErrorText(cause)}`, { key, cause });
    }
  };
  const ca = read(config.tls.ca, "tls.ca");
  const cert = read(config.tls.cert, "tls.cert");
  const key = read(config.tls.key, "tls.key");
  if (config.audit !== null && !options.audit) {
    try {
      openSync(config.audit, "a", 0o640);
    } catch (cause) {
      throw new ConfigError(`cannot append to ${config.audit}: ${fileErrorText(cause)}`, {
        key: "audit",
        cause,
      });
    }
  }
  const audit = options.audit ?? auditTo(config.audit);
  const now = options.now ?? Date.now;
  const engine = new GateEngine(config.socket);
  const gateChecks = new GateChecks(engine, config, now);

  let server: https.Server;
  try {
    server = https.createServer({
      ca,
      cert,
      key,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
      requireHostHeader: false,
      headersTimeout: 20_000,
      requestTimeout: 0,
      keepAliveTimeout: 5_000,
    });
  } catch (cause) {
    throw new ConfigError(`the CA, certificate or key is not usable: ${(cause as Error).message}`, {
      key: "tls",
      cause,
    });
  }
  server.timeout = 120_000;

  const who = (socket: Socket | Duplex) => {
    const tls = socket as TLSSocket;
    return identify(
      config.clients,
      typeof tls.getPeerCertificate === "function" ? tls.getPeerCertificate() : null,
    );
  };

  /** A raw 403 on a socket that has no response object (an upgrade, CONNECT, a request Node could not parse). */
  const refuseRaw = (socket: Duplex, method: string, path: string, reason: string) => {
    const body = JSON.stringify({ message: `dvol gate: refused: ${reason}` });
    const started = now();
    if (socket.writable) {
      socket.end(
        `HTTP/1.1 403 Forbidden\r\n${GATE_HEADER}: 1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    audit.write(
      line(who(socket).label, null, method, path, "refused", 403, reason, {
        bytesIn: 0,
        bytesOut: 0,
        ms: now() - started,
      }),
    );
  };
  server.on("upgrade", (req: IncomingMessage, socket: Duplex) =>
    refuseRaw(socket, req.method ?? "?", cut(req.url ?? ""), "upgrades are not offered"),
  );
  server.on("connect", (req: IncomingMessage, socket: Duplex) =>
    refuseRaw(socket, "CONNECT", cut(req.url ?? ""), "CONNECT is not offered"),
  );
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (typeof err.code === "string" && err.code.startsWith("HPE_")) {
      refuseRaw(socket, "?", "?", `not a well-formed HTTP request (${err.code})`);
    } else socket.destroy();
  });

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = now();
    const { client, label } = who(req.socket);
    let plan: Planned | null = null;
    let enginePath = cut(req.url ?? "");
    let bytesIn = 0;
    let bytesOut = 0;
    let pinned: string | null = null;
    const record = (decision: AuditLine["decision"], status: number, reason: string | null) =>
      audit.write(
        line(label, plan?.operation ?? null, req.method ?? "?", enginePath, decision, status, reason, {
          volume: plan?.volume ?? null,
          container: plan?.container ?? null,
          bytesIn,
          bytesOut,
          ms: now() - started,
        }),
      );
    const answerError = (status: number, reason: string) => {
      const body = JSON.stringify({ message: `dvol gate: ${status === 403 ? "refused: " : ""}${reason}` });
      if (!res.headersSent) {
        res.writeHead(status, {
          [GATE_HEADER]: "1",
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
          ...(pinned ? { "Api-Version": pinned } : {}),
          // The body (if any) is not read: the connection ends with this answer.
          ...(req.readableEnded ? {} : { Connection: "close" }),
        });
        res.end(body);
      } else res.destroy();
      if (!req.readableEnded) req.resume();
      record(status === 403 ? "refused" : "failed", status, reason);
    };
    try {
      if (!client) throw new Refused(`the client certificate is not one of the gate's clients (${label})`);
      const door = checkDoor({ method: req.method ?? "", url: req.url ?? "", rawHeaders: req.rawHeaders });
      if (!door.ok) throw new Refused(door.reason);
      const planned = planRequest(door.request);
      if (!planned.ok) throw new Refused(planned.reason);
      plan = planned.plan;
      const held = plan.allow.filter((p) => client.allow.has(p));
      const narrowed = plan.narrowed ?? {};
      if (held.length === 0) {
        const needs = plan.allow.filter((p) => !narrowed[p]);
        throw new Refused(`${client.id} may not ${plan.operation} (it needs ${needs.join(" or ")})`);
      }
      // Only narrowed permissions held: their own checks come first.
      const narrowing = held.every((p) => narrowed[p]) ? held.flatMap((p) => narrowed[p] ?? []) : [];
      pinned = await engine.version();
      if (door.request.version !== null && door.request.version !== pinned) {
        throw new Refused(`API version ${door.request.version} is not offered: this gate speaks ${pinned}`);
      }
      let engineCall = plan.call;
      let checks: Check[] = [...narrowing, ...plan.checks];
      let tar: Readable | undefined;
      let entries: (() => number) | undefined;
      const body = plan.body;
      if (body.kind === "json") {
        const raw = await readBody(req, door.request, body.max, "a JSON body");
        bytesIn = raw.length;
        let value: unknown;
        try {
          value = parseStrictJson(raw.toString("utf8"));
        } catch (err) {
          throw new Refused(`the body is not strict JSON: ${(err as Error).message}`);
        }
        const built = body.build(value);
        if (!built.ok) throw new Refused(built.reason);
        plan = {
          ...plan,
          volume: built.volume,
          ...(built.writable === undefined ? {} : { writable: built.writable }),
        };
        engineCall = built.call;
        checks = [...checks, ...built.checks];
      } else if (body.kind === "empty-tar") {
        const raw = await readBody(req, door.request, body.max, "the helper image's empty tar");
        bytesIn = raw.length;
        if (raw.length < 1024 || raw.length % 512 !== 0 || raw.some((b) => b !== 0)) {
          throw new Refused("the helper image's content is an empty tar, and only that");
        }
      }
      if (!engineCall) throw new Error(`the operation ${plan.operation} built no engine call`);
      for (const check of checks) await gateChecks.confirm(check, plan);
      let tarFailure: (() => Error | null) | undefined;
      if (body.kind === "tar") {
        // Read only once the checks passed (the helper is this gate's, and writable).
        const checked = checkedTar(req);
        tar = checked.output;
        entries = checked.entries;
        tarFailure = checked.failure;
        req.on("data", (c: Buffer) => {
          bytesIn += c.length;
        });
      }
      enginePath = `/v${pinned}${engineCall.path}${engineCall.query.length ? `?${new URLSearchParams(engineCall.query)}` : ""}`;
      let answer: Awaited<ReturnType<GateEngine["send"]>>;
      try {
        answer = await engine.send(engineCall, tar);
      } catch (err) {
        // The archive's own refusal says which entry; the engine call only saw its body cut.
        const failed = tarFailure?.();
        const refused =
          failed instanceof TarRefusedError ? failed : err instanceof TarRefusedError ? err : null;
        if (refused) throw new Refused(`${refused.message} (${entries?.() ?? 0} entries before it went on)`);
        throw err;
      }
      const headers: Record<string, string> = { [GATE_HEADER]: "1", "Api-Version": pinned };
      for (const h of PASSED_HEADERS) {
        const v = answer.headers[h];
        if (typeof v === "string") headers[h] = v;
      }
      if (
        plan.remember === "helper" ||
        plan.remember === "volume" ||
        plan.operation === "version" ||
        plan.reshape
      ) {
        const chunks: Buffer[] = [];
        for await (const c of answer.body) chunks.push(c as Buffer);
        let text: Buffer = Buffer.concat(chunks);
        if (answer.status === 201) gateChecks.remember(plan, text, started);
        if (plan.operation === "version" && answer.status === 200) text = speaking(text, pinned);
        if (plan.reshape === "volume-mounts" && answer.status === 200) {
          const only = volumeMountsOnly(text);
          if (only === null) throw new EngineUnavailableError("the engine's container list is not a list");
          text = only;
        }
        bytesOut = text.length;
        res.writeHead(answer.status, { ...headers, "Content-Length": text.length });
        res.end(text);
      } else {
        if (
          plan.remember === "forget-helper" &&
          (answer.status === 204 || answer.status === 404) &&
          plan.container
        ) {
          gateChecks.forgetHelper(plan.container);
        }
        if (plan.remember === "forget-volume" && answer.status === 204 && plan.volume) {
          gateChecks.forgetVolume(plan.volume);
        }
        const length = answer.headers["content-length"];
        res.writeHead(answer.status, { ...headers, ...(length ? { "Content-Length": length } : {}) });
        answer.body.on("data", (c: Buffer) => {
          bytesOut += c.length;
        });
        const whole = await new Promise<boolean>((resolve, reject) => {
          answer.body.on("error", reject);
          res.on("error", reject);
          res.on("finish", () => resolve(true));
          res.on("close", () => {
            // The client went away mid-answer: stop the engine's stream too (an archive would
            // otherwise hold its connection until the engine gives up).
            if (!res.writableFinished) answer.body.destroy();
            resolve(res.writableFinished);
          });
          answer.body.pipe(res);
        });
        if (!whole) {
          record("allowed", answer.status, `the client went away after ${bytesOut} bytes of the answer`);
          return;
        }
      }
      record("allowed", answer.status, null);
    } catch (err) {
      if (err instanceof Refused) answerError(err.status, err.reason);
      else if (err instanceof EngineUnavailableError) answerError(502, err.message);
      else answerError(500, `internal error: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(
          `cannot listen on ${config.listen.host}:${config.listen.port}: ${err.code ?? err.message}`,
          { key: "listen", cause: err },
        ),
      ),
    );
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.listen.port;
  return {
    host: config.listen.host,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      engine.close();
      await audit.close();
    },
  };
}

/**
 * The engine's /version as the gate speaks it: an ApiVersion above the one the gate pinned (an
 * engine newer than this dvol) is the pinned one, so that a client negotiates a version the gate
 * offers rather than one it refuses (a bot newer than its gates). Anything else is left as it is.
 */
function speaking(text: Buffer, pinned: string): Buffer {
  try {
    const v = JSON.parse(text.toString("utf8")) as { ApiVersion?: unknown };
    if (typeof v?.ApiVersion !== "string" || compareVersions(v.ApiVersion, pinned) <= 0) return text;
    return Buffer.from(JSON.stringify({ ...v, ApiVersion: pinned }));
  } catch {
    return text;
  }
}

/** The whole body of a request the door found to announce one, at most `max` bytes, never chunked. */
async function readBody(req: IncomingMessage, door: DoorRequest, max: number, what: string): Promise<Buffer> {
  if (door.body.kind === "chunked") throw new Refused(`${what} comes with a Content-Length, not chunked`);
  if (door.body.kind === "none") throw new Refused(`${what} is missing`);
  if (door.body.bytes > max) throw new Refused(`${what} is more than ${max} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new Refused(`${what} is more than ${max} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function cut(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

function line(
  client: string | null,
  operation: string | null,
  method: string,
  path: string,
  decision: AuditLine["decision"],
  status: number,
  reason: string | null,
  more: Partial<AuditLine> & Pick<AuditLine, "bytesIn" | "bytesOut" | "ms">,
): AuditLine {
  return {
    time: new Date().toISOString(),
    client,
    operation,
    method,
    path,
    decision,
    status,
    reason,
    volume: more.volume ?? null,
    container: more.container ?? null,
    bytesIn: more.bytesIn,
    bytesOut: more.bytesOut,
    ms: more.ms,
  };
}

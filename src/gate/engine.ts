/**
 * The gate's side of the engine: HTTP over the engine's unix socket, with the API version pinned
 * once (the lower of the engine's and dvol's highest) and put on every request the gate builds.
 */
import http from "node:http";
import type { Readable } from "node:stream";
import { compareVersions, MAX_API_VERSION, MIN_API_VERSION } from "../docker/versions.js";
import { fileErrorText } from "../errors.js";
import type { EngineCall } from "./operations.js";
import { TarRefusedError } from "./tar-check.js";

/** The engine could not be asked: the socket is missing, refused, or it answered nonsense (502). */
export class EngineUnavailableError extends Error {}

export interface EngineAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Readable;
}

export class GateEngine {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private pinned: string | null = null;
  private pinning: Promise<string> | null = null;

  constructor(readonly socketPath: string) {}

  /** The pinned API version: asked of the engine once (again after a failure). */
  version(): Promise<string> {
    if (this.pinned) return Promise.resolve(this.pinned);
    this.pinning ??= this.json("GET", "/version", [], false)
      .then(({ status, body }) => {
        const api = (body as { ApiVersion?: unknown } | null)?.ApiVersion;
        if (status !== 200 || typeof api !== "string" || !/^\d+\.\d+$/.test(api)) {
          throw new EngineUnavailableError(`the engine's /version answered ${status} without an ApiVersion`);
        }
        if (compareVersions(api, MIN_API_VERSION) < 0) {
          throw new EngineUnavailableError(
            `the engine speaks API ${api}; the gate needs ${MIN_API_VERSION} or later`,
          );
        }
        this.pinned = compareVersions(api, MAX_API_VERSION) < 0 ? api : MAX_API_VERSION;
        return this.pinned;
      })
      .finally(() => {
        this.pinning = null;
      });
    return this.pinning;
  }

  /** Sends a call the gate built, `/v<pinned>` put before its path; `body` is the tar of a restore. */
  async send(c: EngineCall, tar?: Readable): Promise<EngineAnswer> {
    const version = await this.version();
    return this.raw(c, `/v${version}`, tar);
  }

  /** The JSON answer of a small GET the gate asks for itself (its own checks). */
  async json(
    method: "GET",
    path: string,
    query: [string, string][],
    versioned = true,
  ): Promise<{ status: number; body: unknown }> {
    const p = versioned ? `/v${await this.version()}` : "";
    const answer = await this.raw({ method, path, query, body: { kind: "none" } }, p);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of answer.body) {
      size += (c as Buffer).length;
      if (size > 64 * 1024 * 1024) throw new EngineUnavailableError("the engine answered too much");
      chunks.push(c as Buffer);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    try {
      return { status: answer.status, body: text.trim() === "" ? null : JSON.parse(text) };
    } catch {
      throw new EngineUnavailableError(
        `the engine answered ${method} ${path} with something that is not JSON`,
      );
    }
  }

  private raw(c: EngineCall, prefix: string, tar?: Readable): Promise<EngineAnswer> {
    const qs = c.query.length ? `?${new URLSearchParams(c.query).toString()}` : "";
    const headers: http.OutgoingHttpHeaders = { Host: "docker" };
    if (c.body.kind === "bytes") {
      headers["Content-Type"] = c.body.contentType;
      headers["Content-Length"] = c.body.bytes.length;
    } else if (c.body.kind === "tar") {
      headers["Content-Type"] = "application/x-tar";
      headers["Transfer-Encoding"] = "chunked";
    }
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method: c.method,
          path: `${prefix}${c.path}${qs}`,
          headers,
        },
        (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
      );
      req.setTimeout(120_000, () =>
        req.destroy(new EngineUnavailableError("the engine did not answer within 120 s")),
      );
      req.on("error", (err) =>
        reject(
          err instanceof EngineUnavailableError || err instanceof TarRefusedError
            ? err
            : new EngineUnavailableError(
                `the engine's socket ${this.socketPath} cannot be reached: ${fileErrorText(err)}`,
              ),
        ),
      );
      if (c.body.kind === "bytes") req.end(c.body.bytes);
      else if (c.body.kind === "tar" && tar) {
        tar.on("error", (err) => req.destroy(err));
        // Refused before the request was made: it must not go on with the body cut short.
        if (tar.destroyed) req.destroy(new TarRefusedError("the archive was refused"));
        else tar.pipe(req);
      } else req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Streaming exchanges with an engine (backups and restores): a request whose answer is a stream
 * (GET /containers/{id}/archive) or whose body is one (PUT /containers/{id}/archive), or a small
 * JSON body (POST /containers/create, /volumes/create), on the transport of a connection
 * (connection.ts: the same agent, TLS context and verification).
 *
 * Deadlines: the connection's deadline (the host's timeoutSeconds) covers everything until the
 * stream flows: connecting, the TLS handshake, and, for a request without a streamed body, the
 * answer's headers. From then on a stall timeout applies instead: the exchange fails when no byte
 * moved in either direction for `stallMs` (a volume of any size can stream, a dead one cannot
 * hang). An optional `signal` (the worker's time budget) stops the exchange at any point.
 */
import type http from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { Readable, Transform } from "node:stream";
import type { HostConfig } from "../config/types.js";
import { HostError } from "../errors.js";
import { classifyFailure, engineAnswerError } from "./failures.js";

/** No byte in either direction for this long ends a stream (default). */
export const DEFAULT_STALL_MS = 30_000;
/** The most of an error answer, or of a JSON answer, that is read. */
const MAX_SMALL_ANSWER = 1024 * 1024;

export interface StreamRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** The path with the version prefix, e.g. `/v1.41/containers/abc/archive`. */
  path: string;
  /** Query pairs, in order, each encoded with encodeURIComponent (`%20`, never `+`). */
  query?: readonly (readonly [string, string])[];
  headers?: Record<string, string>;
  /** The request body: bytes, or a stream piped with backpressure. */
  body?: Buffer | Readable;
  /** Status codes that are answers; anything else is a HostError with the engine's message. */
  ok?: readonly number[];
  stallMs?: number;
  /** Stops the exchange (a time budget); its reason is the error. */
  signal?: AbortSignal;
}

export interface StreamAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The answer's body; it fails with a HostError when the stream stalls or breaks. */
  body: Readable;
}

/** What a connection lends a stream: its host, agent, target, client and deadline. */
export interface StreamTransport {
  host: HostConfig;
  agent: http.Agent;
  target: http.RequestOptions;
  request: typeof http.request;
  deadline: AbortSignal;
  /** Headers every request carries (Host: docker on a socket). */
  headers: Record<string, string>;
  /** Told of each answer's headers (the connection reads Api-Version and Server from them). */
  onAnswer?: (res: http.IncomingMessage) => void;
}

/** `?a=1&b=2`, each part encoded with encodeURIComponent, in the order given. */
export function encodeQuery(query: StreamRequest["query"]): string {
  if (!query || query.length === 0) return "";
  return `?${query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}`;
}

/** The stall as a HostError (timeout), with what to do about it. */
function stallError(host: HostConfig, ms: number): HostError {
  return new HostError(host.name, "timeout", `the stream stalled: no data for ${ms / 1000} s`, {
    hint: "The engine or the network stopped moving data: check the host, then try again.",
  });
}

/**
 * Sends one streaming request. Resolves once the answer's headers came with an accepted status
 * (its body then streams); an unaccepted status is a HostError with the engine's message.
 */
export function openStream(t: StreamTransport, req: StreamRequest): Promise<StreamAnswer> {
  const stallMs = req.stallMs ?? DEFAULT_STALL_MS;
  return new Promise<StreamAnswer>((resolve, reject) => {
    const abort = new AbortController();
    let settled = false;
    let failure: unknown = null;
    let stall: NodeJS.Timeout | undefined;
    let answerBody: Transform | null = null;
    const fail = (err: unknown) => {
      if (failure !== null) return;
      failure = classifyFailure(t.host, err);
      clearTimeout(stall);
      abort.abort(failure);
      if (!settled) {
        settled = true;
        reject(failure);
      } else answerBody?.destroy(failure as Error);
    };
    const onDeadline = () => fail(t.deadline.reason);
    const onSignal = () => fail(req.signal?.reason);
    const armStall = () => {
      clearTimeout(stall);
      stall = setTimeout(() => fail(stallError(t.host, stallMs)), stallMs);
      stall.unref?.();
    };
    /** From now on the stall timeout, not the connection's deadline, bounds the exchange. */
    const flowing = () => {
      t.deadline.removeEventListener("abort", onDeadline);
      armStall();
    };
    if (t.deadline.aborted) return fail(t.deadline.reason);
    if (req.signal?.aborted) return fail(req.signal.reason);
    t.deadline.addEventListener("abort", onDeadline, { once: true });
    req.signal?.addEventListener("abort", onSignal, { once: true });

    const body = req.body;
    const r = t.request(
      {
        ...t.target,
        agent: t.agent,
        method: req.method,
        path: req.path + encodeQuery(req.query),
        headers: {
          Accept: "application/json",
          ...t.headers,
          ...(Buffer.isBuffer(body) ? { "Content-Length": String(body.length) } : {}),
          ...req.headers,
        },
        signal: abort.signal,
      },
      (res) => {
        t.onAnswer?.(res);
        flowing();
        const status = res.statusCode ?? 0;
        res.on("error", fail);
        res.on("aborted", () =>
          fail(new HostError(t.host.name, "protocol", "the engine broke off its answer")),
        );
        if (!(req.ok ?? [200]).includes(status)) {
          readSmall(res)
            .then((raw) => {
              let json: unknown = null;
              try {
                json = JSON.parse(raw.toString("utf8"));
              } catch {
                // not JSON: the text is the message
              }
              fail(engineAnswerError(t.host, status, json, { fallback: raw.toString("utf8").slice(0, 200) }));
            })
            .catch(fail);
          return;
        }
        // The body passes through a watch that re-arms the stall timeout on each chunk (a data
        // listener on the answer itself would start it flowing before the caller reads).
        const watch = new Transform({
          transform(chunk, _enc, cb) {
            armStall();
            cb(null, chunk);
          },
        });
        answerBody = watch;
        res.on("end", () => {
          clearTimeout(stall);
          req.signal?.removeEventListener("abort", onSignal);
          // A socket closed before the last chunk: Node marks the answer incomplete.
          if (!res.complete) fail(new HostError(t.host.name, "protocol", "the engine's answer ended early"));
        });
        watch.on("close", () => {
          clearTimeout(stall);
          if (!res.complete) res.destroy();
        });
        res.pipe(watch);
        settled = true;
        resolve({ status, headers: res.headers, body: watch });
      },
    );
    r.on("error", fail);
    if (body === undefined) r.end();
    else if (Buffer.isBuffer(body)) r.end(body);
    else {
      r.on("socket", (s) => {
        // The TLS handshake (or the unix connect) is still the deadline's; the upload is the stall's.
        if (s.connecting) {
          s.once(t.host.endpoint.kind === "tcp" ? "secureConnect" : "connect", flowing);
        } else flowing();
      });
      body.on("data", armStall);
      body.on("error", (err) => fail(err));
      body.pipe(r);
    }
  });
}

/** Reads a small answer whole (an error, a JSON document); more than 1 MiB is a protocol error. */
export function readSmall(body: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_SMALL_ANSWER)
        body.destroy(new Error(`an answer of more than ${MAX_SMALL_ANSWER} bytes`));
      else chunks.push(c);
    });
    body.on("error", reject);
    body.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

/** The JSON of a small streamed answer (null when empty). */
export async function readJson<T>(host: string, answer: StreamAnswer): Promise<T> {
  const raw = (await readSmall(answer.body)).toString("utf8");
  if (raw.trim() === "") return null as T;
  try {
    return JSON.parse(raw) as T;
  } catch (cause) {
    throw new HostError(host, "protocol", "answered with something that is not JSON", { cause });
  }
}

/** A JSON request body. */
export function jsonBody(value: unknown): Pick<StreamRequest, "body" | "headers"> {
  return { body: Buffer.from(JSON.stringify(value)), headers: { "Content-Type": "application/json" } };
}

/** Bytes as a stream (tests, the empty image tar). */
export const streamOf = (b: Buffer): Readable => Readable.from([b]);

// A STAND-IN for the Slack Web API, on loopback, because no local Slack exists. dvol's code talks to
// it through SLACK_API_URL exactly as it talks to Slack: the same wire format (form-encoded or JSON
// bodies, `Authorization: Bearer <token>`, answers `{ ok, ... }` with HTTP 200), the same methods
// dvol uses (chat.postMessage, chat.postEphemeral, chat.update, usergroups.users.list,
// files.getUploadURLExternal + the upload to the URL it hands out + files.completeUploadExternal,
// auth.test), and response_url endpoints. It keeps the messages posted (as updated since), and it
// records every call, so tests can check what the bot posted, and refuses what Slack refuses:
// an unknown or missing token (`not_authed`, `invalid_auth`), a message without text or blocks
// (`no_text`), more than 50 blocks (`invalid_blocks`), a file completed that was never uploaded,
// an update of a message that was never posted (`message_not_found`), an unknown user group
// (`no_such_subteam`).
// For Socket Mode it answers apps.connections.open (app token) with a WebSocket URL of its own,
// says `hello` there as Slack does, and sends envelopes whose acknowledgements tests can await.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

export interface RecordedCall {
  /** The Web API method (`chat.postMessage`), or `upload` / `response_url` for those endpoints. */
  method: string;
  path: string;
  /** The bearer token sent, if any. */
  token: string | null;
  contentType: string;
  /** The call's arguments: form fields or JSON, with `blocks`, `files`, `attachments` parsed. */
  args: Record<string, unknown>;
  /** The raw body. */
  body: Buffer;
  at: number;
}

export interface StandinUpload {
  fileId: string;
  filename: string;
  length: number;
  /** What was uploaded to the upload URL (multipart file part or raw body). */
  content: Buffer | null;
  completed: { channel_id?: string; thread_ts?: string; title?: string } | null;
}

export interface StandinResponse {
  /** The response_url's id (see `responseUrl()`). */
  id: string;
  json: Record<string, unknown>;
  at: number;
}

/** What a Socket Mode client sent back for an envelope: its acknowledgement. */
/** A message the bot posted, as it is now (after any chat.update). */
export interface StandinMessage {
  channel: string;
  ts: string;
  /** The thread it was posted in, or null for a message in the channel itself. */
  threadTs: string | null;
  text: string;
  blocks: unknown[];
  /** How many times it was updated. */
  updates: number;
}

export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface SlackStandin {
  /** The Web API base URL, to use as SLACK_API_URL (`http://127.0.0.1:PORT/api/`). */
  readonly apiUrl: string;
  /** Every call, in order of arrival. */
  readonly calls: RecordedCall[];
  readonly uploads: Map<string, StandinUpload>;
  readonly responses: StandinResponse[];
  /** Messages posted with chat.postMessage, by `${channel}/${ts}`, as updated since. */
  readonly messages: Map<string, StandinMessage>;
  /** A posted message as it is now. */
  message(channel: string, ts: string): StandinMessage | undefined;
  /** Messages posted in the thread of `threadTs`, in order. */
  thread(channel: string, threadTs: string): StandinMessage[];
  /** Sets the members of a user group (usergroups.users.list). */
  setUsergroup(id: string, users: string[]): void;
  /** Calls of one method. */
  callsTo(method: string): RecordedCall[];
  /** A fresh response_url served by the stand-in; posts to it are recorded under `id`. */
  responseUrl(id?: string): string;
  /** Responses posted to the response_url with this id. */
  responsesTo(id: string): StandinResponse[];
  /** Makes the next call (or the next `times` calls) to `method` answer `{ ok: false, error }`. */
  failNext(method: string, error: string, times?: number): void;
  /** Resolves once `predicate` holds, checked on every call; rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** How many Socket Mode clients are connected. */
  socketCount(): number;
  /** Resolves once a Socket Mode client is connected (and was sent `hello`). */
  socketConnected(timeoutMs?: number): Promise<void>;
  /**
   * Sends an envelope over the Socket Mode connection (`slash_commands`, `interactive`,
   * `events_api`) and resolves with the client's acknowledgement.
   */
  sendEnvelope(
    type: "slash_commands" | "interactive" | "events_api",
    payload: Record<string, unknown>,
    opts?: { retryAttempt?: number; timeoutMs?: number },
  ): Promise<SocketAck>;
  /** Forgets what was recorded. */
  reset(): void;
  close(): Promise<void>;
}

export interface StandinOptions {
  /** The bot token to accept; any `xoxb-` token when undefined. */
  token?: string;
  /** The app-level token (Socket Mode) to accept; any `xapp-` token when undefined. */
  appToken?: string;
  /** User groups and their members, for usergroups.users.list. */
  usergroups?: Record<string, string[]>;
}

const JSON_ARGS = new Set(["blocks", "attachments", "files", "metadata"]);

function parseArgs(body: Buffer, contentType: string): Record<string, unknown> {
  const type = contentType.split(";")[0]?.trim().toLowerCase();
  const text = body.toString("utf8");
  if (type === "application/json") return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    out[k] = JSON_ARGS.has(k) && /^[[{]/.test(v) ? JSON.parse(v) : v;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": typeof body === "string" ? "text/plain" : "application/json; charset=utf-8",
  });
  res.end(text);
}

export async function startSlackStandin(opts: StandinOptions = {}): Promise<SlackStandin> {
  const calls: RecordedCall[] = [];
  const uploads = new Map<string, StandinUpload>();
  const responses: StandinResponse[] = [];
  const messages = new Map<string, StandinMessage>();
  const usergroups = new Map<string, string[]>(Object.entries(opts.usergroups ?? {}));
  const failures = new Map<string, string[]>();
  const waiters = new Set<() => void>();
  let seq = 100;
  let base = "";

  const nextTs = () => `1790000000.${String(seq++).padStart(6, "0")}`;
  const notify = () => {
    for (const w of [...waiters]) w();
  };

  const authError = (token: string | null): string | null => {
    if (!token) return "not_authed";
    if (opts.token !== undefined ? token !== opts.token : !token.startsWith("xoxb-")) return "invalid_auth";
    return null;
  };

  async function api(method: string, call: RecordedCall): Promise<Record<string, unknown>> {
    const queued = failures.get(method);
    const forced = queued?.shift();
    if (forced) return { ok: false, error: forced };
    if (method === "apps.connections.open") {
      const t = call.token;
      if (!t) return { ok: false, error: "not_authed" };
      if (opts.appToken !== undefined ? t !== opts.appToken : !t.startsWith("xapp-")) {
        return { ok: false, error: "invalid_auth" };
      }
      return {
        ok: true,
        url: `${base.replace(/^http/, "ws")}/link/?ticket=${randomBytes(8).toString("hex")}`,
      };
    }
    const auth = authError(call.token);
    if (auth) return { ok: false, error: auth };
    const a = call.args;
    switch (method) {
      case "auth.test":
        return {
          ok: true,
          url: "https://example.slack.com/",
          team: "Example",
          user: "dvol",
          team_id: "T0001",
          user_id: "U0BOT",
          bot_id: "B0BOT",
        };
      case "chat.postMessage":
      case "chat.postEphemeral": {
        if (typeof a.channel !== "string" || a.channel === "")
          return { ok: false, error: "channel_not_found" };
        const blocks = a.blocks;
        if (blocks !== undefined && !Array.isArray(blocks))
          return { ok: false, error: "invalid_blocks_format" };
        if (Array.isArray(blocks) && blocks.length > 50) return { ok: false, error: "invalid_blocks" };
        if (!a.text && !(Array.isArray(blocks) && blocks.length > 0)) return { ok: false, error: "no_text" };
        if (method === "chat.postEphemeral") {
          if (typeof a.user !== "string") return { ok: false, error: "user_not_found" };
          return { ok: true, message_ts: nextTs() };
        }
        const ts = nextTs();
        const threadTs = typeof a.thread_ts === "string" && a.thread_ts !== "" ? a.thread_ts : null;
        messages.set(`${a.channel}/${ts}`, {
          channel: a.channel,
          ts,
          threadTs,
          text: typeof a.text === "string" ? a.text : "",
          blocks: Array.isArray(blocks) ? blocks : [],
          updates: 0,
        });
        return {
          ok: true,
          channel: a.channel,
          ts,
          message: { type: "message", user: "U0BOT", bot_id: "B0BOT", text: a.text, blocks, ts },
        };
      }
      case "chat.update": {
        if (typeof a.channel !== "string" || a.channel === "")
          return { ok: false, error: "channel_not_found" };
        if (typeof a.ts !== "string" || a.ts === "") return { ok: false, error: "message_not_found" };
        const found = messages.get(`${a.channel}/${a.ts}`);
        if (!found) return { ok: false, error: "message_not_found" };
        const blocks = a.blocks;
        if (blocks !== undefined && !Array.isArray(blocks))
          return { ok: false, error: "invalid_blocks_format" };
        if (Array.isArray(blocks) && blocks.length > 50) return { ok: false, error: "invalid_blocks" };
        if (!a.text && !(Array.isArray(blocks) && blocks.length > 0)) return { ok: false, error: "no_text" };
        if (typeof a.text === "string") found.text = a.text;
        if (Array.isArray(blocks)) found.blocks = blocks;
        found.updates++;
        return {
          ok: true,
          channel: a.channel,
          ts: a.ts,
          text: found.text,
          message: {
            type: "message",
            user: "U0BOT",
            bot_id: "B0BOT",
            text: found.text,
            blocks: found.blocks,
          },
        };
      }
      case "usergroups.users.list": {
        const id = a.usergroup;
        if (typeof id !== "string" || id === "") return { ok: false, error: "invalid_arguments" };
        const users = usergroups.get(id);
        if (!users) return { ok: false, error: "no_such_subteam" };
        return { ok: true, users: [...users] };
      }
      case "files.getUploadURLExternal": {
        const filename = a.filename;
        const length = Number(a.length);
        if (typeof filename !== "string" || filename === "") return { ok: false, error: "invalid_arguments" };
        if (!Number.isInteger(length) || length <= 0) return { ok: false, error: "invalid_arguments" };
        const fileId = `F${randomBytes(5).toString("hex").toUpperCase()}`;
        uploads.set(fileId, { fileId, filename, length, content: null, completed: null });
        return { ok: true, upload_url: `${base}/upload/v1/${fileId}`, file_id: fileId };
      }
      case "files.completeUploadExternal": {
        const files = a.files;
        if (!Array.isArray(files) || files.length === 0) return { ok: false, error: "invalid_arguments" };
        const done = [];
        for (const f of files as { id?: string; title?: string }[]) {
          const up = f.id ? uploads.get(f.id) : undefined;
          if (!up || up.content === null) return { ok: false, error: "file_not_found" };
          up.completed = {
            ...(typeof a.channel_id === "string" ? { channel_id: a.channel_id } : {}),
            ...(typeof a.thread_ts === "string" ? { thread_ts: a.thread_ts } : {}),
            ...(f.title ? { title: f.title } : {}),
          };
          done.push({
            id: up.fileId,
            name: up.filename,
            title: f.title ?? up.filename,
            size: up.content.length,
          });
        }
        return { ok: true, files: done };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", base);
    const body = await readBody(req);
    const contentType = String(req.headers["content-type"] ?? "");
    const authz = String(req.headers.authorization ?? "");
    const token = authz.startsWith("Bearer ") ? authz.slice("Bearer ".length) : null;
    const record = (method: string, args: Record<string, unknown>): RecordedCall => {
      const call = { method, path: url.pathname, token, contentType, args, body, at: Date.now() };
      calls.push(call);
      return call;
    };

    if (req.method !== "POST") return send(res, 405, "method not allowed");

    if (url.pathname.startsWith("/api/")) {
      const method = url.pathname.slice("/api/".length);
      let args: Record<string, unknown>;
      try {
        args = parseArgs(body, contentType);
      } catch {
        record(method, {});
        return send(res, 200, { ok: false, error: "invalid_json" });
      }
      // Slack takes the token from the body too (form calls), as a fallback to the header.
      const call = record(method, args);
      if (!call.token && typeof args.token === "string") call.token = args.token;
      const answer = await api(method, call);
      send(res, 200, answer);
      return;
    }

    const upload = /^\/upload\/v1\/(F[0-9A-F]+)$/.exec(url.pathname);
    if (upload) {
      const up = uploads.get(upload[1] as string);
      record("upload", { fileId: upload[1] });
      if (!up) return send(res, 404, "not found");
      let content = body;
      if (contentType.toLowerCase().startsWith("multipart/form-data")) {
        const form = await new Response(body, { headers: { "content-type": contentType } }).formData();
        const part = [...form.values()].find((v) => typeof v !== "string") as Blob | undefined;
        content = part ? Buffer.from(await part.arrayBuffer()) : Buffer.alloc(0);
      }
      up.content = content;
      return send(res, 200, `OK - ${content.length}`);
    }

    const respond = /^\/response\/([\w-]+)$/.exec(url.pathname);
    if (respond) {
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
      } catch {
        record("response_url", {});
        return send(res, 400, "invalid_payload");
      }
      record("response_url", { id: respond[1], ...json });
      responses.push({ id: respond[1] as string, json, at: Date.now() });
      return send(res, 200, "ok");
    }

    record("unknown", {});
    send(res, 404, "not found");
  }

  const server: Server = createServer((req, res) => {
    handle(req, res)
      .catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, String(err));
      })
      .finally(notify);
  });
  // Socket Mode: one WebSocket endpoint, `hello` on connect, acknowledgements matched by envelope_id.
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<WebSocket>();
  const pendingAcks = new Map<string, (ack: SocketAck) => void>();
  server.on("upgrade", (req, socket, head) => {
    if (!(req.url ?? "").startsWith("/link/")) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on("close", () => {
        sockets.delete(ws);
        notify();
      });
      ws.on("message", (data) => {
        let msg: SocketAck;
        try {
          msg = JSON.parse(String(data)) as SocketAck;
        } catch {
          return;
        }
        pendingAcks.get(msg.envelope_id)?.(msg);
        pendingAcks.delete(msg.envelope_id);
      });
      ws.send(
        JSON.stringify({
          type: "hello",
          num_connections: 1,
          debug_info: { host: "slack-standin", build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: "A0DVOL" },
        }),
      );
      notify();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const waitFor = (predicate: () => boolean, timeoutMs = 15_000): Promise<void> => {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`slack stand-in: condition not met within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
    });
  };

  return {
    apiUrl: `${base}/api/`,
    calls,
    uploads,
    responses,
    messages,
    message: (channel, ts) => messages.get(`${channel}/${ts}`),
    thread: (channel, threadTs) =>
      [...messages.values()].filter((m) => m.channel === channel && m.threadTs === threadTs),
    setUsergroup(id, users) {
      usergroups.set(id, [...users]);
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    responseUrl: (id = randomBytes(6).toString("hex")) => `${base}/response/${id}`,
    responsesTo: (id) => responses.filter((r) => r.id === id),
    failNext(method, error, times = 1) {
      failures.set(method, [...(failures.get(method) ?? []), ...Array<string>(times).fill(error)]);
    },
    waitFor,
    socketCount: () => sockets.size,
    socketConnected(timeoutMs = 15_000) {
      return waitFor(() => sockets.size > 0, timeoutMs);
    },
    sendEnvelope(type, payload, o = {}) {
      const ws = [...sockets][0];
      if (!ws) return Promise.reject(new Error("slack stand-in: no Socket Mode client is connected"));
      const envelope_id = randomBytes(8).toString("hex");
      return new Promise<SocketAck>((resolve, reject) => {
        const timer = setTimeout(() => {
          pendingAcks.delete(envelope_id);
          reject(new Error(`slack stand-in: envelope ${envelope_id} not acknowledged`));
        }, o.timeoutMs ?? 5000);
        pendingAcks.set(envelope_id, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
        ws.send(
          JSON.stringify({
            envelope_id,
            type,
            payload,
            accepts_response_payload: type !== "events_api",
            retry_attempt: o.retryAttempt ?? 0,
            retry_reason: o.retryAttempt ? "timeout" : "",
          }),
        );
      });
    },
    reset() {
      calls.length = 0;
      responses.length = 0;
      uploads.clear();
      messages.clear();
      failures.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const ws of sockets) ws.close(1001, "stand-in closing");
        wss.close();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

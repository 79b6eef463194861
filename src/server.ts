/**
 * dvol in one local process (`npm start`): the same /dvol router as the Lambda handler, behind
 * Bolt's own HTTPReceiver on PORT (default 3000), path /slack/events, or in Socket Mode when
 * SLACK_APP_TOKEN is set; jobs run in-process on the runtime the worker and report functions build
 * (src/jobs/runtime.ts), each only once its request's acknowledgement is written, and at most
 * IN_PROCESS_JOB_CONCURRENCY at once, so that a burst of commands never holds the
 * acknowledgements back (Slack's 3 s). Deletion requests live in the store
 * openStore opens (the embedded SQLite file under DVOL_STATE_DIR; DynamoDB when DVOL_TABLE is
 * set), opened by the first job that needs it and closed by stop().
 *
 * Bolt's HTTPReceiver verifies requests its own way, which SPEC §6 does not allow (it accepts
 * timestamps from the future, and answers 400 to `application/x-www-form-urlencoded;
 * charset=utf-8`). So the HTTP server in front of it reads the raw body, verifies and parses it
 * with verifyAndParse, as the Lambda handler's receiver does (401 for anything unsigned or stale,
 * 400 for a signed request that is malformed), and only then hands the request, already buffered,
 * to the receiver's request listener, with its own verification off. A listener that fails is
 * logged and answered as the Lambda receiver answers it, never with Bolt's bare 500.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type App, HTTPReceiver, type Receiver } from "@slack/bolt";
import { loadConfig } from "./config/load.js";
import type { Config } from "./config/types.js";
import type { ConnectionFactory } from "./docker/connection.js";
import { describeError } from "./errors.js";
import { type InProcessDispatcher, inProcessDispatcher } from "./jobs/dispatch.js";
import { logFieldsOf } from "./jobs/job.js";
import { postDailyReport } from "./jobs/run-report.js";
import { runWorkerJob } from "./jobs/run-request.js";
import { functionRuntime } from "./jobs/runtime.js";
import { createLogger, errorFields, type Logger, withFields } from "./log.js";
import { parseCron, scheduleCron } from "./report/cron.js";
import { mediaType } from "./slack/apigw.js";
import { createSlackApp } from "./slack/app.js";
import { verifyAndParse } from "./slack/inbound.js";
import type { SlackOutbox, SlackThreadOutbox } from "./slack/post.js";
import type { Store } from "./store/store.js";

export const EVENTS_PATH = "/slack/events";
export const DEFAULT_PORT = 3000;
/** The answer to a request whose listener failed before acknowledging it (as ApiGatewayReceiver's). */
const LISTENER_FAILED = {
  response_type: "ephemeral",
  text: "dvol could not handle this request (an unexpected error, logged).",
};
/** Slack's payloads are small; anything much larger is not from Slack. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface ServerOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides PORT (0: any free port). */
  port?: number;
  /** Address to listen on (default: all interfaces, as Bolt does). */
  host?: string;
  /** Replaces the TLS connection factory (tests). */
  connect?: ConnectionFactory;
  /** Replaces the Web API poster (tests); deletion requests need a SlackThreadOutbox. */
  slack?: SlackOutbox | SlackThreadOutbox;
  /** Replaces the store openStore(env) opens (tests); the caller then closes it. */
  store?: Store;
  logger?: Logger;
  /** Current time in ms, for verification (tests). */
  now?: () => number;
}

export interface RunningServer {
  mode: "http" | "socket";
  /** `http://host:port/slack/events` in HTTP mode; null in Socket Mode. */
  url: string | null;
  port: number | null;
  app: App;
  config: Config;
  /** Jobs run here; `idle()` resolves when all have finished. */
  jobs: InProcessDispatcher;
  stop(): Promise<void>;
}

/** Starts the local server; the config is loaded and validated first, so a bad one fails at start. */
export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const env = opts.env ?? process.env;
  const log = opts.logger ?? createLogger({ env });
  const config = await loadConfig({ env });
  // The store is opened on the first job that needs it (read commands need none); a failed open
  // is tried again; stop() closes it.
  const runtime = functionRuntime({ env, connect: opts.connect, slack: opts.slack, store: opts.store });
  const botToken = await runtime.secrets.botToken();
  // The request being handled, as the listener that dispatches a job sees it: its acknowledgement
  // written (or the connection gone). Socket Mode has none: its jobs wait a turn of the loop.
  const acked = new AsyncLocalStorage<Promise<void>>();
  const jobs = inProcessDispatcher(
    (job) =>
      runWorkerJob(job, {
        config: async () => config,
        connect: (c) => runtime.connect(c),
        slack: runtime.outbox,
        store: runtime.store,
        backups: (c) => runtime.backups(c),
        dvolVersion: env.DVOL_VERSION || "unknown",
        logger: withFields(log, logFieldsOf(job)),
      }),
    log,
    { startAfter: () => acked.getStore() },
  );
  // DVOL_REPORT_CRON (5 fields, UTC): the daily report in-process, as the report function does on
  // AWS (once per date, in report.channel). A bad expression fails the start.
  const cron = env.DVOL_REPORT_CRON?.trim();
  const schedule = cron
    ? scheduleCron(
        parseCron(cron),
        () =>
          postDailyReport({
            config: async () => config,
            connect: (c) => runtime.connect(c),
            slack: runtime.outbox,
            store: runtime.store,
            logger: withFields(log, { job_kind: "daily-report" }),
          }),
        { logger: log },
      )
    : null;
  const routerDeps = {
    config: async () => config,
    dispatch: jobs,
    slackApiUrl: env.SLACK_API_URL,
    botToken,
    logger: log,
  };

  const appToken = env.SLACK_APP_TOKEN?.trim();
  if (appToken) {
    // Socket Mode: Slack authenticates the WebSocket with the app token; nothing to verify here.
    const { SocketModeReceiver } = await import("@slack/bolt");
    const receiver: Receiver = new SocketModeReceiver({
      appToken,
      ...(env.SLACK_API_URL
        ? { installerOptions: { clientOptions: { slackApiUrl: env.SLACK_API_URL } } }
        : {}),
    });
    const app = createSlackApp({ receiver, ...routerDeps });
    await app.start();
    return {
      mode: "socket",
      url: null,
      port: null,
      app,
      config,
      jobs,
      stop: async () => {
        schedule?.stop();
        await app.stop();
        await jobs.idle();
        await runtime.close();
      },
    };
  }

  const signingSecret = await runtime.secrets.signingSecret();
  const receiver = new HTTPReceiver({
    signingSecret,
    signatureVerification: false, // verified below, as SPEC §6 says
    endpoints: EVENTS_PATH,
    unhandledRequestTimeoutMillis: 3001,
    processEventErrorHandler: async ({ error, response }) => {
      log.error(`dvol: a listener failed: ${describeError(error)}`, errorFields(error));
      if (response.headersSent) return false;
      response.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      response.end(JSON.stringify(LISTENER_FAILED));
      return true;
    },
  });
  const app = createSlackApp({ receiver, ...routerDeps });
  const now = opts.now ?? Date.now;

  const server: Server = createServer((req, res) => {
    frontDoor(req, res).catch((err: unknown) => {
      log.error(`dvol: request failed: ${describeError(err)}`, errorFields(err));
      if (!res.headersSent) reply(res, 500, "internal error");
    });
  });

  async function frontDoor(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== EVENTS_PATH) return reply(res, 404, "not found");
    if (req.method !== "POST") return reply(res, 405, "method not allowed");
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === null) return reply(res, 413, "too large");
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[0] : v;
    const inbound = await verifyAndParse({ body, headers }, () => Promise.resolve(signingSecret), now(), log);
    if (!inbound.ok) return reply(res, inbound.status, inbound.text);
    // Hand Bolt the buffered body (it then reads no stream), and the bare media type it compares.
    req.headers["content-type"] = mediaType(headers["content-type"]);
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    const written = new Promise<void>((resolve) => {
      res.once("finish", resolve);
      res.once("close", resolve);
    });
    acked.run(written, () => receiver.requestListener(req, res));
  }

  const port = opts.port ?? (env.PORT ? Number(env.PORT) : DEFAULT_PORT);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const host = opts.host ?? "localhost";
  return {
    mode: "http",
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}${EVENTS_PATH}`,
    port: bound,
    app,
    config,
    jobs,
    stop: async () => {
      schedule?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await jobs.idle();
      await runtime.close();
    },
  };
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(text);
}

/** The body, or null when it is larger than `limit`. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(over ? null : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

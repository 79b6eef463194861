/**
 * A Bolt receiver for API Gateway HTTP API events (payload format 2.0), in place of Bolt's
 * AwsLambdaReceiver, which gets verification wrong: it decodes base64 bodies as ASCII (non-ASCII
 * text then fails to verify), accepts timestamps from the future, answers an unsigned text/plain
 * body with a 5xx, and cannot parse `application/x-www-form-urlencoded; charset=utf-8`.
 *
 * This one verifies the raw body bytes with `verifySlackRequest` (SPEC §6) before anything else:
 * whatever is unsigned, stale, badly signed or malformed gets 401 and a short body, never a 5xx,
 * and reaches no listener. It then parses slash commands (form fields) and interactivity
 * (`payload=` JSON), hands the event to the App, and returns what the listener acked.
 */
import type { App, Receiver, ReceiverEvent } from "@slack/bolt";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { cached } from "../cached.js";
import { describeError } from "../errors.js";
import { errorFields } from "../log.js";
import { jsonResult, lowerHeaders, mediaType, rawBody, textResult } from "./apigw.js";
import { verifySlackRequest } from "./verify.js";

export type ReceiverLogger = Pick<Console, "info" | "warn" | "error">;

export interface ApiGatewayReceiverOptions {
  /** The signing secret, or how to get it (read once, on the first request). */
  signingSecret: string | (() => Promise<string>);
  /** Current time in ms (tests). */
  now?: () => number;
  logger?: ReceiverLogger;
}

export type ParsedBody = { ok: true; body: Record<string, unknown> } | { ok: false; reason: string };

/** Parses a verified Slack body: form fields (slash commands), `payload=` JSON (interactivity), or JSON. */
export function parseSlackBody(body: Buffer, contentType: string | undefined): ParsedBody {
  const type = mediaType(contentType);
  const text = body.toString("utf8");
  if (type === "application/x-www-form-urlencoded") {
    const fields: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(text)) fields[k] = v;
    if (fields.payload === undefined) return { ok: true, body: fields };
    return parseJsonObject(fields.payload);
  }
  if (type === "application/json") return parseJsonObject(text);
  return { ok: false, reason: `unsupported content type "${type || "none"}"` };
}

function parseJsonObject(text: string): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "body is not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "body is not a JSON object" };
  }
  return { ok: true, body: value as Record<string, unknown> };
}

export class ApiGatewayReceiver implements Receiver {
  private app: App | undefined;
  private readonly now: () => number;
  private readonly logger: ReceiverLogger;
  private readonly signingSecret: () => Promise<string>;

  constructor(opts: ApiGatewayReceiverOptions) {
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger ?? console;
    const s = opts.signingSecret;
    this.signingSecret = typeof s === "string" ? () => Promise.resolve(s) : cached(s);
  }

  init(app: App): void {
    this.app = app;
  }

  /** Nothing to listen on: API Gateway calls `handle`. Resolves to the handler, as AwsLambdaReceiver does. */
  start(): Promise<(event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>> {
    return Promise.resolve((event) => this.handle(event));
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  async handle(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
    const method = event.requestContext?.http?.method ?? "POST";
    if (method !== "POST") return textResult(405, "method not allowed");
    const body = rawBody(event);
    const headers = lowerHeaders(event.headers);

    // Unsigned requests are refused before the secret is needed, so they get 401 even when the
    // secret cannot be read (which is the deployment's fault: 503, and an error in the log).
    if (!headers["x-slack-signature"] || !headers["x-slack-request-timestamp"]) {
      this.logger.warn("dvol: refused a request: unsigned");
      return textResult(401, "invalid request: unsigned");
    }
    let secret: string;
    try {
      secret = await this.signingSecret();
    } catch (err) {
      // The deployment is broken, not the request: say so in the log, and only there.
      this.logger.error(`dvol: no signing secret: ${(err as Error).message}`);
      return textResult(503, "not configured");
    }
    const verdict = verifySlackRequest(secret, { body, headers }, this.now());
    if (!verdict.ok) {
      this.logger.warn(`dvol: refused a request: ${verdict.reason}`);
      return textResult(401, `invalid request: ${verdict.reason}`);
    }
    const parsed = parseSlackBody(body, headers["content-type"]);
    if (!parsed.ok) {
      this.logger.warn(`dvol: refused a signed request: ${parsed.reason}`);
      return textResult(401, "invalid request: malformed body");
    }
    const payload = parsed.body;
    if (payload.ssl_check !== undefined) return textResult(200, "");
    if (payload.type === "url_verification") return jsonResult({ challenge: payload.challenge });

    const app = this.app;
    if (!app) throw new Error("ApiGatewayReceiver: init(app) was not called");

    let acked = false;
    let stored: unknown;
    const retry = headers["x-slack-retry-num"];
    const receiverEvent: ReceiverEvent = {
      body: payload,
      ack: async (response?: unknown) => {
        if (acked) throw new Error("ack() was called more than once");
        acked = true;
        stored = response ?? "";
      },
      retryNum: retry !== undefined && /^\d+$/.test(retry) ? Number(retry) : undefined,
      retryReason: headers["x-slack-retry-reason"],
    };
    try {
      await app.processEvent(receiverEvent);
    } catch (err) {
      this.logger.error(`dvol: a listener failed: ${describeError(err)}`, errorFields(err));
      if (!acked) {
        return jsonResult({
          response_type: "ephemeral",
          text: "dvol could not handle this request (an unexpected error, logged).",
        });
      }
    }
    if (!acked) return textResult(404, "no listener for this request");
    if (typeof stored === "string") return textResult(200, stored);
    return jsonResult(stored);
  }
}

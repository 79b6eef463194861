/**
 * A Bolt receiver for API Gateway HTTP API events (payload format 2.0), in place of Bolt's
 * AwsLambdaReceiver, which gets verification wrong: it decodes base64 bodies as ASCII (non-ASCII
 * text then fails to verify), accepts timestamps from the future, answers an unsigned text/plain
 * body with a 5xx, and cannot parse `application/x-www-form-urlencoded; charset=utf-8`.
 *
 * This one verifies, parses and checks the raw body bytes (verifyAndParse, SPEC §6, as the local
 * server does) before anything else: whatever is unsigned, stale or badly signed gets 401, and
 * whatever is signed but malformed (no command, `actions` not a list, an unknown payload type)
 * 400, each with a short body, never a 5xx, and reaches no listener. It then hands the event to
 * the App, and returns what the listener acked.
 */
import type { App, Receiver, ReceiverEvent } from "@slack/bolt";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { cached } from "../cached.js";
import { describeError } from "../errors.js";
import { errorFields } from "../log.js";
import { jsonResult, lowerHeaders, rawBody, textResult } from "./apigw.js";
import { verifyAndParse } from "./inbound.js";

export type ReceiverLogger = Pick<Console, "info" | "warn" | "error">;

export interface ApiGatewayReceiverOptions {
  /** The signing secret, or how to get it (read once, on the first request). */
  signingSecret: string | (() => Promise<string>);
  /** Current time in ms (tests). */
  now?: () => number;
  logger?: ReceiverLogger;
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
    const headers = lowerHeaders(event.headers);
    const inbound = await verifyAndParse(
      { body: rawBody(event), headers },
      this.signingSecret,
      this.now(),
      this.logger,
    );
    if (!inbound.ok) return textResult(inbound.status, inbound.text);
    const payload = inbound.body;
    if (inbound.kind === "ssl_check") return textResult(200, "");
    if (inbound.kind === "url_verification") return jsonResult({ challenge: payload.challenge });

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

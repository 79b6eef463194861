// Builders for signed Slack requests, as Slack sends them and as API Gateway (HTTP API, payload
// format 2.0) hands them to Lambda: headers lower-cased, the body base64-encoded with
// `isBase64Encoded: true` (what API Gateway does with form bodies), POST on /slack/events.
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { sign } from "../../src/slack/verify.js";

export const TEST_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
export const FORM = "application/x-www-form-urlencoded";

export interface SlashCommandFields {
  text: string;
  command?: string;
  channel_id?: string;
  channel_name?: string;
  user_id?: string;
  user_name?: string;
  team_id?: string;
  team_domain?: string;
  response_url?: string;
  trigger_id?: string;
  api_app_id?: string;
}

/** A slash command's form body, fields in the order Slack sends them. */
export function slashCommandBody(f: SlashCommandFields): string {
  const fields: [string, string][] = [
    ["token", "gIkuvaNzQIHg97ATvDxqgjtO"],
    ["team_id", f.team_id ?? "T0001"],
    ["team_domain", f.team_domain ?? "example"],
    ["channel_id", f.channel_id ?? "C0123ABCD"],
    ["channel_name", f.channel_name ?? "ops"],
    ["user_id", f.user_id ?? "U0AAAAAAA"],
    ["user_name", f.user_name ?? "alice"],
    ["command", f.command ?? "/dvol"],
    ["text", f.text],
    ["api_app_id", f.api_app_id ?? "A0DVOL"],
    ["is_enterprise_install", "false"],
    ["response_url", f.response_url ?? "https://hooks.slack.com/commands/T0001/1/abc"],
    ["trigger_id", f.trigger_id ?? `${Date.now()}.1.${Math.random().toString(16).slice(2)}`],
  ];
  return new URLSearchParams(fields).toString();
}

export interface BlockActionFields {
  actionId?: string;
  value?: string;
  channel_id?: string;
  user_id?: string;
  response_url?: string;
  message_ts?: string;
  /** The thread of the clicked message (its parent's ts), for a message in a thread. */
  thread_ts?: string;
}

/** An interactivity body: `payload=` and the block_actions JSON. */
export function blockActionsBody(f: BlockActionFields = {}): string {
  const payload = {
    type: "block_actions",
    user: { id: f.user_id ?? "U0AAAAAAA", username: "alice", name: "alice", team_id: "T0001" },
    api_app_id: "A0DVOL",
    token: "gIkuvaNzQIHg97ATvDxqgjtO",
    container: {
      type: "message",
      message_ts: f.message_ts ?? "1790000000.000100",
      channel_id: f.channel_id ?? "C0123ABCD",
      is_ephemeral: false,
      ...(f.thread_ts ? { thread_ts: f.thread_ts } : {}),
    },
    trigger_id: `${Date.now()}.1.abc`,
    team: { id: "T0001", domain: "example" },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: f.channel_id ?? "C0123ABCD", name: "ops" },
    message: {
      type: "message",
      ts: f.message_ts ?? "1790000000.000100",
      ...(f.thread_ts ? { thread_ts: f.thread_ts } : {}),
      text: "dvol ls",
      blocks: [],
    },
    state: { values: {} },
    response_url: f.response_url ?? "https://hooks.slack.com/actions/T0001/1/abc",
    actions: [
      {
        action_id: f.actionId ?? "dvol_button",
        block_id: "b1",
        text: { type: "plain_text", text: "Button", emoji: true },
        value: f.value ?? "v",
        type: "button",
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface SignOptions {
  secret?: string;
  /** Seconds since the epoch; now by default. */
  timestamp?: number;
  contentType?: string;
  /** Sign this body instead of the one sent (a signature of another body). */
  signBody?: string | Buffer;
  /** Replaces the signature header. */
  signature?: string;
  /** Headers to leave out. */
  omit?: string[];
  /** Extra headers (x-slack-retry-num …). */
  headers?: Record<string, string>;
}

/** The headers Slack sends with a body, lower-cased. */
export function slackHeaders(body: string | Buffer, o: SignOptions = {}): Record<string, string> {
  const ts = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const raw = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const headers: Record<string, string> = {
    "content-type": o.contentType ?? FORM,
    "content-length": String(raw.length),
    "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    "x-slack-request-timestamp": ts,
    "x-slack-signature": o.signature ?? `v0=${sign(o.secret ?? TEST_SIGNING_SECRET, ts, o.signBody ?? raw)}`,
    accept: "application/json,*/*",
    "accept-encoding": "gzip,deflate",
    ...Object.fromEntries(Object.entries(o.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  for (const h of o.omit ?? []) delete headers[h.toLowerCase()];
  return headers;
}

export interface EventOptions extends SignOptions {
  /** API Gateway base64-encodes form bodies; false sends the body as text. */
  base64?: boolean;
  method?: string;
}

/** An API Gateway v2 event carrying `body` with the given headers, exactly as API Gateway builds it. */
export function apiGatewayEvent(
  body: string | Buffer,
  headers: Record<string, string>,
  o: { base64?: boolean; method?: string } = {},
): APIGatewayProxyEventV2 {
  const raw = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const base64 = o.base64 ?? true;
  const now = new Date();
  const method = o.method ?? "POST";
  return {
    version: "2.0",
    routeKey: "POST /slack/events",
    rawPath: "/slack/events",
    rawQueryString: "",
    headers: {
      host: "abc123.execute-api.eu-west-1.amazonaws.com",
      "x-amzn-trace-id": "Root=1-67890abc-0123456789abcdef01234567",
      "x-forwarded-for": "3.3.3.3",
      "x-forwarded-port": "443",
      "x-forwarded-proto": "https",
      ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    },
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      domainPrefix: "abc123",
      http: {
        method,
        path: "/slack/events",
        protocol: "HTTP/1.1",
        sourceIp: "3.3.3.3",
        userAgent: "Slackbot 1.0 (+https://api.slack.com/robots)",
      },
      requestId: `req-${Math.random().toString(16).slice(2)}`,
      routeKey: "POST /slack/events",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: base64 ? raw.toString("base64") : raw.toString("utf8"),
    isBase64Encoded: base64,
  };
}

/** A signed slash command as an API Gateway v2 event. */
export function signedSlashCommand(fields: SlashCommandFields, o: EventOptions = {}): APIGatewayProxyEventV2 {
  const body = slashCommandBody(fields);
  return apiGatewayEvent(body, slackHeaders(body, o), o);
}

/** A signed block_actions request as an API Gateway v2 event. */
export function signedBlockActions(
  fields: BlockActionFields = {},
  o: EventOptions = {},
): APIGatewayProxyEventV2 {
  const body = blockActionsBody(fields);
  return apiGatewayEvent(body, slackHeaders(body, o), o);
}

/** A signed request for a real HTTP server (the local server): headers and body. */
export function signedHttpRequest(
  body: string,
  o: SignOptions = {},
): { headers: Record<string, string>; body: string } {
  const headers = slackHeaders(body, o);
  // fetch sets these itself.
  delete headers["accept-encoding"];
  delete headers["content-length"];
  return { headers, body };
}

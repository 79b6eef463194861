/**
 * The front door of both Slack receivers (the API Gateway receiver of the Lambda handler, and the
 * HTTP server of `npm start`): a request's raw body is verified (SPEC §6, verifySlackRequest),
 * parsed, and its shape checked, with the same answers and log lines in both.
 *
 * - Unsigned, stale or badly signed: 401 with a short body, never a 5xx. Unsigned requests are
 *   refused before the signing secret is asked for, so they get 401 even when it cannot be read
 *   (which is the deployment's fault: 503, and an error in the log).
 * - Signed but malformed (an empty body, a body that is not a form or a JSON object, a form
 *   without `command`, a payload whose `actions` is not a list of actions, a payload type dvol
 *   has no listener for): 400 at once with a short body, and a warning in the log. Such a request
 *   reaches no listener, so Bolt never throws on it (a 500) nor waits for an ack that will not
 *   come (its 3-second timeout).
 *
 * What dvol answers (slack-app-manifest.yml: a slash command and interactivity, no event
 * subscriptions): slash commands, `block_actions` clicks, Slack's `ssl_check` and
 * `url_verification`. Only what Bolt and the router read is checked; other fields pass as sent.
 */
import { mediaType } from "./apigw.js";
import { type SignedRequest, verifySlackRequest } from "./verify.js";

export type ParsedBody =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; reason: string; detail?: string };

/** The kinds of request dvol answers. */
export type InboundKind = "command" | "block_actions" | "ssl_check" | "url_verification";

/** A verified, parsed and well-formed request, or the status and short text to answer instead. */
export type Inbound =
  | { ok: true; kind: InboundKind; body: Record<string, unknown> }
  | { ok: false; status: 400 | 401 | 503; text: string };

/** A body's shape: its kind, or why it is malformed (`detail`: for the log only). */
export type Shape = { ok: true; kind: InboundKind } | { ok: false; reason: string; detail?: string };

/**
 * Verifies `req` (headers with lower-case names), parses its body and checks its shape.
 * `signingSecret` is asked for only once the request carries a signature and a timestamp.
 */
export async function verifyAndParse(
  req: SignedRequest,
  signingSecret: () => Promise<string>,
  nowMs: number,
  logger: Pick<Console, "warn" | "error">,
): Promise<Inbound> {
  const refuse = (reason: string): Inbound => {
    logger.warn(`dvol: refused a request: ${reason}`, { refused: { status: 401, reason } });
    return { ok: false, status: 401, text: `invalid request: ${reason}` };
  };
  if (!req.headers["x-slack-signature"]) return refuse("missing-signature");
  if (!req.headers["x-slack-request-timestamp"]) return refuse("missing-timestamp");
  let secret: string;
  try {
    secret = await signingSecret();
  } catch (err) {
    // The deployment is broken, not the request: say so in the log, and only there.
    logger.error(`dvol: no signing secret: ${(err as Error).message}`);
    return { ok: false, status: 503, text: "not configured" };
  }
  const verdict = verifySlackRequest(secret, req, nowMs);
  if (!verdict.ok) return refuse(verdict.reason);
  const malformed = (reason: string, detail?: string): Inbound => {
    logger.warn(`dvol: refused a signed request: ${reason}`, {
      refused: { status: 400, reason, ...(detail !== undefined ? { detail } : {}) },
    });
    return { ok: false, status: 400, text: `bad request: ${reason}` };
  };
  if (req.body.length === 0) return malformed("empty body");
  const parsed = parseSlackBody(req.body, req.headers["content-type"]);
  if (!parsed.ok) return malformed(parsed.reason, parsed.detail);
  const shape = shapeOf(parsed.body);
  if (!shape.ok) return malformed(shape.reason, shape.detail);
  return { ok: true, kind: shape.kind, body: parsed.body };
}

/** Parses a verified Slack body: form fields (slash commands), `payload=` JSON (interactivity), or JSON. */
function parseSlackBody(body: Buffer, contentType: string | undefined): ParsedBody {
  const type = mediaType(contentType);
  const text = body.toString("utf8");
  if (type === "application/x-www-form-urlencoded") {
    const fields: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(text)) fields[k] = v;
    if (fields.payload === undefined) return { ok: true, body: fields };
    return parseJsonObject(fields.payload);
  }
  if (type === "application/json") return parseJsonObject(text);
  return { ok: false, reason: "unsupported content type", detail: type || "none" };
}

function parseJsonObject(text: string): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "body is not JSON" };
  }
  if (!isObject(value)) return { ok: false, reason: "body is not a JSON object" };
  return { ok: true, body: value };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/** What a value sent by the client looks like in a log line: its JSON, cut short. */
function sample(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/**
 * The kind of a parsed body, checked as far as Bolt and the router read it: Bolt takes a body
 * with `command` for a slash command and one with `actions` for an action (and then reads
 * `actions[0].action_id`, `user`, `team`); the router reads a command's channel, user and
 * response_url.
 */
function shapeOf(body: Record<string, unknown>): Shape {
  if (body.ssl_check !== undefined) return { ok: true, kind: "ssl_check" };
  if (body.type === "url_verification") {
    return isText(body.challenge)
      ? { ok: true, kind: "url_verification" }
      : { ok: false, reason: "url_verification without a challenge" };
  }
  if (body.command !== undefined) {
    if (typeof body.command !== "string" || !/^\/\S+$/.test(body.command)) {
      return { ok: false, reason: "command is not a slash command", detail: sample(body.command) };
    }
    for (const field of ["channel_id", "user_id", "response_url"] as const) {
      if (!isText(body[field])) return { ok: false, reason: `slash command without ${field}` };
    }
    if (body.text !== undefined && typeof body.text !== "string") {
      return { ok: false, reason: "slash command text is not text", detail: sample(body.text) };
    }
    return { ok: true, kind: "command" };
  }
  if (body.type === "block_actions") {
    const { actions } = body;
    if (!Array.isArray(actions) || actions.length === 0) {
      return { ok: false, reason: "actions is not a list of actions", detail: sample(actions) };
    }
    if (!actions.every((a) => isObject(a) && isText(a.action_id))) {
      return { ok: false, reason: "an action without action_id", detail: sample(actions) };
    }
    if (!isObject(body.user) || !isText(body.user.id)) {
      return { ok: false, reason: "block_actions without user" };
    }
    if (body.team !== undefined && body.team !== null && !isObject(body.team)) {
      return { ok: false, reason: "team is not an object", detail: sample(body.team) };
    }
    return { ok: true, kind: "block_actions" };
  }
  if (body.type === undefined) return { ok: false, reason: "neither a slash command nor a payload type" };
  return { ok: false, reason: "unknown payload type", detail: sample(body.type) };
}

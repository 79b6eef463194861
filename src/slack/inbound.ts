/**
 * The front door of both Slack receivers (the API Gateway receiver of the Lambda handler, and the
 * HTTP server of `npm start`): a request's raw body is verified (SPEC §6, verifySlackRequest)
 * and then parsed, with the same answers and log lines in both. Whatever is unsigned, stale,
 * badly signed or malformed is a 401 with a short body, never a 5xx. Unsigned requests are
 * refused before the signing secret is asked for, so they get 401 even when it cannot be read
 * (which is the deployment's fault: 503, and an error in the log).
 */
import { mediaType } from "./apigw.js";
import { type SignedRequest, verifySlackRequest } from "./verify.js";

export type ParsedBody = { ok: true; body: Record<string, unknown> } | { ok: false; reason: string };

/** A verified and parsed request, or the status and short text to answer instead. */
export type Inbound =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; status: 401 | 503; text: string };

/**
 * Verifies `req` (headers with lower-case names) and parses its body. `signingSecret` is asked
 * for only once the request carries a signature and a timestamp.
 */
export async function verifyAndParse(
  req: SignedRequest,
  signingSecret: () => Promise<string>,
  nowMs: number,
  logger: Pick<Console, "warn" | "error">,
): Promise<Inbound> {
  const refuse = (reason: string): Inbound => {
    logger.warn(`dvol: refused a request: ${reason}`);
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
  const parsed = parseSlackBody(req.body, req.headers["content-type"]);
  if (!parsed.ok) {
    logger.warn(`dvol: refused a signed request: ${parsed.reason}`);
    return { ok: false, status: 401, text: "invalid request: malformed body" };
  }
  return parsed;
}

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

import { createHmac, timingSafeEqual } from "node:crypto";

/** Slack's window: a request signed more than five minutes away from now, either way, is refused. */
export const MAX_SKEW_SECONDS = 300;

export type VerifyFailure =
  | "missing-signature"
  | "missing-timestamp"
  | "bad-timestamp"
  | "stale-timestamp"
  | "bad-signature";

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

export interface SignedRequest {
  /** The raw body bytes exactly as received (after base64 decoding, for API Gateway). */
  body: Buffer;
  /** Header names in any case. */
  headers: Record<string, string | undefined>;
}

function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === want) return v;
  return undefined;
}

/**
 * Verifies Slack's request signature: `v0=` HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the
 * signing secret, compared in constant time, with the timestamp within five minutes of `now` in
 * either direction. Works on raw bytes, so bodies with non-ASCII text verify.
 */
export function verifySlackRequest(secret: string, req: SignedRequest, nowMs: number): VerifyResult {
  const signature = header(req.headers, "x-slack-signature");
  const timestamp = header(req.headers, "x-slack-request-timestamp");
  if (!signature) return { ok: false, reason: "missing-signature" };
  if (!timestamp) return { ok: false, reason: "missing-timestamp" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "bad-timestamp" };
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > MAX_SKEW_SECONDS) {
    return { ok: false, reason: "stale-timestamp" };
  }
  const expected = Buffer.from(`v0=${sign(secret, timestamp, req.body)}`, "utf8");
  const given = Buffer.from(signature, "utf8");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "bad-signature" };
  }
  return { ok: true };
}

/** The hex HMAC Slack puts after `v0=`; also used by tests to sign requests as Slack does. */
export function sign(secret: string, timestamp: string, body: Buffer | string): string {
  return createHmac("sha256", secret)
    .update(`v0:${timestamp}:`)
    .update(typeof body === "string" ? Buffer.from(body, "utf8") : body)
    .digest("hex");
}

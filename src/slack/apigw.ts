/**
 * API Gateway HTTP API (payload format 2.0) plumbing: the raw body bytes of an event, its headers,
 * and the results the Slack handler returns.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/**
 * The body exactly as Slack sent it. API Gateway base64-encodes bodies it does not consider text;
 * those are decoded to bytes, never through a string (an ASCII or latin1 round trip breaks the
 * signature of any non-ASCII text). Text bodies are UTF-8, as API Gateway passes them.
 */
export function rawBody(event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
}

/** Headers with lower-case names (API Gateway v2 already lower-cases them; tests and proxies may not). */
export function lowerHeaders(headers: APIGatewayProxyEventV2["headers"] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/** The media type of a Content-Type header, lower-cased, parameters (`; charset=utf-8`) dropped. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export function textResult(statusCode: number, body: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { "content-type": "text/plain; charset=utf-8" }, body };
}

export function jsonResult(body: unknown, statusCode = 200): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(body),
  };
}

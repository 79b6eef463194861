/**
 * The gate's door: what any request must be before the operation table looks at it. Refused here
 * (403): upgrades and hijacks, a method the gate never uses, both Content-Length and
 * Transfer-Encoding (or a Transfer-Encoding other than chunked), a Content-Length that is not a
 * plain number, form bodies, non-canonical paths (`//`, `.`, `..`, any `%`, a trailing slash, a
 * character outside the few that dvol's paths use, an odd version prefix) and query strings with
 * a duplicated key or a bad escape.
 */

export type Method = "GET" | "POST" | "PUT" | "DELETE";
const METHODS: readonly string[] = ["GET", "POST", "PUT", "DELETE"];

/** What the door lets through: the request as the operation table reads it. */
export interface DoorRequest {
  method: Method;
  /** `1.41` when the path had a `/v1.41` prefix, else null. */
  version: string | null;
  /** The path without its version prefix, split: `/volumes/x` is ["volumes", "x"]. */
  segments: string[];
  query: Map<string, string>;
  /** How a body comes: none announced, a Content-Length, or chunked. */
  body: { kind: "none" } | { kind: "length"; bytes: number } | { kind: "chunked" };
  contentType: string | null;
}

export type DoorResult = { ok: true; request: DoorRequest } | { ok: false; reason: string };

/** Only the headers the door reads, as Node gives them (lower-case names, repeated ones joined). */
export interface RawRequest {
  method: string;
  url: string;
  /** Node's rawHeaders: name, value, name, value… */
  rawHeaders: readonly string[];
}

const refuse = (reason: string): DoorResult => ({ ok: false, reason });

/** Characters a canonical path may hold: what volume names, IDs and the helper image use. */
const PATH_RE = /^(?:\/[A-Za-z0-9_.:-]+)+$/;
const VERSION_RE = /^v(?:0|[1-9]\d{0,2})\.(?:0|[1-9]\d{0,2})$/;
/** Hijacked or upgraded streams of the Engine API: the first part of a path, or a container's third. */
const HIJACK_ROOTS = new Set(["grpc", "session", "exec"]);
const HIJACK_CONTAINER = new Set(["attach", "exec"]);

export function checkDoor(raw: RawRequest): DoorResult {
  if (!METHODS.includes(raw.method)) return refuse(`method ${raw.method} is not offered`);
  const headers = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.rawHeaders.length; i += 2) {
    const name = (raw.rawHeaders[i] as string).toLowerCase();
    const list = headers.get(name) ?? [];
    list.push(raw.rawHeaders[i + 1] as string);
    headers.set(name, list);
  }
  const one = (name: string): string | null | false => {
    const v = headers.get(name);
    if (!v) return null;
    return v.length === 1 ? (v[0] as string) : false;
  };
  if (headers.has("upgrade")) return refuse("upgrades are not offered");
  const connection = (headers.get("connection") ?? []).join(",").toLowerCase();
  if (/\bupgrade\b/.test(connection)) return refuse("upgrades are not offered");

  const length = one("content-length");
  const te = one("transfer-encoding");
  if (length === false) return refuse("more than one Content-Length");
  if (te === false) return refuse("more than one Transfer-Encoding");
  if (length !== null && te !== null) return refuse("both Content-Length and Transfer-Encoding");
  let body: DoorRequest["body"] = { kind: "none" };
  if (te !== null) {
    if (te.trim().toLowerCase() !== "chunked")
      return refuse(`Transfer-Encoding ${JSON.stringify(te)} is not offered`);
    body = { kind: "chunked" };
  } else if (length !== null) {
    if (!/^\d{1,15}$/.test(length)) return refuse("Content-Length is not a number");
    const bytes = Number(length);
    if (bytes > 0) body = { kind: "length", bytes };
  }
  const ct = one("content-type");
  if (ct === false) return refuse("more than one Content-Type");
  const contentType = ct === null ? null : (ct.split(";")[0] as string).trim().toLowerCase();
  if (contentType === "application/x-www-form-urlencoded" || contentType?.startsWith("multipart/")) {
    return refuse("form bodies are not offered");
  }

  const url = raw.url;
  const q = url.indexOf("?");
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? "" : url.slice(q + 1);
  if (rawPath.includes("%")) return refuse("percent-encoded paths are not offered");
  if (!PATH_RE.test(rawPath)) return refuse("the path is not canonical");
  const parts = rawPath.slice(1).split("/");
  if (parts.some((p) => p === "." || p === "..")) return refuse("the path is not canonical");
  let version: string | null = null;
  if (/^v\d/.test(parts[0] as string) || (parts[0] as string).startsWith("v1.")) {
    if (!VERSION_RE.test(parts[0] as string)) return refuse(`odd version prefix ${JSON.stringify(parts[0])}`);
    version = (parts.shift() as string).slice(1);
  }
  if (parts.length === 0) return refuse("the path is not canonical");
  const hijack = HIJACK_ROOTS.has(parts[0] as string)
    ? parts[0]
    : parts[0] === "containers" && HIJACK_CONTAINER.has(parts[2] as string)
      ? parts[2]
      : null;
  if (hijack) return refuse(`${hijack} is not offered`);

  const query = new Map<string, string>();
  if (q >= 0) {
    if (rawQuery === "") return refuse("an empty query string");
    if (rawQuery.includes("#")) return refuse("a fragment in the request");
    for (const pair of rawQuery.split("&")) {
      const eq = pair.indexOf("=");
      let key: string;
      let value: string;
      try {
        key = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, " "));
        value = decodeURIComponent((eq < 0 ? "" : pair.slice(eq + 1)).replace(/\+/g, " "));
      } catch {
        return refuse("a bad escape in the query");
      }
      if (key === "") return refuse("an empty query key");
      if (query.has(key)) return refuse(`the query key ${JSON.stringify(key)} is given twice`);
      query.set(key, value);
    }
  }
  return {
    ok: true,
    request: { method: raw.method as Method, version, segments: parts, query, body, contentType },
  };
}

/**
 * What every Store implementation does the same way: timestamps as instants, the order of requests
 * and audit records, the checks on what callers hand in. Kept free of any driver so that the memory
 * store (and whatever imports it) loads neither SQLite nor the AWS SDK.
 */
import { createHash } from "node:crypto";
import { StoreError } from "../errors.js";
import type { AuditRecord, DeletionRequest, RequestStatus } from "./records.js";

export type ListOptions = {
  statuses?: readonly RequestStatus[];
  since?: string;
  limit?: number;
};

/** Milliseconds since the epoch of an ISO 8601 time; a RangeError (a caller's bug) when it is none. */
export function instantMs(iso: string, what: string): number {
  const ms = typeof iso === "string" ? Date.parse(iso) : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`store: ${what} is not an ISO 8601 time: ${String(iso)}`);
  return ms;
}

/** The canonical form of a time (`2026-11-29T14:00:00.000Z`), which sorts as text in time order. */
export function isoKey(iso: string, what: string): string {
  return new Date(instantMs(iso, what)).toISOString();
}

/** Sorts requests newest first: by creation time, then by id (both descending). */
export function requestOrderKey(r: Pick<DeletionRequest, "createdAt" | "id">): string {
  return `${isoKey(r.createdAt, "createdAt")}#${r.id}`;
}

/**
 * Orders a request's audit records oldest first (by `at`, then `seq`) and makes a retried append of
 * the same record land on the same key (stored once), while two different records that share
 * `at` and `seq` get different keys (both kept). 16 digits hold any safe integer.
 */
export function auditKey(record: AuditRecord): string {
  if (!Number.isSafeInteger(record.seq) || record.seq < 0) {
    throw new RangeError(`store: audit seq must be a non-negative integer, got ${record.seq}`);
  }
  const digest = createHash("sha256").update(JSON.stringify(record)).digest("hex").slice(0, 16);
  return `${isoKey(record.at, "audit at")}#${String(record.seq).padStart(16, "0")}#${digest}`;
}

export function checkRequest(r: DeletionRequest): void {
  if (typeof r.id !== "string" || r.id.length === 0 || r.id.length > 200) {
    throw new RangeError(`store: bad request id ${JSON.stringify(r.id)}`);
  }
  if (!Number.isSafeInteger(r.version)) throw new RangeError(`store: ${r.id}: version must be an integer`);
  instantMs(r.createdAt, "createdAt");
}

export function checkUpdate(next: DeletionRequest, expectedVersion: number): void {
  checkRequest(next);
  if (next.version !== expectedVersion + 1) {
    throw new RangeError(
      `store: ${next.id}: next.version must be expectedVersion + 1 (got ${next.version} after ${expectedVersion})`,
    );
  }
}

export function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new RangeError(`store: limit must be a non-negative integer, got ${limit}`);
  }
}

/** Whether a request belongs in a listing (used on fresh reads, after an index said it might). */
export function matchesList(r: DeletionRequest, opts: ListOptions): boolean {
  if (opts.statuses && !opts.statuses.includes(r.status)) return false;
  if (opts.since !== undefined && instantMs(r.createdAt, "createdAt") < instantMs(opts.since, "since")) {
    return false;
  }
  return true;
}

export function closedError(where: string): StoreError {
  return new StoreError(`${where} is closed`, {
    hint: "This is a bug in dvol: the store was used after close().",
  });
}

/** Access key ids (never secret, but nobody's business) and anything after them are cut from messages. */
export function redact(message: string): string {
  const cut = message.split(/The Canonical String|The String-to-Sign/)[0] ?? "";
  const safe = cut.replace(/\b(AKIA|ASIA)[A-Z0-9]{12,}\b/g, "[access key id]").trim();
  return safe.length > 300 ? `${safe.slice(0, 300)}…` : safe;
}

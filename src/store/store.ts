import type { AuditRecord, DeletionRequest, RequestStatus } from "./records.js";
import type { SizeSlot, SizeSnapshot } from "./sizes.js";

/**
 * What dvol keeps: deletion requests, their audit trail, one-time claims and small memories.
 * Two implementations with the same contract (test/store/contract): DynamoDB on AWS (DVOL_TABLE)
 * and an embedded SQLite file under DVOL_STATE_DIR for `npm start` and the CLI.
 *
 * Every state change is one conditional single-item write (no transactions: dynalite has none).
 * Expiry is checked in code against the injected clock, never left to DynamoDB's TTL (which lags
 * by hours); TTL attributes only clean up.
 */
export interface Store {
  /** Stores a new request; false (and nothing written) when the id is taken. */
  createRequest(request: DeletionRequest): Promise<boolean>;

  getRequest(id: string): Promise<DeletionRequest | null>;

  /**
   * Replaces the request with `next` only if the stored one still has `expectedVersion`;
   * `next.version` must be `expectedVersion + 1`. Returns false (nothing written) when another
   * writer came first.
   */
  updateRequest(next: DeletionRequest, expectedVersion: number): Promise<boolean>;

  /** Requests, newest first, optionally only of some statuses and created at or after `since`. */
  listRequests(opts?: {
    statuses?: readonly RequestStatus[];
    since?: string;
    limit?: number;
  }): Promise<DeletionRequest[]>;

  /**
   * Appends a record, written once and never changed: nothing already stored under the record's
   * key is overwritten. The same record appended twice (a retry) is kept once, and that is not an
   * error; different records with the same `at` and `seq` are all kept.
   */
  appendAudit(record: AuditRecord): Promise<void>;

  /** A request's audit trail, oldest first. */
  listAudit(requestId: string): Promise<AuditRecord[]>;

  /**
   * Claims `key` once: true for the first caller, false for every later one while the claim
   * lives (`expiresAt`, ISO; expired claims may be claimed again). Used for: a Slack delivery
   * handled once, a day's report posted once.
   */
  claim(key: string, expiresAt: string, now: string): Promise<boolean>;

  /**
   * Gives up a claim, so that `key` can be claimed again at once (a daily report whose post
   * failed, so that Lambda's retry posts it). Only the claim taken with this `expiresAt` is
   * removed: one that expired and was taken since by another caller (with another expiry) is left
   * alone. Releasing a claim that is not held is not an error.
   */
  releaseClaim(key: string, expiresAt: string): Promise<void>;

  /**
   * Small key/value memories (e.g. when a volume was first seen dangling). getMemo is null once
   * `expiresAt` has passed, by the clock the store was opened with (openStore's `now`).
   */
  getMemo(key: string): Promise<string | null>;
  putMemo(key: string, value: string, expiresAt: string | null): Promise<void>;
  deleteMemo(key: string): Promise<void>;

  // --- remembered sizes (issue 12, src/store/sizes.ts) ---
  /**
   * Keeps a host's snapshot of sizes in `slot`, replacing the one there unless that one was
   * measured later: false (nothing written) when a later measurement is already kept, so a slow
   * measurement finishing last never hides a newer one.
   */
  putSizes(slot: SizeSlot, snapshot: SizeSnapshot): Promise<boolean>;
  /** The host's snapshot in `slot`, or null when none was kept. */
  getSizes(host: string, slot: SizeSlot): Promise<SizeSnapshot | null>;

  close(): Promise<void>;
}

/**
 * An in-memory Store with the contract of the real ones (test/store/contract.ts), for unit tests of
 * what uses a store. Records are kept as JSON, so a caller never shares an object with the store.
 * Several MemoryStore objects over one MemoryState behave like several processes on one table.
 */
import type { AuditRecord, DeletionRequest } from "./records.js";
import {
  auditKey,
  checkLimit,
  checkRequest,
  checkUpdate,
  closedError,
  instantMs,
  type ListOptions,
  matchesList,
  requestOrderKey,
} from "./shared.js";
import { checkSnapshot, decodeSnapshot, encodeSnapshot, type SizeSlot, type SizeSnapshot } from "./sizes.js";
import type { Store } from "./store.js";

/** What the stores over one "table" share. */
export interface MemoryState {
  requests: Map<string, { version: number; json: string }>;
  /** requestId → audit key → record JSON. */
  audit: Map<string, Map<string, string>>;
  claims: Map<string, number>;
  memos: Map<string, { value: string; expiresAtMs: number | null }>;
  /** `<slot>\0<host>` → the encoded snapshot (issue 12). */
  sizes?: Map<string, { measuredAtMs: number; z: Buffer }>;
}

export function createMemoryState(): MemoryState {
  return { requests: new Map(), audit: new Map(), claims: new Map(), memos: new Map() };
}

export interface MemoryStoreOptions {
  /** Shared with other MemoryStore objects; a fresh one by default. */
  state?: MemoryState;
  /** Current time in ms, for memo expiry (claims are given `now`). */
  now?: () => number;
}

export class MemoryStore implements Store {
  readonly state: MemoryState;
  private readonly now: () => number;
  private closed = false;

  constructor(opts: MemoryStoreOptions = {}) {
    this.state = opts.state ?? createMemoryState();
    this.now = opts.now ?? Date.now;
  }

  private open(): MemoryState {
    if (this.closed) throw closedError("the memory store");
    return this.state;
  }

  async createRequest(request: DeletionRequest): Promise<boolean> {
    checkRequest(request);
    const s = this.open();
    if (s.requests.has(request.id)) return false;
    s.requests.set(request.id, { version: request.version, json: JSON.stringify(request) });
    return true;
  }

  async getRequest(id: string): Promise<DeletionRequest | null> {
    const row = this.open().requests.get(id);
    return row ? (JSON.parse(row.json) as DeletionRequest) : null;
  }

  async updateRequest(next: DeletionRequest, expectedVersion: number): Promise<boolean> {
    checkUpdate(next, expectedVersion);
    const s = this.open();
    const row = s.requests.get(next.id);
    if (!row || row.version !== expectedVersion) return false;
    s.requests.set(next.id, { version: next.version, json: JSON.stringify(next) });
    return true;
  }

  async listRequests(opts: ListOptions = {}): Promise<DeletionRequest[]> {
    checkLimit(opts.limit);
    const all = [...this.open().requests.values()].map((row) => JSON.parse(row.json) as DeletionRequest);
    const keyed = all.filter((r) => matchesList(r, opts)).map((r) => ({ r, key: requestOrderKey(r) }));
    keyed.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
    return keyed.slice(0, opts.limit ?? keyed.length).map(({ r }) => r);
  }

  async appendAudit(record: AuditRecord): Promise<void> {
    const key = auditKey(record);
    const s = this.open();
    const trail = s.audit.get(record.requestId) ?? new Map<string, string>();
    s.audit.set(record.requestId, trail);
    // Written once: what is stored under the key stays as it is.
    if (!trail.has(key)) trail.set(key, JSON.stringify(record));
  }

  async listAudit(requestId: string): Promise<AuditRecord[]> {
    const trail = this.open().audit.get(requestId);
    if (!trail) return [];
    return [...trail.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, json]) => JSON.parse(json) as AuditRecord);
  }

  async claim(key: string, expiresAt: string, now: string): Promise<boolean> {
    const exp = instantMs(expiresAt, "expiresAt");
    const nowMs = instantMs(now, "now");
    const s = this.open();
    const held = s.claims.get(key);
    if (held !== undefined && held > nowMs) return false;
    s.claims.set(key, exp);
    return true;
  }

  async releaseClaim(key: string, expiresAt: string): Promise<void> {
    const exp = instantMs(expiresAt, "expiresAt");
    const s = this.open();
    if (s.claims.get(key) === exp) s.claims.delete(key);
  }

  async getMemo(key: string): Promise<string | null> {
    const memo = this.open().memos.get(key);
    if (!memo || (memo.expiresAtMs !== null && memo.expiresAtMs <= this.now())) return null;
    return memo.value;
  }

  async putMemo(key: string, value: string, expiresAt: string | null): Promise<void> {
    const expiresAtMs = expiresAt === null ? null : instantMs(expiresAt, "expiresAt");
    this.open().memos.set(key, { value, expiresAtMs });
  }

  async deleteMemo(key: string): Promise<void> {
    this.open().memos.delete(key);
  }

  // --- remembered sizes (issue 12) ---
  async putSizes(slot: SizeSlot, snapshot: SizeSnapshot): Promise<boolean> {
    checkSnapshot(snapshot, slot);
    const measuredAtMs = Date.parse(snapshot.measuredAt);
    const z = await encodeSnapshot(snapshot);
    const s = this.open();
    s.sizes ??= new Map();
    const key = `${slot}\0${snapshot.host}`;
    const held = s.sizes.get(key);
    if (held && held.measuredAtMs > measuredAtMs) return false;
    s.sizes.set(key, { measuredAtMs, z });
    return true;
  }

  async getSizes(host: string, slot: SizeSlot): Promise<SizeSnapshot | null> {
    const held = this.open().sizes?.get(`${slot}\0${host}`);
    return held ? decodeSnapshot(held.z, "the memory store") : null;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

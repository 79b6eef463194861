// A small in-memory Store for unit tests of the approvals core: the interface's contract
// (conditional updates on version, claims, audit order), with copies so callers cannot alias it.
import type { AuditRecord, DeletionRequest, RequestStatus } from "../../src/store/records.js";
import type { Store } from "../../src/store/store.js";

const copy = <T>(v: T): T => structuredClone(v);

export class FakeStore implements Store {
  readonly requests = new Map<string, DeletionRequest>();
  readonly audits: AuditRecord[] = [];
  readonly claims = new Map<string, string>();
  readonly memos = new Map<string, string>();
  /** Counts updateRequest calls that were refused (another writer came first). */
  conflicts = 0;

  async createRequest(request: DeletionRequest): Promise<boolean> {
    if (this.requests.has(request.id)) return false;
    this.requests.set(request.id, copy(request));
    return true;
  }

  async getRequest(id: string): Promise<DeletionRequest | null> {
    const r = this.requests.get(id);
    return r ? copy(r) : null;
  }

  async updateRequest(next: DeletionRequest, expectedVersion: number): Promise<boolean> {
    const cur = this.requests.get(next.id);
    if (!cur || cur.version !== expectedVersion || next.version !== expectedVersion + 1) {
      this.conflicts++;
      return false;
    }
    this.requests.set(next.id, copy(next));
    return true;
  }

  async listRequests(
    opts: { statuses?: readonly RequestStatus[]; since?: string; limit?: number } = {},
  ): Promise<DeletionRequest[]> {
    const all = [...this.requests.values()]
      .filter((r) => !opts.statuses || opts.statuses.includes(r.status))
      .filter((r) => !opts.since || r.createdAt >= opts.since)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    return copy(opts.limit === undefined ? all : all.slice(0, opts.limit));
  }

  async appendAudit(record: AuditRecord): Promise<void> {
    this.audits.push(copy(record));
  }

  async listAudit(requestId: string): Promise<AuditRecord[]> {
    return copy(
      this.audits
        .filter((a) => a.requestId === requestId)
        .sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq),
    );
  }

  async claim(key: string, expiresAt: string, now: string): Promise<boolean> {
    const held = this.claims.get(key);
    if (held !== undefined && held > now) return false;
    this.claims.set(key, expiresAt);
    return true;
  }

  async releaseClaim(key: string, expiresAt: string): Promise<void> {
    if (this.claims.get(key) === expiresAt) this.claims.delete(key);
  }

  async getMemo(key: string): Promise<string | null> {
    return this.memos.get(key) ?? null;
  }

  async putMemo(key: string, value: string): Promise<void> {
    this.memos.set(key, value);
  }

  async deleteMemo(key: string): Promise<void> {
    this.memos.delete(key);
  }

  async close(): Promise<void> {}
}

/** A clock tests move by hand. */
export class FakeClock {
  constructor(private t: number = Date.parse("2026-11-29T12:00:00Z")) {}
  now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

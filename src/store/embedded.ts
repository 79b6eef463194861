/**
 * The embedded store: one SQLite file (better-sqlite3) under DVOL_STATE_DIR, for `npm start` and
 * the CLI. Every change is one SQL statement whose WHERE clause is the condition (the version of a
 * request, the expiry of a claim), so it is atomic on its own; WAL mode and a busy timeout let
 * several processes (a local server and a CLI, say) use the same file at once.
 *
 * better-sqlite3 is a native module, loaded only when a store is opened (openEmbeddedStore): the
 * CLI's start-up does not pay for it, and the Lambda bundles keep it external and never load it.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { StoreError } from "../errors.js";
import type { AuditRecord, DeletionRequest } from "./records.js";
import {
  auditKey,
  checkLimit,
  checkRequest,
  checkUpdate,
  closedError,
  instantMs,
  isoKey,
  type ListOptions,
  requestOrderKey,
} from "./shared.js";
import { checkSnapshot, decodeSnapshot, encodeSnapshot, type SizeSlot, type SizeSnapshot } from "./sizes.js";
import type { Store } from "./store.js";

const SCHEMA_VERSION = 1;

export interface EmbeddedStoreOptions {
  /** The SQLite file; its directory is made (mode 0700) when missing. */
  file: string;
  /** Current time in ms, for memo expiry and the clean-up of expired claims and memos. */
  now?: () => number;
  /** How long a write waits for another process's lock (ms, default 5000). */
  busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  order_key TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_by_created ON requests (order_key);
CREATE TABLE IF NOT EXISTS audit (
  request_id TEXT NOT NULL,
  key TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (request_id, key)
);
CREATE TABLE IF NOT EXISTS claims (
  key TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS memos (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  expires_at INTEGER
);
`;

/** Opens (and on first use creates) the store's file. Throws StoreError when it cannot. */
export async function openEmbeddedStore(opts: EmbeddedStoreOptions): Promise<EmbeddedStore> {
  const file = path.resolve(opts.file);
  let Database: typeof BetterSqlite3;
  try {
    Database = (await import("better-sqlite3")).default;
  } catch (cause) {
    throw new StoreError(`cannot load better-sqlite3 for the embedded store (${file})`, {
      cause,
      hint: "Reinstall dvol's dependencies (npm ci builds the native module), or set DVOL_TABLE to use DynamoDB.",
    });
  }
  let db: BetterSqlite3.Database | undefined;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    db = new Database(file, { timeout: opts.busyTimeoutMs ?? 5000 });
    initialise(db, file);
    return new EmbeddedStore(db, file, opts.now ?? Date.now);
  } catch (cause) {
    db?.close();
    if (cause instanceof StoreError) throw cause;
    throw sqliteError(file, "open", cause);
  }
}

function initialise(db: BetterSqlite3.Database, file: string): void {
  // Two processes opening a new file at once may meet in the first transaction: retry a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      db.pragma("journal_mode = WAL");
      // FULL: a decision, once committed, survives a power cut as well as a crash.
      db.pragma("synchronous = FULL");
      const version = db.pragma("user_version", { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new StoreError(
          `${file} was written by a newer dvol (schema ${version}, this one knows ${SCHEMA_VERSION})`,
          {
            hint: "Upgrade dvol, or point DVOL_STATE_DIR at another directory.",
          },
        );
      }
      if (version < SCHEMA_VERSION) {
        db.transaction(() => {
          db.exec(SCHEMA);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        }).immediate();
      }
      return;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (attempt >= 5 || (code !== "SQLITE_BUSY" && code !== "SQLITE_LOCKED")) throw err;
    }
  }
}

type Row<T> = T | undefined;

export class EmbeddedStore implements Store {
  private closed = false;
  private readonly sql: ReturnType<typeof prepare>;

  constructor(
    private readonly db: BetterSqlite3.Database,
    /** The file, for messages. */
    readonly file: string,
    private readonly now: () => number,
  ) {
    this.sql = prepare(db);
    // What DynamoDB's TTL does on AWS: expired claims and memos are only clutter.
    this.run("clean up", () => {
      const t = this.now();
      this.sql.dropClaims.run(t);
      this.sql.dropMemos.run(t);
    });
  }

  private run<T>(op: string, fn: () => T): T {
    if (this.closed) throw closedError(`the embedded store (${this.file})`);
    try {
      return fn();
    } catch (cause) {
      throw sqliteError(this.file, op, cause);
    }
  }

  async createRequest(request: DeletionRequest): Promise<boolean> {
    checkRequest(request);
    const data = JSON.stringify(request);
    return this.run(
      `create request ${request.id}`,
      () =>
        this.sql.insertRequest.run(
          request.id,
          request.version,
          request.status,
          requestOrderKey(request),
          data,
        ).changes === 1,
    );
  }

  async getRequest(id: string): Promise<DeletionRequest | null> {
    const row: Row<{ data: string }> = this.run(`read request ${id}`, () => this.sql.getRequest.get(id));
    return row ? (JSON.parse(row.data) as DeletionRequest) : null;
  }

  async updateRequest(next: DeletionRequest, expectedVersion: number): Promise<boolean> {
    checkUpdate(next, expectedVersion);
    const data = JSON.stringify(next);
    return this.run(
      `update request ${next.id}`,
      () =>
        this.sql.updateRequest.run(
          next.version,
          next.status,
          requestOrderKey(next),
          data,
          next.id,
          expectedVersion,
        ).changes === 1,
    );
  }

  async listRequests(opts: ListOptions = {}): Promise<DeletionRequest[]> {
    checkLimit(opts.limit);
    const since = opts.since === undefined ? "" : isoKey(opts.since, "since");
    const statuses = opts.statuses ? JSON.stringify(opts.statuses) : null;
    const rows: { data: string }[] = this.run("list requests", () =>
      this.sql.listRequests.all(since, statuses, statuses, opts.limit ?? -1),
    );
    return rows.map((r) => JSON.parse(r.data) as DeletionRequest);
  }

  async appendAudit(record: AuditRecord): Promise<void> {
    const key = auditKey(record);
    this.run(`append audit of ${record.requestId}`, () =>
      this.sql.insertAudit.run(record.requestId, key, JSON.stringify(record)),
    );
  }

  async listAudit(requestId: string): Promise<AuditRecord[]> {
    const rows: { data: string }[] = this.run(`read audit of ${requestId}`, () =>
      this.sql.listAudit.all(requestId),
    );
    return rows.map((r) => JSON.parse(r.data) as AuditRecord);
  }

  async claim(key: string, expiresAt: string, now: string): Promise<boolean> {
    const exp = instantMs(expiresAt, "expiresAt");
    const nowMs = instantMs(now, "now");
    return this.run(`claim ${key}`, () => this.sql.claim.run(key, exp, nowMs).changes === 1);
  }

  async releaseClaim(key: string, expiresAt: string): Promise<void> {
    const exp = instantMs(expiresAt, "expiresAt");
    this.run(`release claim ${key}`, () => this.sql.releaseClaim.run(key, exp));
  }

  async getMemo(key: string): Promise<string | null> {
    const row: Row<{ value: string; expires_at: number | null }> = this.run(`read memo ${key}`, () =>
      this.sql.getMemo.get(key),
    );
    if (!row || (row.expires_at !== null && row.expires_at <= this.now())) return null;
    return row.value;
  }

  async putMemo(key: string, value: string, expiresAt: string | null): Promise<void> {
    const exp = expiresAt === null ? null : instantMs(expiresAt, "expiresAt");
    this.run(`write memo ${key}`, () => this.sql.putMemo.run(key, value, exp));
  }

  async deleteMemo(key: string): Promise<void> {
    this.run(`delete memo ${key}`, () => this.sql.deleteMemo.run(key));
  }

  // --- remembered sizes (issue 12): a table of its own, made when first used ---
  private sizesSql: ReturnType<typeof prepareSizes> | null = null;

  private sizes(): ReturnType<typeof prepareSizes> {
    this.sizesSql ??= prepareSizes(this.db);
    return this.sizesSql;
  }

  async putSizes(slot: SizeSlot, snapshot: SizeSnapshot): Promise<boolean> {
    checkSnapshot(snapshot, slot);
    const z = await encodeSnapshot(snapshot);
    return this.run(`write sizes of ${snapshot.host}`, () => {
      const r = this.sizes().put.run(snapshot.host, slot, instantMs(snapshot.measuredAt, "measuredAt"), z);
      return r.changes > 0;
    });
  }

  async getSizes(host: string, slot: SizeSlot): Promise<SizeSnapshot | null> {
    const row = this.run(`read sizes of ${host}`, () => this.sizes().get.get(host, slot));
    return row ? decodeSnapshot(row.z, `embedded store ${this.file}`) : null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } catch (cause) {
      throw sqliteError(this.file, "close", cause);
    }
  }
}

function prepare(db: BetterSqlite3.Database) {
  return {
    insertRequest: db.prepare<[string, number, string, string, string]>(
      "INSERT INTO requests (id, version, status, order_key, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    ),
    getRequest: db.prepare<[string], { data: string }>("SELECT data FROM requests WHERE id = ?"),
    updateRequest: db.prepare<[number, string, string, string, string, number]>(
      "UPDATE requests SET version = ?, status = ?, order_key = ?, data = ? WHERE id = ? AND version = ?",
    ),
    listRequests: db.prepare<[string, string | null, string | null, number], { data: string }>(
      `SELECT data FROM requests
       WHERE order_key >= ? AND (? IS NULL OR status IN (SELECT value FROM json_each(?)))
       ORDER BY order_key DESC LIMIT ?`,
    ),
    // Written once: a row already under this key (the same record, appended again) stays as it is.
    insertAudit: db.prepare<[string, string, string]>(
      "INSERT INTO audit (request_id, key, data) VALUES (?, ?, ?) ON CONFLICT (request_id, key) DO NOTHING",
    ),
    listAudit: db.prepare<[string], { data: string }>(
      "SELECT data FROM audit WHERE request_id = ? ORDER BY key ASC",
    ),
    // One statement: a new claim, or the takeover of an expired one; changes = 0 while it lives.
    claim: db.prepare<[string, number, number]>(
      `INSERT INTO claims (key, expires_at) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE claims.expires_at <= ?`,
    ),
    // Only the holder's claim (the expiry it was taken with), never one taken since by another.
    releaseClaim: db.prepare<[string, number]>("DELETE FROM claims WHERE key = ? AND expires_at = ?"),
    getMemo: db.prepare<[string], { value: string; expires_at: number | null }>(
      "SELECT value, expires_at FROM memos WHERE key = ?",
    ),
    putMemo: db.prepare<[string, string, number | null]>(
      `INSERT INTO memos (key, value, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    ),
    deleteMemo: db.prepare<[string]>("DELETE FROM memos WHERE key = ?"),
    dropClaims: db.prepare<[number]>("DELETE FROM claims WHERE expires_at <= ?"),
    dropMemos: db.prepare<[number]>("DELETE FROM memos WHERE expires_at IS NOT NULL AND expires_at <= ?"),
  };
}

/** The sizes table (issue 12), made on first use so that it needs no schema version of its own. */
function prepareSizes(db: BetterSqlite3.Database) {
  db.exec(`CREATE TABLE IF NOT EXISTS sizes (
    host TEXT NOT NULL,
    slot TEXT NOT NULL,
    measured_at INTEGER NOT NULL,
    z BLOB NOT NULL,
    PRIMARY KEY (host, slot)
  )`);
  return {
    // One statement: a later (or equal) measurement replaces the row, an earlier one changes nothing.
    put: db.prepare<[string, string, number, Buffer]>(
      `INSERT INTO sizes (host, slot, measured_at, z) VALUES (?, ?, ?, ?)
       ON CONFLICT (host, slot) DO UPDATE SET measured_at = excluded.measured_at, z = excluded.z
       WHERE sizes.measured_at <= excluded.measured_at`,
    ),
    get: db.prepare<[string, string], { z: Buffer }>("SELECT z FROM sizes WHERE host = ? AND slot = ?"),
  };
}

const HINTS: Record<string, string> = {
  SQLITE_BUSY: "Another dvol process held the store's file locked for too long; try again.",
  SQLITE_LOCKED: "Another dvol process held the store's file locked for too long; try again.",
  SQLITE_CANTOPEN: "Check that DVOL_STATE_DIR exists (or can be made) and that this user may write in it.",
  SQLITE_READONLY: "Check that this user may write the file and DVOL_STATE_DIR.",
  SQLITE_PERM: "Check that this user may write the file and DVOL_STATE_DIR.",
  SQLITE_IOERR: "Check the disk that holds DVOL_STATE_DIR.",
  SQLITE_FULL: "The disk that holds DVOL_STATE_DIR is full.",
  SQLITE_CORRUPT: "The file is damaged: move it aside (dvol starts a new one) and keep it for the record.",
  SQLITE_NOTADB: "The file is not a dvol store: point DVOL_STATE_DIR elsewhere or move the file aside.",
};

export function sqliteError(file: string, op: string, cause: unknown): StoreError {
  if (cause instanceof StoreError) return cause;
  const code = String((cause as { code?: unknown })?.code ?? "");
  const base = code.replace(/^(SQLITE_[A-Z]+).*$/, "$1");
  const message = cause instanceof Error ? cause.message : String(cause);
  if (code === "ERR_DLOPEN_FAILED" || /NODE_MODULE_VERSION/.test(message)) {
    // The native module is loaded when the first database is opened, not when it is imported.
    return new StoreError(`embedded store ${file}: better-sqlite3 was built for another Node.js`, {
      cause,
      hint: `Rebuild it for this one (${process.version}): npm rebuild better-sqlite3; or set DVOL_TABLE to use DynamoDB.`,
    });
  }
  return new StoreError(`embedded store ${file}: ${op} failed: ${code ? `${code}: ` : ""}${message}`, {
    cause,
    hint:
      HINTS[base] ??
      (code.startsWith("E")
        ? "Check that DVOL_STATE_DIR exists (or can be made) and that this user may write in it."
        : "Check DVOL_STATE_DIR and the file's permissions."),
  });
}

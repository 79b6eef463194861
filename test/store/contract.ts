// The Store contract (src/store/store.ts), one suite for every implementation: each *.test.ts in
// this folder calls storeContract with a factory of fresh backings (a new dynalite table, a new
// SQLite file, a new memory state). A backing can open several Store objects over the same data,
// the way two processes (or two Lambda instances) share one table.
import { randomBytes, randomInt } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "../../src/errors.js";
import type { AuditRecord, DeletionRequest, RequestStatus } from "../../src/store/records.js";
import type { SizeSnapshot } from "../../src/store/sizes.js";
import type { Store } from "../../src/store/store.js";

export interface StoreBacking {
  /** A new Store object over this backing's data. */
  open(opts?: { now?: () => number }): Promise<Store>;
  /**
   * Writes `stored` directly in the backing (not through a Store) under the key that appending
   * `record` would use: what is already there when `record` is appended.
   */
  plantAudit(record: AuditRecord, stored: AuditRecord): Promise<void>;
  /** Removes the backing (closing is the tests' job). */
  dispose(): Promise<void>;
}

const ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export function newId(): string {
  let s = "DR-";
  for (let i = 0; i < 8; i++) s += ID_CHARS[randomInt(ID_CHARS.length)];
  return s;
}

export function makeRequest(over: Partial<DeletionRequest> = {}): DeletionRequest {
  return {
    id: newId(),
    kind: "rm",
    host: "host1",
    requester: "U0ALICE01",
    reason: "old caches — ünïcode",
    command: "rm host1 old-cache app_data",
    channel: "C0OPS0001",
    messageTs: "1764424800.000100",
    status: "pending",
    createdAt: "2026-11-29T14:00:00.000Z",
    expiresAt: "2026-11-30T14:00:00.000Z",
    plan: [
      {
        name: "old-cache",
        driver: "local",
        sizeBytes: 5_242_880,
        createdAt: "2026-10-01T10:00:00Z",
        project: null,
      },
      { name: "app_data", driver: "local", sizeBytes: null, createdAt: null, project: "app" },
    ],
    blocked: [{ name: "db_data", reason: "protected", detail: "matches protect rule *db*" }],
    decidedBy: null,
    decidedAt: null,
    executor: null,
    leaseUntil: null,
    outcomes: [],
    version: 1,
    ...over,
  };
}

const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
/** A valid Docker volume name of `length` random characters (nothing for a compressor to find). */
export function randomVolumeName(length: number): string {
  const bytes = randomBytes(length);
  let s = ID_CHARS[(bytes[0] ?? 0) % 10] ?? "v";
  for (let i = 1; i < length; i++) s += NAME_CHARS[(bytes[i] ?? 0) % NAME_CHARS.length];
  return s;
}

/**
 * A prune of `count` volumes with 255-character random names (the longest a volume directory can
 * have), 64-character projects, every outcome filled in, and `count / 5` blocked volumes.
 */
export function hugeRequest(count: number, over: Partial<DeletionRequest> = {}): DeletionRequest {
  const plan = Array.from({ length: count }, (_, i) => ({
    name: randomVolumeName(255),
    driver: "local",
    sizeBytes: 1_000_000_000_000 + i,
    createdAt: `2026-11-${String(1 + (i % 28)).padStart(2, "0")}T10:00:00.123Z`,
    project: randomVolumeName(64),
  }));
  return makeRequest({
    kind: "prune",
    command: "prune host1 --older-than 30d",
    plan,
    blocked: Array.from({ length: Math.floor(count / 5) }, (_, i) => ({
      name: randomVolumeName(255),
      reason: i % 2 ? ("in-use" as const) : ("protected" as const),
      detail: `used by ${randomVolumeName(60)} (running)`,
    })),
    outcomes: plan.map((p, i) =>
      i % 3 === 0
        ? { name: p.name, result: "deleted" as const, freedBytes: p.sizeBytes }
        : i % 3 === 1
          ? { name: p.name, result: "skipped" as const, reason: "in use by web-1 (running)" }
          : {
              name: p.name,
              result: "failed" as const,
              error: "engine answered 500: device or resource busy",
            },
    ),
    ...over,
  });
}

function auditRecord(
  requestId: string,
  at: string,
  seq: number,
  over: Partial<AuditRecord> = {},
): AuditRecord {
  return {
    requestId,
    at,
    seq,
    actor: "U0BOB0001",
    action: "approved",
    detail: { note: `${at}/${seq}` },
    ...over,
  };
}

const exactlyOne = (results: boolean[]) => expect(results.filter(Boolean)).toHaveLength(1);

export function storeContract(label: string, makeBacking: () => Promise<StoreBacking>): void {
  describe(`Store contract: ${label}`, () => {
    let backing: StoreBacking;
    let store: Store;
    const opened: Store[] = [];
    const open = async (opts?: { now?: () => number }) => {
      const s = await backing.open(opts);
      opened.push(s);
      return s;
    };

    beforeEach(async () => {
      backing = await makeBacking();
      store = await open();
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
      await backing.dispose();
    });

    describe("requests", () => {
      it("creates a request once: the second create is false and changes nothing", async () => {
        const r = makeRequest();
        expect(await store.createRequest(r)).toBe(true);
        expect(await store.getRequest(r.id)).toEqual(r);
        expect(await store.createRequest({ ...r, host: "host2", requester: "U0MALLORY" })).toBe(false);
        expect(await store.getRequest(r.id)).toEqual(r);
      });

      it("gets null for a request that does not exist", async () => {
        expect(await store.getRequest("DR-NOTTHERE")).toBeNull();
      });

      it("returns copies: changing a returned or stored object changes nothing stored", async () => {
        const r = makeRequest();
        await store.createRequest(r);
        r.plan.push({ name: "x", driver: "local", sizeBytes: 1, createdAt: null, project: null });
        const got = await store.getRequest(r.id);
        expect(got?.plan).toHaveLength(2);
        got?.plan.pop();
        expect((await store.getRequest(r.id))?.plan).toHaveLength(2);
      });

      it("updates at the expected version, and not at a stale one (nothing written)", async () => {
        const r = makeRequest();
        await store.createRequest(r);
        const approved = { ...r, status: "approved" as const, decidedBy: "U0BOB0001", version: 2 };
        expect(await store.updateRequest(approved, 1)).toBe(true);
        expect(await store.getRequest(r.id)).toEqual(approved);

        const stale = { ...r, status: "rejected" as const, decidedBy: "U0CAROL01", version: 2 };
        expect(await store.updateRequest(stale, 1)).toBe(false);
        expect(await store.getRequest(r.id)).toEqual(approved);

        const executing = { ...approved, status: "executing" as const, executor: "w1", version: 3 };
        expect(await store.updateRequest(executing, 2)).toBe(true);
        expect(await store.getRequest(r.id)).toEqual(executing);
      });

      it("does not create a request by updating one that does not exist", async () => {
        const r = makeRequest({ version: 2 });
        expect(await store.updateRequest(r, 1)).toBe(false);
        expect(await store.getRequest(r.id)).toBeNull();
      });

      it("refuses an update whose version is not expectedVersion + 1", async () => {
        const r = makeRequest();
        await store.createRequest(r);
        await expect(store.updateRequest({ ...r, version: 3 }, 1)).rejects.toThrow(/expectedVersion \+ 1/);
        await expect(store.updateRequest({ ...r, version: 1 }, 1)).rejects.toThrow(RangeError);
        expect(await store.getRequest(r.id)).toEqual(r);
      });

      it("lets exactly one of two concurrent updates at the same version win (10 rounds)", async () => {
        let current = makeRequest();
        await store.createRequest(current);
        for (let round = 0; round < 10; round++) {
          const a = { ...current, executor: `a${round}`, version: current.version + 1 };
          const b = {
            ...current,
            executor: `b${round}`,
            status: "rejected" as const,
            version: current.version + 1,
          };
          const results = await Promise.all([
            store.updateRequest(a, current.version),
            store.updateRequest(b, current.version),
          ]);
          exactlyOne(results);
          const winner = results[0] ? a : b;
          expect(await store.getRequest(current.id)).toEqual(winner);
          current = { ...winner, status: "pending" };
          current.version++;
          expect(await store.updateRequest(current, winner.version)).toBe(true);
        }
      });

      it("lets exactly one of 10 concurrent creates of the same id win", async () => {
        const base = makeRequest();
        const tries = Array.from({ length: 10 }, (_, i) => ({ ...base, requester: `U0USER00${i}` }));
        const results = await Promise.all(tries.map((r) => store.createRequest(r)));
        exactlyOne(results);
        expect(await store.getRequest(base.id)).toEqual(tries[results.indexOf(true)]);
      });

      describe("listRequests", () => {
        const at = (h: number) => `2026-11-29T${String(h).padStart(2, "0")}:00:00.000Z`;
        let rs: DeletionRequest[];

        beforeEach(async () => {
          const statuses: RequestStatus[] = [
            "pending",
            "done",
            "pending",
            "expired",
            "executing",
            "rejected",
          ];
          rs = statuses.map((status, i) =>
            makeRequest({ id: `DR-LIST000${i}`, status, createdAt: at(10 + i) }),
          );
          // Created out of order, and two at the same time (ordered by id, descending).
          rs.push(makeRequest({ id: "DR-LIST0009", status: "approved", createdAt: at(12) }));
          for (const r of [...rs].reverse()) expect(await store.createRequest(r)).toBe(true);
        });

        const ids = (list: DeletionRequest[]) => list.map((r) => r.id);

        it("lists every request, newest first (ties by id, descending)", async () => {
          expect(ids(await store.listRequests())).toEqual([
            "DR-LIST0005",
            "DR-LIST0004",
            "DR-LIST0003",
            "DR-LIST0009",
            "DR-LIST0002",
            "DR-LIST0001",
            "DR-LIST0000",
          ]);
          const all = await store.listRequests();
          expect(all.find((r) => r.id === "DR-LIST0003")).toEqual(rs[3]);
        });

        it("filters by status", async () => {
          expect(ids(await store.listRequests({ statuses: ["pending"] }))).toEqual([
            "DR-LIST0002",
            "DR-LIST0000",
          ]);
          expect(ids(await store.listRequests({ statuses: ["pending", "approved", "executing"] }))).toEqual([
            "DR-LIST0004",
            "DR-LIST0009",
            "DR-LIST0002",
            "DR-LIST0000",
          ]);
          expect(await store.listRequests({ statuses: [] })).toEqual([]);
        });

        it("keeps requests created at or after `since`, in any ISO spelling", async () => {
          expect(ids(await store.listRequests({ since: at(13) }))).toEqual([
            "DR-LIST0005",
            "DR-LIST0004",
            "DR-LIST0003",
          ]);
          expect(ids(await store.listRequests({ since: "2026-11-29T13:00:00Z" }))).toHaveLength(3);
          expect(ids(await store.listRequests({ since: "2026-11-29T14:00:00+01:00" }))).toEqual([
            "DR-LIST0005",
            "DR-LIST0004",
            "DR-LIST0003",
          ]);
          expect(await store.listRequests({ since: "2027-01-01T00:00:00Z" })).toEqual([]);
        });

        it("stops at `limit`, also with a filter and `since`", async () => {
          expect(ids(await store.listRequests({ limit: 2 }))).toEqual(["DR-LIST0005", "DR-LIST0004"]);
          expect(await store.listRequests({ limit: 0 })).toEqual([]);
          expect(ids(await store.listRequests({ statuses: ["pending", "done"], limit: 2 }))).toEqual([
            "DR-LIST0002",
            "DR-LIST0001",
          ]);
          expect(
            ids(await store.listRequests({ statuses: ["pending", "done"], since: at(11), limit: 5 })),
          ).toEqual(["DR-LIST0002", "DR-LIST0001"]);
        });

        it("lists requests as they are now, after updates", async () => {
          const first = rs[0] as DeletionRequest;
          await store.updateRequest({ ...first, status: "expired", version: 2 }, 1);
          expect(ids(await store.listRequests({ statuses: ["pending"] }))).toEqual(["DR-LIST0002"]);
          const [expired] = await store.listRequests({ statuses: ["expired"], limit: 5, since: at(10) });
          expect(expired?.id).toBe("DR-LIST0003");
          expect((await store.listRequests({ statuses: ["expired"] })).map((r) => r.version)).toEqual([1, 2]);
        });
      });
    });

    describe("audit", () => {
      it("lists a request's records oldest first (by at, then seq), and only that request's", async () => {
        const id = newId();
        const records = [
          auditRecord(id, "2026-11-29T14:00:05.000Z", 3000, { action: "executed" }),
          auditRecord(id, "2026-11-29T14:00:00.000Z", 1000, { action: "requested", actor: "U0ALICE01" }),
          auditRecord(id, "2026-11-29T14:00:05.000Z", 2001, { action: "volume", detail: { name: "b" } }),
          auditRecord(id, "2026-11-29T14:00:05.000Z", 2000, { action: "volume", detail: { name: "a" } }),
          auditRecord(id, "2026-11-29T14:00:02.000Z", 9, { action: "approved" }),
        ];
        for (const r of records) await store.appendAudit(r);
        await store.appendAudit(auditRecord(newId(), "2026-11-29T14:00:01.000Z", 1000));
        const trail = await store.listAudit(id);
        expect(trail.map((r) => r.seq)).toEqual([1000, 9, 2000, 2001, 3000]);
        expect(trail[0]).toEqual(records[1]);
        expect(trail[2]?.detail).toEqual({ name: "a" });
      });

      it("orders by time, not by how `at` is spelled", async () => {
        const id = newId();
        await store.appendAudit(auditRecord(id, "2026-11-29T14:00:00Z", 2));
        await store.appendAudit(auditRecord(id, "2026-11-29T14:00:00.000Z", 1));
        await store.appendAudit(auditRecord(id, "2026-11-29T15:00:00.000+02:00", 3));
        expect((await store.listAudit(id)).map((r) => r.seq)).toEqual([3, 1, 2]);
      });

      it("keeps a record appended twice (a retry) once, and different records at the same at/seq all", async () => {
        const id = newId();
        const r = auditRecord(id, "2026-11-29T14:00:00.000Z", 1000);
        await store.appendAudit(r);
        await store.appendAudit({ ...r, detail: { ...r.detail } });
        await store.appendAudit({ ...r, actor: "U0MALLORY", action: "refused" });
        const trail = await store.listAudit(id);
        expect(trail).toHaveLength(2);
        expect(trail).toContainEqual(r);
        expect(trail.map((t) => t.action).sort()).toEqual(["approved", "refused"]);
      });

      it("never overwrites: a record appended under a key already taken leaves what is stored there", async () => {
        const id = newId();
        const record = auditRecord(id, "2026-11-29T14:00:00.000Z", 1000, { action: "executed" });
        const first = { ...record, actor: "U0FIRST01", detail: { note: "written first" } };
        await backing.plantAudit(record, first);
        expect(await store.listAudit(id)).toEqual([first]);
        await store.appendAudit(record);
        expect(await store.listAudit(id)).toEqual([first]);
      });

      it("keeps one record of 10 concurrent appends of it (retries), none failing", async () => {
        const id = newId();
        const r = auditRecord(id, "2026-11-29T14:00:00.000Z", 7);
        const other = await open();
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? other : store).appendAudit(structuredClone(r))),
        );
        expect(await store.listAudit(id)).toEqual([r]);
      });

      it("has an empty trail for an unknown request", async () => {
        expect(await store.listAudit("DR-NOTTHERE")).toEqual([]);
      });
    });

    describe("claims", () => {
      const now = "2026-11-29T14:00:00.000Z";
      const later = "2026-11-29T15:00:00.000Z";

      it("claims a key once; later callers get false while it lives", async () => {
        expect(await store.claim("slack:Ev123", later, now)).toBe(true);
        expect(await store.claim("slack:Ev123", later, now)).toBe(false);
        expect(await store.claim("slack:Ev123", "2026-11-29T16:00:00.000Z", "2026-11-29T14:59:59.999Z")).toBe(
          false,
        );
        expect(await store.claim("slack:Ev124", later, now)).toBe(true);
      });

      it("gives exactly one of 20 concurrent claims", async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, () => store.claim("report:2026-11-29", later, now)),
        );
        exactlyOne(results);
      });

      it("lets an expired claim be claimed again, once", async () => {
        expect(await store.claim("k", later, now)).toBe(true);
        // At expiresAt the claim is over (in another spelling of the same instant, too).
        const results = await Promise.all(
          Array.from({ length: 5 }, () =>
            store.claim("k", "2026-11-29T16:00:00.000Z", "2026-11-29T16:00:00+01:00"),
          ),
        );
        exactlyOne(results);
        expect(await store.claim("k", "2026-11-29T17:00:00.000Z", "2026-11-29T15:59:59.000Z")).toBe(false);
        expect(await store.claim("k", "2026-11-29T17:00:00.000Z", "2026-11-29T16:00:00.001Z")).toBe(true);
      });

      it("refuses times that are not ISO 8601", async () => {
        await expect(store.claim("k", "tomorrow", now)).rejects.toThrow(RangeError);
        await expect(store.claim("k", later, "")).rejects.toThrow(RangeError);
        await expect(store.releaseClaim("k", "tomorrow")).rejects.toThrow(RangeError);
      });

      it("releases a claim, so the key can be claimed again at once, by exactly one caller", async () => {
        expect(await store.claim("report#2026-11-29", later, now)).toBe(true);
        // Another spelling of the same instant releases it as well.
        await store.releaseClaim("report#2026-11-29", "2026-11-29T16:00:00+01:00");
        const other = await open();
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 ? other : store).claim("report#2026-11-29", later, now),
          ),
        );
        exactlyOne(results);
      });

      it("leaves alone a claim taken since by another caller (after the releaser's expired)", async () => {
        expect(await store.claim("k", later, now)).toBe(true);
        const other = await open();
        const otherExpiry = "2026-11-29T16:00:00.000Z";
        expect(await other.claim("k", otherExpiry, later)).toBe(true);
        await store.releaseClaim("k", later);
        expect(await store.claim("k", "2026-11-29T17:00:00.000Z", "2026-11-29T15:30:00.000Z")).toBe(false);
        await other.releaseClaim("k", otherExpiry);
        expect(await store.claim("k", "2026-11-29T17:00:00.000Z", "2026-11-29T15:30:00.000Z")).toBe(true);
      });

      it("releases a claim that is not held without an error, and without claiming it", async () => {
        await store.releaseClaim("never-claimed", later);
        expect(await store.claim("never-claimed", later, now)).toBe(true);
        expect(await store.claim("never-claimed", later, now)).toBe(false);
      });
    });

    describe("memos", () => {
      it("puts, gets, overwrites and deletes", async () => {
        expect(await store.getMemo("dangling:host1:old-cache")).toBeNull();
        await store.putMemo("dangling:host1:old-cache", "2026-11-01T00:00:00.000Z", null);
        expect(await store.getMemo("dangling:host1:old-cache")).toBe("2026-11-01T00:00:00.000Z");
        await store.putMemo("dangling:host1:old-cache", "ünïcode ✓", "2999-01-01T00:00:00.000Z");
        expect(await store.getMemo("dangling:host1:old-cache")).toBe("ünïcode ✓");
        await store.deleteMemo("dangling:host1:old-cache");
        expect(await store.getMemo("dangling:host1:old-cache")).toBeNull();
        await store.deleteMemo("dangling:host1:old-cache");
        await store.deleteMemo("never-there");
      });

      it("does not return an expired memo", async () => {
        let t = Date.parse("2026-11-29T14:00:00.000Z");
        const clocked = await open({ now: () => t });
        await clocked.putMemo("m", "v", "2026-11-29T15:00:00.000Z");
        expect(await clocked.getMemo("m")).toBe("v");
        t = Date.parse("2026-11-29T15:00:00.000Z");
        expect(await clocked.getMemo("m")).toBeNull();
        await clocked.putMemo("m", "w", null);
        expect(await clocked.getMemo("m")).toBe("w");
        await store.putMemo("old", "v", "2000-01-01T00:00:00.000Z");
        expect(await store.getMemo("old")).toBeNull();
      });

      it("keeps large values and keys with any characters", async () => {
        const value = JSON.stringify({ seen: Array.from({ length: 500 }, (_, i) => `vol-${i}`) });
        await store.putMemo("report#host1/vol:a b", value, null);
        expect(await store.getMemo("report#host1/vol:a b")).toBe(value);
      });
    });

    describe("size", () => {
      it("round-trips a request of 1,000 planned volumes with 255-character names, outcomes and blocked ones", async () => {
        const r = hugeRequest(1000, { status: "executing" });
        expect(Buffer.byteLength(JSON.stringify(r))).toBeGreaterThan(800_000);
        expect(await store.createRequest(r)).toBe(true);
        expect(await store.getRequest(r.id)).toEqual(r);
        const done = { ...r, status: "done" as const, outcomes: r.outcomes.slice().reverse(), version: 2 };
        expect(await store.updateRequest(done, 1)).toBe(true);
        expect(await store.getRequest(r.id)).toEqual(done);
        expect(await store.updateRequest({ ...r, version: 2, status: "expired" }, 1)).toBe(false);
        expect(await store.listRequests({ statuses: ["done"] })).toEqual([done]);
      });
    });

    // --- remembered sizes (issue 12) ---
    describe("remembered sizes", () => {
      const snapshot = (measuredAt: string, count = 3, host = "host1"): SizeSnapshot => ({
        host,
        measuredAt,
        volumes: Array.from({ length: count }, (_, i) => ({
          name: `vol-${i}-${randomVolumeName(40)}`,
          createdAt: i % 7 === 0 ? null : `2026-10-01T10:${String(i % 60).padStart(2, "0")}:00Z`,
          sizeBytes: i % 5 === 0 ? null : i * 1_048_577,
        })),
      });

      it("keeps a host's snapshot per slot, and nothing for another host", async () => {
        const s = snapshot("2026-12-03T06:00:00.000Z");
        expect(await store.getSizes("host1", "measured")).toBeNull();
        expect(await store.putSizes("measured", s)).toBe(true);
        expect(await store.getSizes("host1", "measured")).toEqual(s);
        expect(await store.getSizes("host1", "reported")).toBeNull();
        expect(await store.getSizes("host2", "measured")).toBeNull();
        const reported = {
          ...snapshot("2026-12-02T06:00:00.000Z"),
          history: [
            {
              day: "2026-12-02",
              measuredAt: "2026-12-02T06:00:00.000Z",
              totalBytes: 5,
              danglingBytes: 2,
              volumeCount: 3,
            },
          ],
        };
        expect(await store.putSizes("reported", reported)).toBe(true);
        expect(await store.getSizes("host1", "reported")).toEqual(reported);
        expect(await store.getSizes("host1", "measured")).toEqual(s);
      });

      it("never lets an earlier measurement replace a later one", async () => {
        const later = snapshot("2026-12-03T06:00:00.000Z");
        const earlier = snapshot("2026-12-03T05:00:00.000Z");
        expect(await store.putSizes("measured", later)).toBe(true);
        expect(await store.putSizes("measured", earlier)).toBe(false);
        expect(await store.getSizes("host1", "measured")).toEqual(later);
        const newest = snapshot("2026-12-03T07:00:00.000Z", 2);
        expect(await store.putSizes("measured", newest)).toBe(true);
        expect(await (await open()).getSizes("host1", "measured")).toEqual(newest);
      });

      it("round-trips a host of 5,000 volumes, and replaces it with a small one", async () => {
        const big = snapshot("2026-12-03T06:00:00.000Z", 5000);
        big.volumes = big.volumes.map((v) => ({ ...v, name: randomVolumeName(200) }));
        expect(await store.putSizes("measured", big)).toBe(true);
        expect(await store.getSizes("host1", "measured")).toEqual(big);
        const small = snapshot("2026-12-03T07:00:00.000Z", 1);
        expect(await store.putSizes("measured", small)).toBe(true);
        expect(await store.getSizes("host1", "measured")).toEqual(small);
      });

      it("refuses a snapshot without a time", async () => {
        await expect(store.putSizes("measured", snapshot("soon"))).rejects.toBeInstanceOf(RangeError);
      });
    });

    describe("several store objects over the same data", () => {
      it("see each other's writes", async () => {
        const other = await open();
        const r = makeRequest();
        await store.createRequest(r);
        expect(await other.getRequest(r.id)).toEqual(r);
        expect(await other.updateRequest({ ...r, status: "approved", version: 2 }, 1)).toBe(true);
        expect((await store.getRequest(r.id))?.status).toBe("approved");
        await store.appendAudit(auditRecord(r.id, "2026-11-29T14:00:00.000Z", 1));
        expect(await other.listAudit(r.id)).toHaveLength(1);
        await other.putMemo("m", "from other", null);
        expect(await store.getMemo("m")).toBe("from other");
        expect(await store.claim("c", "2026-11-29T15:00:00.000Z", "2026-11-29T14:00:00.000Z")).toBe(true);
        expect(await other.claim("c", "2026-11-29T15:00:00.000Z", "2026-11-29T14:00:00.000Z")).toBe(false);
        expect((await other.listRequests()).map((x) => x.id)).toEqual([r.id]);
      });

      it("give exactly one of 20 concurrent claims, spread over three objects", async () => {
        const stores = [store, await open(), await open()];
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (stores[i % 3] as Store).claim(
              "delivery:1",
              "2026-11-29T15:00:00.000Z",
              "2026-11-29T14:00:00.000Z",
            ),
          ),
        );
        exactlyOne(results);
      });

      it("let exactly one of concurrent updates from two objects win", async () => {
        const other = await open();
        const r = makeRequest();
        await store.createRequest(r);
        for (let v = 1; v <= 5; v++) {
          const results = await Promise.all([
            store.updateRequest({ ...r, executor: "one", version: v + 1 }, v),
            other.updateRequest({ ...r, executor: "two", version: v + 1 }, v),
          ]);
          exactlyOne(results);
        }
        expect((await store.getRequest(r.id))?.version).toBe(6);
      });

      it("keep everything across close and reopen", async () => {
        const r = makeRequest();
        await store.createRequest(r);
        await store.appendAudit(auditRecord(r.id, "2026-11-29T14:00:00.000Z", 1));
        await store.claim("c", "2999-01-01T00:00:00.000Z", "2026-11-29T14:00:00.000Z");
        await store.putMemo("m", "v", null);
        await store.close();
        const again = await open();
        expect(await again.getRequest(r.id)).toEqual(r);
        expect(await again.listAudit(r.id)).toHaveLength(1);
        expect(await again.claim("c", "2999-01-01T00:00:00.000Z", "2026-11-29T14:00:00.000Z")).toBe(false);
        expect(await again.getMemo("m")).toBe("v");
      });
    });

    it("fails with a StoreError once closed, and closes twice without harm", async () => {
      await store.close();
      await store.close();
      await expect(store.getRequest("DR-00000000")).rejects.toBeInstanceOf(StoreError);
      await expect(store.claim("k", "2999-01-01T00:00:00Z", "2026-01-01T00:00:00Z")).rejects.toBeInstanceOf(
        StoreError,
      );
    });
  });
}

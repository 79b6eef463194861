// The report function's role may only touch the items whose leading keys are CLAIM#report#*,
// MEMO#report-posted#*, MEMO#report-list|* and MEMO#dangling|* (src/store/dynamo.ts maps a claim
// to `CLAIM#<key>`, a memo to `MEMO#<key>`). This runs the daily report through handlers/report.ts
// on every path it has (first post, hosts' volumes dangling and used again, a failed post, a date
// already posted, a date held by another invocation) with a store that records every key it is
// asked for, and checks each one against those prefixes.
import { describe, expect, it } from "vitest";
import { createReportHandler } from "../../../handlers/report.js";
import type { SlackMessage } from "../../../src/blocks/message.js";
import type { Config } from "../../../src/config/types.js";
import { ReportInProgressError, ReportNotPostedError } from "../../../src/errors.js";
import type { PostedMessage, SlackOutbox } from "../../../src/slack/post.js";
import { MemoryStore } from "../../../src/store/memory.js";
import type { AuditRecord, DeletionRequest } from "../../../src/store/records.js";
import type { SizeSlot, SizeSnapshot } from "../../../src/store/sizes.js";
import type { Store } from "../../../src/store/store.js";
import { manualClock } from "../../support/clock.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";
import { lambdaContext } from "../../support/lambda-context.js";

/** The report role's leading keys (what its IAM allows). */
const ALLOWED = [
  /^CLAIM#report#/,
  /^MEMO#report-posted#/,
  /^MEMO#report-list\|/,
  /^MEMO#dangling\|/,
  // Remembered sizes and the report's history of them, and the claim of a host's measurement (issue 12).
  /^SIZES#/,
  /^CLAIM#sizes#/,
];

/** A Store that records the DynamoDB leading key (pk) of everything it is asked for. */
class KeyRecordingStore implements Store {
  readonly touched: { op: string; pk: string }[] = [];
  constructor(private readonly inner: Store) {}
  private note(op: string, pk: string): void {
    this.touched.push({ op, pk });
  }
  createRequest(r: DeletionRequest) {
    this.note("createRequest", `REQ#${r.id}`);
    return this.inner.createRequest(r);
  }
  getRequest(id: string) {
    this.note("getRequest", `REQ#${id}`);
    return this.inner.getRequest(id);
  }
  updateRequest(next: DeletionRequest, expectedVersion: number) {
    this.note("updateRequest", `REQ#${next.id}`);
    return this.inner.updateRequest(next, expectedVersion);
  }
  listRequests(opts?: Parameters<Store["listRequests"]>[0]) {
    this.note("listRequests", "REQS (index byCreated)");
    return this.inner.listRequests(opts);
  }
  appendAudit(record: AuditRecord) {
    this.note("appendAudit", `AUDIT#${record.requestId}`);
    return this.inner.appendAudit(record);
  }
  listAudit(requestId: string) {
    this.note("listAudit", `AUDIT#${requestId}`);
    return this.inner.listAudit(requestId);
  }
  claim(key: string, expiresAt: string, now: string) {
    this.note("claim", `CLAIM#${key}`);
    return this.inner.claim(key, expiresAt, now);
  }
  releaseClaim(key: string, expiresAt: string) {
    this.note("releaseClaim", `CLAIM#${key}`);
    return this.inner.releaseClaim(key, expiresAt);
  }
  getMemo(key: string) {
    this.note("getMemo", `MEMO#${key}`);
    return this.inner.getMemo(key);
  }
  putMemo(key: string, value: string, expiresAt: string | null) {
    this.note("putMemo", `MEMO#${key}`);
    return this.inner.putMemo(key, value, expiresAt);
  }
  deleteMemo(key: string) {
    this.note("deleteMemo", `MEMO#${key}`);
    return this.inner.deleteMemo(key);
  }
  putSizes(slot: SizeSlot, snapshot: SizeSnapshot) {
    this.note("putSizes", `SIZES#${snapshot.host}`);
    return this.inner.putSizes(slot, snapshot);
  }
  getSizes(host: string, slot: SizeSlot) {
    this.note("getSizes", `SIZES#${host}`);
    return this.inner.getSizes(host, slot);
  }
  close() {
    return this.inner.close();
  }
}

describe("the daily report's store keys", () => {
  it("touches only CLAIM#report#*, MEMO#report-posted#*, MEMO#report-list|*, MEMO#dangling|*, SIZES#* and CLAIM#sizes#*, on every path", async () => {
    const clock = manualClock("2026-11-29T08:00:00Z");
    const store = new KeyRecordingStore(new MemoryStore({ now: () => clock.ms() }));
    const engine = new FakeEngine()
      .addVolume({ name: "old-cache", sizeBytes: 5_200_000 })
      .addVolume({ name: "tmp-1", sizeBytes: 1_000 })
      .addVolume({ name: "web-data" })
      .addContainer({ name: "web-1", state: "running", volumes: ["web-data"] });
    const config: Config = { ...fakeConfig(), report: { channel: "C0REPORT" } };
    let failPosts = 0;
    const posts: SlackMessage[] = [];
    const slack: SlackOutbox = {
      async post(channel, msg): Promise<PostedMessage> {
        if (failPosts-- > 0) {
          throw Object.assign(new Error("An API error occurred: internal_error"), {
            code: "slack_webapi_platform_error",
            data: { ok: false, error: "internal_error" },
          });
        }
        posts.push(msg);
        return { channel, ts: `${posts.length}.000`, fileId: null };
      },
      async respond() {},
    };
    const run = createReportHandler({
      env: {},
      config,
      connect: engine.factory(),
      slack,
      store,
      metrics: { count() {} },
      now: () => clock.now(),
      logger: { info() {}, warn() {}, error() {} },
    });
    const deadline = lambdaContext({ functionName: "dvol-prod-report", remainingMs: () => 100_000 });

    expect((await run({}, deadline)).status).toBe("posted");
    expect((await run({}, deadline)).status).toBe("already-posted");

    // The next day: tmp-1 is used again (its memo goes), the first post fails, another invocation
    // meets the date claimed, and a retry posts.
    clock.advance(86_400_000);
    engine.addContainer({ name: "job-1", state: "exited", volumes: ["tmp-1"] });
    failPosts = 1;
    await expect(run({}, deadline)).rejects.toBeInstanceOf(ReportNotPostedError);
    await store.claim("report#2026-11-30", "2026-11-30T08:02:00Z", clock.now().toISOString());
    await expect(run({}, deadline)).rejects.toBeInstanceOf(ReportInProgressError);
    clock.advance(180_000);
    expect((await run({}, deadline)).status).toBe("posted");
    expect(posts).toHaveLength(2);

    const outside = store.touched.filter((t) => !ALLOWED.some((re) => re.test(t.pk)));
    expect(outside).toEqual([]);
    // What the role needs, by leading key (claim and putMemo are PutItem, getMemo GetItem,
    // releaseClaim and deleteMemo DeleteItem); every path was met, so the check above covered each.
    const prefix = (pk: string) => ALLOWED.find((re) => re.test(pk))?.source.replace(/^\^|\\/g, "") ?? pk;
    const uses = [...new Set(store.touched.map((t) => `${t.op} ${prefix(t.pk)}`))].sort();
    expect(uses).toEqual([
      "claim CLAIM#report#",
      "claim CLAIM#sizes#",
      "deleteMemo MEMO#dangling|",
      "getMemo MEMO#dangling|",
      "getMemo MEMO#report-posted#",
      "getSizes SIZES#",
      "putMemo MEMO#dangling|",
      "putMemo MEMO#report-list|",
      "putMemo MEMO#report-posted#",
      "putSizes SIZES#",
      "releaseClaim CLAIM#report#",
      "releaseClaim CLAIM#sizes#",
    ]);
    expect(
      store.touched.some((t) => t.op === "deleteMemo" && t.pk.startsWith("MEMO#dangling|host1|tmp-1|")),
    ).toBe(true);
  });
});

// The daily report under Lambda's real retry semantics (SPEC §5: "a retried schedule posts the
// day's report once"; §7: an alarm on a missing daily report): handlers/report.ts invoked through
// a model of Lambda's asynchronous invocation (test/support/lambda-async.ts: a failed invocation is
// retried at most twice, about 1 and 2 minutes later, then its event goes to the failure
// destination), posting to the Slack Web API stand-in through the real poster, with a real store
// (the embedded SQLite file, and DynamoDB as dynalite), all on one injected clock. What is counted
// is what a user would notice: the messages in the channel, the DailyReportPosted metric the
// alarm watches, and the events left on the failure destination.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createReportHandler, type ReportHandler } from "../../handlers/report.js";
import type { Config, HostConfig } from "../../src/config/types.js";
import { ReportInProgressError, ReportNotPostedError } from "../../src/errors.js";
import type { DailyReportOutcome } from "../../src/jobs/run-report.js";
import type { MetricName, MetricsSink } from "../../src/metrics.js";
import { openDynamoStore } from "../../src/store/dynamo.js";
import { openEmbeddedStore } from "../../src/store/embedded.js";
import type { Store } from "../../src/store/store.js";
import { type ManualClock, manualClock } from "../support/clock.js";
import { type Dynalite, startDynalite } from "../support/dynalite.js";
import { FakeEngine, fakeConfig } from "../support/fake-engine.js";
import { LambdaAsyncModel } from "../support/lambda-async.js";
import { type SlackStandin, startSlackStandin } from "../support/slack-standin.js";

const CHANNEL = "C0REPORT1";
const BOT_TOKEN = "xoxb-dvol-report-retries";
const EVENT = { source: "aws.events", "detail-type": "Scheduled Event", time: "2026-11-29T08:00:00Z" };
type Event = typeof EVENT;
const quiet = { info() {}, warn() {}, error() {} };

function config(): Config {
  const host: HostConfig = {
    name: "host1",
    endpoint: { kind: "socket", path: "/fake-host1.sock" },
    labels: {},
    timeoutMs: 20_000,
  };
  return { ...fakeConfig(), hosts: [host], report: { channel: CHANNEL } };
}

const engine = () =>
  new FakeEngine()
    .addVolume({ name: "old-cache", sizeBytes: 5_200_000 })
    .addVolume({ name: "web-data" })
    .addContainer({ name: "web-1", state: "running", volumes: ["web-data"] });

function recordingMetrics(): MetricsSink & { emitted: { name: MetricName; value: number }[] } {
  const emitted: { name: MetricName; value: number }[] = [];
  return { emitted, count: (name, value = 1) => void emitted.push({ name, value }) };
}

let standin: SlackStandin;
let dyn: Dynalite;
const dirs: string[] = [];

beforeAll(async () => {
  [standin, dyn] = await Promise.all([startSlackStandin({ token: BOT_TOKEN }), startDynalite()]);
});

afterAll(async () => {
  await Promise.all([standin?.close(), dyn?.stop()]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A backing shared by every Lambda instance of a test, opening one Store per instance. */
type Backing = (now: () => number) => Promise<Store>;

const backings: [string, () => Promise<Backing>][] = [
  [
    "embedded SQLite store",
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "dvol-report-retries-"));
      dirs.push(dir);
      return (now) => openEmbeddedStore({ file: path.join(dir, "dvol.sqlite"), now });
    },
  ],
  [
    "DynamoDB store (dynalite)",
    async () => {
      const table = await dyn.createTable();
      return (now) => openDynamoStore({ ...dyn.storeOptions(table), now });
    },
  ],
];

describe.each(backings)("the daily report under Lambda's retries, with the %s", (_label, makeBacking) => {
  let clock: ManualClock;
  let metrics: ReturnType<typeof recordingMetrics>;
  let backing: Backing;
  const stores: Store[] = [];

  /** A new Lambda instance (a cold start): its own handler and store object over the same data. */
  async function instance(): Promise<ReportHandler> {
    const store = await backing(() => clock.ms());
    stores.push(store);
    return createReportHandler({
      env: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: standin.apiUrl },
      config: config(),
      connect: engine().factory(),
      store,
      metrics,
      now: () => clock.now(),
      logger: quiet,
    });
  }

  /** The model over `count` instances; each try runs on the next one (Lambda picks any). */
  async function lambda(count = 1): Promise<LambdaAsyncModel<Event, DailyReportOutcome>> {
    const instances = await Promise.all(Array.from({ length: count }, instance));
    let next = 0;
    return new LambdaAsyncModel<Event, DailyReportOutcome>({
      clock,
      handler: (event, context) => (instances[next++ % count] as ReportHandler)(event, context),
    });
  }

  const reportsInChannel = () => [...standin.messages.values()].filter((m) => m.channel === CHANNEL);

  beforeEach(async () => {
    standin.reset();
    clock = manualClock("2026-11-29T08:00:00.400Z");
    metrics = recordingMetrics();
    backing = await makeBacking();
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it("posts once when Slack fails and then answers: the retry a minute later posts, nothing is left on the failure destination", async () => {
    standin.failNext("chat.postMessage", "internal_error");
    const model = await lambda();
    model.invoke(EVENT);
    await model.settle();

    expect(standin.callsTo("chat.postMessage")).toHaveLength(2);
    expect(reportsInChannel()).toHaveLength(1);
    expect(JSON.stringify(reportsInChannel()[0]?.blocks)).toContain("old-cache");
    expect(metrics.emitted).toEqual([{ name: "DailyReportPosted", value: 1 }]);
    expect(model.failureDestination).toEqual([]);

    const tries = model.triesOf(0);
    expect(tries.map((t) => t.outcome)).toEqual(["failed", "succeeded"]);
    expect(tries[1]?.at).toBe(Date.parse("2026-11-29T08:01:00.400Z"));
    expect(tries[0]?.error).toBeInstanceOf(ReportNotPostedError);
    expect(String((tries[0]?.error as Error | undefined)?.message)).toMatch(
      /2026-11-29.*C0REPORT1.*internal_error/,
    );
    expect(tries[1]?.result?.status).toBe("posted");

    // The schedule's event delivered again later that day: nothing new in the channel, no metric.
    clock.advance(3_600_000);
    model.invoke(EVENT);
    await model.settle();
    expect(model.triesOf(1).map((t) => t.result?.status)).toEqual(["already-posted"]);
    expect(reportsInChannel()).toHaveLength(1);
    expect(metrics.emitted).toHaveLength(1);
  });

  it("fails three times when every post fails: nothing posted, the event on the failure destination, no DailyReportPosted (the alarm fires)", async () => {
    standin.failNext("chat.postMessage", "internal_error", 5);
    const model = await lambda();
    model.invoke(EVENT);
    await model.settle();

    // Every try asked Slack: no retry was turned into a success by the first try's claim.
    expect(standin.callsTo("chat.postMessage")).toHaveLength(3);
    expect(reportsInChannel()).toEqual([]);
    expect(metrics.emitted).toEqual([]);
    const tries = model.triesOf(0);
    expect(tries.map((t) => t.at - Date.parse("2026-11-29T08:00:00.400Z"))).toEqual([0, 60_000, 180_000]);
    expect(tries.every((t) => t.error instanceof ReportNotPostedError)).toBe(true);
    expect(model.failureDestination).toHaveLength(1);
    expect(model.failureDestination[0]).toMatchObject({ invocation: 0, attempts: 3, event: EVENT });
    expect(model.failureDestination[0]?.error).toBeInstanceOf(ReportNotPostedError);
  });

  it("posts once for two concurrent invocations of one date (EventBridge delivering twice), on two instances", async () => {
    const model = await lambda(2);
    model.invoke(EVENT);
    model.invoke({ ...EVENT });
    await model.settle();

    expect(standin.callsTo("chat.postMessage")).toHaveLength(1);
    expect(reportsInChannel()).toHaveLength(1);
    expect(metrics.emitted).toEqual([{ name: "DailyReportPosted", value: 1 }]);
    expect(model.failureDestination).toEqual([]);
    const last = [0, 1].map((i) => model.triesOf(i).at(-1)?.result?.status).sort();
    expect(last).toEqual(["already-posted", "posted"]);
    // A try that met the other's claim failed (to be retried), never succeeded without a report.
    for (const t of model.attempts.filter((a) => a.outcome === "failed")) {
      expect(t.error).toBeInstanceOf(ReportInProgressError);
    }
  });

  it("posts on a retry after an invocation died holding the date: its claim ends with its deadline", async () => {
    // An earlier invocation claimed the date at 07:59:59.400 with 120 s to live, then was killed
    // (the claim it took is what this store holds: until its deadline plus the margin).
    const store = await backing(() => clock.ms());
    stores.push(store);
    expect(
      await store.claim("report#2026-11-29", "2026-11-29T08:02:04.400Z", "2026-11-29T07:59:59.400Z"),
    ).toBe(true);
    const model = await lambda();
    model.invoke(EVENT);
    await model.settle();

    const tries = model.triesOf(0);
    expect(tries.map((t) => t.outcome)).toEqual(["failed", "failed", "succeeded"]);
    expect(tries[0]?.error).toBeInstanceOf(ReportInProgressError);
    expect(reportsInChannel()).toHaveLength(1);
    expect(metrics.emitted).toHaveLength(1);
    expect(model.failureDestination).toEqual([]);
  });
});

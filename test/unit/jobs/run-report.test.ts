// Unit tests of the dangling report in Slack: the rendering within Slack's limits at 50 hosts and
// 10,000 volumes, `/dvol report` as a worker job, and the daily report posted once per date.
import { describe, expect, it, vi } from "vitest";
import { createReportHandler } from "../../../handlers/report.js";
import type { SlackMessage } from "../../../src/blocks/message.js";
import { CLEANUP_ACTION, cleanupValue, renderReportSlack } from "../../../src/commands/report/slack.js";
import type { Config, HostConfig } from "../../../src/config/types.js";
import type { ConnectionFactory } from "../../../src/docker/connection.js";
import { HostError, ReportInProgressError, ReportNotPostedError, StoreError } from "../../../src/errors.js";
import type { CleanupJob, CommandJob } from "../../../src/jobs/job.js";
import {
  CLAIM_MARGIN_MS,
  type DailyReportOutcome,
  POSTING_LEASE_MS,
  postDailyReport,
} from "../../../src/jobs/run-report.js";
import { runWorkerJob } from "../../../src/jobs/run-request.js";
import { type MetricName, type MetricsSink, powertoolsMetrics } from "../../../src/metrics.js";
import type { ReportResult } from "../../../src/report/dangling.js";
import { cleanupJobOf } from "../../../src/slack/app.js";
import type { PostedMessage, SlackThreadOutbox } from "../../../src/slack/post.js";
import { MemoryStore } from "../../../src/store/memory.js";
import type { Store } from "../../../src/store/store.js";
import { type ManualClock, manualClock } from "../../support/clock.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";
import { LambdaAsyncModel } from "../../support/lambda-async.js";
import { expectWithinSlackLimits } from "../../support/slack-limits.js";

function host(name: string): HostConfig {
  return { name, endpoint: { kind: "socket", path: `/fake-${name}.sock` }, labels: {}, timeoutMs: 20_000 };
}

function configOf(names: string[], channel: string | null = "C0REPORT"): Config {
  return { ...fakeConfig(), hosts: names.map(host), report: { channel } };
}

function factory(engines: Record<string, FakeEngine>): ConnectionFactory {
  return async (h) => {
    const fake = engines[h.name];
    if (!fake) throw new HostError(h.name, "refused", "connection refused");
    return fake.factory()(h);
  };
}

function outbox() {
  const posts: { channel: string; msg: SlackMessage; threadTs?: string }[] = [];
  const responses: SlackMessage[] = [];
  const slack: SlackThreadOutbox = {
    async post(channel, msg): Promise<PostedMessage> {
      posts.push({ channel, msg });
      return { channel, ts: `${posts.length}.000`, fileId: msg.file ? "F1" : null };
    },
    async respond(_url, msg) {
      responses.push(msg);
    },
    async postInThread(channel, threadTs, msg): Promise<PostedMessage> {
      posts.push({ channel, msg, threadTs });
      return { channel, ts: `${posts.length}.000`, fileId: msg.file ? "F1" : null };
    },
    update: async () => {
      throw new Error("not used");
    },
    usergroupMembers: async () => [],
  };
  return { slack, posts, responses };
}

function recordingMetrics(): MetricsSink & { emitted: { name: MetricName; value: number }[] } {
  const emitted: { name: MetricName; value: number }[] = [];
  return { emitted, count: (name, value = 1) => void emitted.push({ name, value }) };
}

/** An error as @slack/web-api throws it for `{ ok: false, error }`. */
function slackPlatformError(error: string): Error {
  return Object.assign(new Error(`An API error occurred: ${error}`), {
    code: "slack_webapi_platform_error",
    data: { ok: false, error },
  });
}

/** `store`, except that the calls `fails(op, key)` picks throw a StoreError. */
function failingStore(store: Store, fails: (op: string, key: string) => boolean): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const key = typeof args[0] === "string" ? args[0] : "";
        if (fails(String(prop), key))
          return Promise.reject(new StoreError(`${String(prop)} ${key} failed (test)`));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/**
 * A memory store on the test's clock: memos and claims expire against the same time as the job
 * that wrote them (the default, the real clock, made these tests fail once the real date passed
 * the fixed one by more than a memo's life).
 */
function storeOn(now: () => Date): MemoryStore {
  return new MemoryStore({ now: () => now().getTime() });
}

function dailyDeps(o: ReturnType<typeof outbox>, store: Store, clock: ManualClock) {
  return {
    config: async () => configOf(["host1"]),
    connect: () => factory({ host1: fake() }),
    slack: o.slack as SlackThreadOutbox,
    store: async () => store,
    now: () => clock.now(),
    logger: { info() {}, warn() {}, error() {} },
  };
}

/** A synthetic report: `hosts` hosts (the last `dead` unavailable) of `per` volumes each. */
function synthetic(hosts: number, per: number, dead = 0): ReportResult {
  return {
    command: "report",
    date: "2026-11-29",
    at: "2026-11-29T08:00:00.000Z",
    hosts: Array.from({ length: hosts }, (_, i) => {
      const name = `host-${String(i).padStart(2, "0")}-with-a-rather-long-name.example.internal`;
      if (i >= hosts - dead) {
        return {
          host: name,
          ok: false as const,
          error: `${name}: timed out after 20 s ${"x".repeat(300)}`,
          hint: null,
        };
      }
      const volumes = Array.from({ length: per }, (_, j) => ({
        name: `project${i}_volume-with-a-long-name-${String(j).padStart(4, "0")}-${"v".repeat(40)}`,
        sizeBytes: (per - j) * 1_000_003 * (i + 1),
        project: `project${i}`,
        createdAt: "2026-10-01T00:00:00Z",
        danglingSince: "2026-11-01T08:00:00.000Z",
      }));
      return {
        host: name,
        ok: true as const,
        error: null,
        danglingCount: per,
        danglingBytes: volumes.reduce((a, v) => a + v.sizeBytes, 0),
        volumes,
      };
    }),
  };
}

describe("renderReportSlack", () => {
  it("fits Slack's limits at 50 hosts × 200 volumes: a summary, and the full list as a file", () => {
    const r = synthetic(50, 200);
    const msg = renderReportSlack(r);
    expectWithinSlackLimits(msg);
    expect(msg.text).toContain("10,000 dangling volumes");
    expect(msg.file?.content.split("\n").filter((l) => l.includes("_volume-with-a-long-name-"))).toHaveLength(
      10_000,
    );
  });

  it("fits with a Request cleanup button for each of 50 hosts", () => {
    const r = synthetic(50, 200);
    const msg = renderReportSlack(r, { reportId: "RP-0123456789AB" });
    expectWithinSlackLimits(msg);
    const controls = JSON.stringify(msg.blocks.filter((b) => b.type === "actions"));
    for (let i = 0; i < 50; i++) expect(controls).toContain(`"${cleanupValue("RP-0123456789AB", i)}"`);
  });

  it("fits with unavailable hosts and long reasons, naming every host", () => {
    const r = synthetic(50, 200, 10);
    const msg = renderReportSlack(r);
    expectWithinSlackLimits(msg);
    expect(msg.text).toContain("10 hosts unavailable");
    const all = JSON.stringify(msg.blocks) + (msg.file?.content ?? "");
    for (const h of r.hosts) expect(all).toContain(h.host);
  });

  it("shows everything without a file when it fits", () => {
    const msg = renderReportSlack(synthetic(2, 3));
    expectWithinSlackLimits(msg);
    expect(msg.file).toBeUndefined();
    expect(JSON.stringify(msg.blocks)).toContain("volume-with-a-long-name-0002");
  });
});

const fake = () =>
  new FakeEngine()
    .addVolume({ name: "old-cache", sizeBytes: 5_200_000 })
    .addVolume({ name: "web-data" })
    .addContainer({ name: "web-1", state: "running", volumes: ["web-data"] });

describe("/dvol report in Slack", () => {
  it("runs as a worker job and posts the report in the channel where it was typed", async () => {
    const o = outbox();
    const store = storeOn(() => new Date("2026-11-29T08:00:00Z"));
    const job: CommandJob = {
      kind: "command",
      words: ["report"],
      text: "report",
      channel: "C0OPS",
      user: "U0ALICE",
      responseUrl: "https://hooks.slack.test/r",
      acceptedAt: "2026-11-29T08:00:00Z",
    };
    const out = await runWorkerJob(job, {
      config: async () => configOf(["host1", "dead"]),
      connect: () => factory({ host1: fake() }),
      slack: o.slack,
      store: async () => store,
      now: () => new Date("2026-11-29T08:00:00Z"),
    });
    expect(out.status).toBe("posted");
    expect(o.posts).toHaveLength(1);
    expect(o.posts[0]?.channel).toBe("C0OPS");
    const blocks = JSON.stringify(o.posts[0]?.msg.blocks);
    expect(blocks).toContain("old-cache");
    expect(blocks).not.toContain("web-data");
    expect(blocks).toContain("dead");
    expect(blocks).toContain("unavailable");
    expect(blocks).toContain("<@U0ALICE> ran");
    expectWithinSlackLimits(o.posts[0]?.msg as SlackMessage);
  });
});

describe("the daily report", () => {
  it("posts once per date in report.channel, however often it runs that day, and emits DailyReportPosted for each post", async () => {
    const o = outbox();
    const clock = manualClock("2026-11-29T08:00:00Z");
    const store = storeOn(() => clock.now());
    const metrics = recordingMetrics();
    const deps = { ...dailyDeps(o, store, clock), metrics };
    expect(await postDailyReport(deps)).toMatchObject({ status: "posted", recorded: true });
    expect(metrics.emitted).toEqual([{ name: "DailyReportPosted", value: 1 }]);
    clock.advance(60_000);
    expect((await postDailyReport(deps)).status).toBe("already-posted");
    expect(o.posts.map((p) => p.channel)).toEqual(["C0REPORT"]);
    expect(metrics.emitted).toHaveLength(1);
    clock.advance(86_400_000);
    const next = await postDailyReport(deps);
    expect(next).toMatchObject({ status: "posted", date: "2026-11-30" });
    expect(o.posts).toHaveLength(2);
    expect(metrics.emitted).toHaveLength(2);
  });

  it("gives the date up when the post fails and fails the invocation, so Lambda's retry a minute later posts it once", async () => {
    const o = outbox();
    const clock = manualClock("2026-11-29T08:00:00Z");
    const store = storeOn(() => clock.now());
    const metrics = recordingMetrics();
    let failures = 1;
    const slack: SlackThreadOutbox = {
      ...o.slack,
      post: async (channel, msg) => {
        if (failures-- > 0) throw slackPlatformError("ratelimited");
        return o.slack.post(channel, msg);
      },
    };
    const deps = { ...dailyDeps(o, store, clock), slack, metrics };
    const lambda = new LambdaAsyncModel({ clock, handler: () => postDailyReport(deps) });
    lambda.invoke({});
    await lambda.settle();
    const tries = lambda.triesOf(0);
    expect(tries.map((t) => t.outcome)).toEqual(["failed", "succeeded"]);
    expect(tries[0]?.error).toBeInstanceOf(ReportNotPostedError);
    expect((tries[0]?.error as ReportNotPostedError | undefined)?.slackError).toBe("ratelimited");
    expect(tries[1]?.at).toBe(Date.parse("2026-11-29T08:01:00Z"));
    expect(o.posts).toHaveLength(1);
    expect(metrics.emitted).toEqual([{ name: "DailyReportPosted", value: 1 }]);
    expect(lambda.failureDestination).toEqual([]);
  });

  it("fails, rather than succeeds, while another invocation holds the date without having posted", async () => {
    const o = outbox();
    const clock = manualClock("2026-11-29T08:00:00Z");
    const store = storeOn(() => clock.now());
    const metrics = recordingMetrics();
    await store.claim("report#2026-11-29", "2026-11-29T08:01:30Z", "2026-11-29T07:59:30Z");
    const deps = { ...dailyDeps(o, store, clock), metrics };
    const err = await postDailyReport(deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReportInProgressError);
    expect((err as ReportInProgressError).message).toContain("2026-11-29");
    expect(o.posts).toHaveLength(0);
    expect(metrics.emitted).toEqual([]);
    // Once the holder has recorded its post, the same call ends at once, without a second post.
    await store.putMemo("report-posted#2026-11-29", "1.000", null);
    expect((await postDailyReport(deps)).status).toBe("already-posted");
    expect(o.posts).toHaveLength(0);
    expect(metrics.emitted).toEqual([]);
  });

  it("counts a post whose record cannot be written as posted: the invocation succeeds, so no retry posts it again", async () => {
    const o = outbox();
    const clock = manualClock("2026-11-29T08:00:00Z");
    const metrics = recordingMetrics();
    const errors: string[] = [];
    const store = failingStore(
      storeOn(() => clock.now()),
      (op, key) => op === "putMemo" && key.startsWith("report-posted#"),
    );
    const deps = {
      ...dailyDeps(o, store, clock),
      metrics,
      logger: { info() {}, warn() {}, error: (m: string) => void errors.push(m) },
    };
    const lambda = new LambdaAsyncModel({ clock, handler: () => postDailyReport(deps) });
    lambda.invoke({});
    await lambda.settle();
    expect(lambda.attempts).toHaveLength(1);
    expect(lambda.attempts[0]?.result).toMatchObject({ status: "posted", recorded: false });
    expect(o.posts).toHaveLength(1);
    expect(metrics.emitted).toEqual([{ name: "DailyReportPosted", value: 1 }]);
    expect(errors.join("\n")).toMatch(/posted .* but could not be recorded as posted/);
    // A duplicate delivery while the claim lives fails (to be retried), it does not post again.
    await expect(postDailyReport(deps)).rejects.toBeInstanceOf(ReportInProgressError);
    expect(o.posts).toHaveLength(1);
  });

  it("gives the date up when the store fails before the post, and the retry posts", async () => {
    const o = outbox();
    const clock = manualClock("2026-11-29T08:00:00Z");
    const metrics = recordingMetrics();
    let failures = 1;
    const store = failingStore(
      storeOn(() => clock.now()),
      (op, key) => op === "putMemo" && key.startsWith("report-list|") && failures-- > 0,
    );
    const deps = { ...dailyDeps(o, store, clock), metrics };
    const lambda = new LambdaAsyncModel({ clock, handler: () => postDailyReport(deps) });
    lambda.invoke({});
    await lambda.settle();
    expect(lambda.attempts.map((t) => t.outcome)).toEqual(["failed", "succeeded"]);
    expect(lambda.attempts[0]?.error).toBeInstanceOf(StoreError);
    expect(o.posts).toHaveLength(1);
    expect(metrics.emitted).toHaveLength(1);
  });

  it("still posts, on Lambda's last retry, when the claim cannot be released after a failed post", async () => {
    const o = outbox();
    const clock = manualClock("2026-11-29T08:00:00Z");
    const metrics = recordingMetrics();
    let failures = 1;
    const store = failingStore(
      storeOn(() => clock.now()),
      (op) => op === "releaseClaim",
    );
    const slack: SlackThreadOutbox = {
      ...o.slack,
      post: async (channel, msg) => {
        if (failures-- > 0) throw slackPlatformError("internal_error");
        return o.slack.post(channel, msg);
      },
    };
    const deps = { ...dailyDeps(o, store, clock), slack, metrics };
    const lambda = new LambdaAsyncModel<object, DailyReportOutcome>({
      clock,
      handler: (_e, context) =>
        postDailyReport({ ...deps, remainingMs: () => context.getRemainingTimeInMillis() }),
    });
    lambda.invoke({});
    await lambda.settle();
    const tries = lambda.triesOf(0);
    expect(tries.map((t) => t.error?.constructor.name ?? "ok")).toEqual([
      "ReportNotPostedError",
      "ReportInProgressError",
      "ok",
    ]);
    expect(tries[2]?.result?.status).toBe("posted");
    expect(o.posts).toHaveLength(1);
    expect(metrics.emitted).toHaveLength(1);
  });

  it("holds the date until the invocation's deadline (plus a margin), or POSTING_LEASE_MS without one", async () => {
    const o = outbox();
    const clock = manualClock("2026-11-29T08:00:00Z");
    const store = storeOn(() => clock.now());
    await postDailyReport({ ...dailyDeps(o, store, clock), remainingMs: () => 30_000 });
    expect(store.state.claims.get("report#2026-11-29")).toBe(
      Date.parse("2026-11-29T08:00:00Z") + 30_000 + CLAIM_MARGIN_MS,
    );
    clock.advance(86_400_000);
    await postDailyReport(dailyDeps(o, store, clock));
    expect(store.state.claims.get("report#2026-11-30")).toBe(
      Date.parse("2026-11-30T08:00:00Z") + POSTING_LEASE_MS,
    );
    expect(o.posts).toHaveLength(2);
  });

  it("posts nothing without report.channel, and emits no DailyReportPosted (the alarm fires)", async () => {
    const o = outbox();
    const metrics = recordingMetrics();
    const out = await postDailyReport({
      config: async () => configOf(["host1"], null),
      connect: () => factory({ host1: fake() }),
      slack: o.slack,
      store: async () => new MemoryStore(),
      metrics,
      logger: { info() {}, warn() {}, error() {} },
    });
    expect(out.status).toBe("no-channel");
    expect(o.posts).toHaveLength(0);
    expect(metrics.emitted).toEqual([]);
  });
});

describe("the Request cleanup button", () => {
  it("opens an ordinary rm request, as the clicking user in the channel, for exactly the volumes the report listed", async () => {
    const o = outbox();
    const at = new Date("2026-11-29T08:00:00Z");
    const store = storeOn(() => at);
    const engine = fake().addVolume({ name: "tmp-1", sizeBytes: 1_000 });
    const deps = {
      config: async () => configOf(["host1"]),
      connect: () => factory({ host1: engine }),
      slack: o.slack,
      store: async () => store,
      now: () => at,
      logger: { info() {}, warn() {}, error() {} },
    };
    const daily = await postDailyReport(deps);
    if (daily.status !== "posted") throw new Error(daily.status);
    const listed = (daily.result.hosts[0] as { volumes: { name: string }[] }).volumes.map((v) => v.name);
    expect(listed).toEqual(["old-cache", "tmp-1"]);
    const button = o.posts[0]?.msg.blocks
      .flatMap((b) => (b.type === "actions" ? b.elements : []))
      .find((e) => (e as { action_id?: string }).action_id?.startsWith(CLEANUP_ACTION)) as
      | { action_id: string; value: string; type: "button" }
      | undefined;
    expect(button).toBeDefined();

    // A volume that dangles after the report is not in the request.
    engine.addVolume({ name: "later", sizeBytes: 99_000_000 });
    const body = {
      type: "block_actions",
      user: { id: "U0ALICE" },
      channel: { id: "C0REPORT" },
      container: { channel_id: "C0REPORT", message_ts: "1.000" },
      response_url: "https://hooks.slack.test/a",
      trigger_id: "trig-1",
      actions: [button],
    };
    const job = cleanupJobOf(body, button, at);
    expect(job).toMatchObject({ kind: "cleanup", user: "U0ALICE", channel: "C0REPORT" });
    const out = await runWorkerJob(job as CleanupJob, deps);
    if (out.status !== "opened") throw new Error(`not opened: ${JSON.stringify(out)}`);
    expect(out.request.plan.map((v) => v.name).sort()).toEqual([...listed].sort());
    expect(out.request.requester).toBe("U0ALICE");
    expect(out.request.host).toBe("host1");
    expect(o.posts.filter((p) => p.channel === "C0REPORT").length).toBeGreaterThan(1);
  });

  it("ignores other buttons", () => {
    expect(
      cleanupJobOf({ type: "block_actions" }, { type: "button", action_id: "x", value: "y" }, new Date()),
    ).toBeNull();
  });
});

describe("handlers/report.ts", () => {
  it("posts the day's report once, however often the schedule invokes it", async () => {
    const o = outbox();
    const store = storeOn(() => new Date("2026-11-29T08:00:03Z"));
    const metrics = recordingMetrics();
    const run = createReportHandler({
      env: {},
      config: configOf(["host1", "dead"]),
      connect: factory({ host1: fake() }),
      slack: o.slack,
      store,
      metrics,
      now: () => new Date("2026-11-29T08:00:03Z"),
    });
    const event = { source: "aws.events", "detail-type": "Scheduled Event", time: "2026-11-29T08:00:00Z" };
    expect((await run(event)).status).toBe("posted");
    expect((await run(event)).status).toBe("already-posted");
    expect(metrics.emitted).toEqual([{ name: "DailyReportPosted", value: 1 }]);
    expect(o.posts).toHaveLength(1);
    expect(o.posts[0]?.channel).toBe("C0REPORT");
    expect(JSON.stringify(o.posts[0]?.msg.blocks)).toContain("old-cache");
    expectWithinSlackLimits(o.posts[0]?.msg as SlackMessage);
  });

  it("emits DailyReportPosted by default as EMF on stdout: namespace dvol, Count 1, dimension service from POWERTOOLS_SERVICE_NAME", async () => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const run = createReportHandler({
        env: { POWERTOOLS_SERVICE_NAME: "dvol-test" },
        config: configOf(["host1"]),
        connect: factory({ host1: fake() }),
        slack: outbox().slack,
        store: storeOn(() => new Date("2026-11-29T08:00:03Z")),
        now: () => new Date("2026-11-29T08:00:03Z"),
        logger: { info() {}, warn() {}, error() {} },
      });
      expect((await run({})).status).toBe("posted");
      expect((await run({})).status).toBe("already-posted");
    } finally {
      write.mockRestore();
    }
    const emf = lines
      .flatMap((l) => l.split("\n"))
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } });
    expect(emf).toHaveLength(1);
    expect(emf[0]?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: "dvol",
        Dimensions: [["service"]],
        Metrics: [{ Name: "DailyReportPosted", Unit: "Count" }],
      },
    ]);
    expect(emf[0]).toMatchObject({ service: "dvol-test", DailyReportPosted: 1 });
  });

  it("takes the namespace from POWERTOOLS_METRICS_NAMESPACE", async () => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      powertoolsMetrics({ POWERTOOLS_METRICS_NAMESPACE: "dvol-staging" }).count("DailyReportPosted");
    } finally {
      write.mockRestore();
    }
    const emf = JSON.parse(lines.join("").trim()) as { _aws: { CloudWatchMetrics: { Namespace: string }[] } };
    expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe("dvol-staging");
  });
});

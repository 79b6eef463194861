// The worker opens deletion requests under backup.beforeDelete: required (src/jobs/run-request.ts's
// command context): on Lambda a volume whose backup would outlast one invocation is blocked in the
// plan; in `npm start` (no invocation, no deadline) it is not. A fake engine, the in-memory store
// and a recording Slack outbox; no network.
import { describe, expect, it } from "vitest";
import type { SlackMessage } from "../../../src/blocks/message.js";
import type { Config } from "../../../src/config/types.js";
import type { OpenRequestJob } from "../../../src/jobs/job.js";
import type { RequestJobDeps } from "../../../src/jobs/request-common.js";
import { reportListKey } from "../../../src/jobs/run-report.js";
import { runOpenRequest, runWorkerJob } from "../../../src/jobs/run-request.js";
import type { PostedMessage, SlackThreadOutbox } from "../../../src/slack/post.js";
import { MemoryStore } from "../../../src/store/memory.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";
import { expectWithinSlackLimits } from "../../support/slack-limits.js";

const NOW = new Date("2026-11-29T14:00:00.000Z");
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

function recordingSlack() {
  const posts: { threadTs: string | null; msg: SlackMessage }[] = [];
  let seq = 100;
  const record = (threadTs: string | null, msg: SlackMessage): PostedMessage => {
    expectWithinSlackLimits(msg);
    posts.push({ threadTs, msg });
    return { channel: "C0OPS0001", ts: `1790000000.${seq++}`, fileId: null };
  };
  const slack: SlackThreadOutbox = {
    post: async (_c, msg) => record(null, msg),
    postInThread: async (_c, ts, msg) => record(ts, msg),
    update: async () => {},
    respond: async () => {},
    usergroupMembers: async () => [],
  };
  return { slack, posts };
}

const config: Config = {
  ...fakeConfig(),
  backup: { bucket: null, kmsKeyId: null, beforeDelete: "required", maxBytes: null, keepDays: 30 },
};

function job(words: string[]): OpenRequestJob {
  return {
    kind: "open-request",
    words,
    text: words.join(" "),
    channel: "C0OPS0001",
    user: "U0ALICE01",
    responseUrl: "https://hooks.slack.com/commands/T1/open",
    acceptedAt: NOW.toISOString(),
    triggerId: `trigger-${Math.random()}`,
  };
}

async function open(words: string[], over: Partial<RequestJobDeps> = {}, cleanup = false) {
  const engine = new FakeEngine()
    .addVolume({ name: "small", sizeBytes: 50_000_000 })
    .addVolume({ name: "huge", sizeBytes: 3_000_000_000 });
  const store = new MemoryStore({ now: () => NOW.getTime() });
  const { slack, posts } = recordingSlack();
  const deps: RequestJobDeps = {
    config: async () => config,
    connect: () => engine.factory(),
    slack,
    store: async () => store,
    now: () => NOW,
    logger: quiet,
    ...over,
  };
  let out: Awaited<ReturnType<typeof runOpenRequest>>;
  if (cleanup) {
    // A report's "Request cleanup": the names the report listed for the host, kept in the store.
    const list = JSON.stringify({ date: "2026-11-29", host: "host1", names: words.slice(2) });
    await store.putMemo(reportListKey("rep1", 0), list, null);
    const { triggerId, ...rest } = job(["rm"]);
    out = await runWorkerJob(
      { ...rest, triggerId, kind: "cleanup", reportList: { id: "rep1", index: 0 } },
      deps,
    );
  } else {
    out = await runOpenRequest(job(words), deps);
  }
  if (out.status !== "opened") throw new Error(`not opened: ${JSON.stringify(out)}`);
  const plan = posts.find((p) => p.threadTs !== null)?.msg;
  return { request: out.request, plan: JSON.stringify(plan?.blocks ?? []) };
}

describe("the worker's plans under backup.beforeDelete: required", () => {
  it("on Lambda, a volume whose backup would outlast one invocation is blocked, with why; the rest is backed up first", async () => {
    const invocation = { remainingMs: () => 119_000, continueWith: async () => {} };
    const { request, plan } = await open(["rm", "host1", "small", "huge"], { invocation });
    expect(request.backup).toBe("first");
    expect(request.plan.map((v) => v.name)).toEqual(["small"]);
    expect(request.blocked).toEqual([
      {
        name: "huge",
        reason: "too-big",
        detail: expect.stringContaining(
          "would take about 358 s to back up (at an estimated 8.4 MB/s), more than the 80 s the worker has",
        ),
      },
    ]);
    expect(plan).toContain("too big to back up first");
    expect(plan).toContain("backed up first");
  });

  it("with --no-backup, nothing is blocked for its size, and the request records it", async () => {
    const invocation = { remainingMs: () => 119_000, continueWith: async () => {} };
    const { request } = await open(["rm", "host1", "small", "huge", "--no-backup"], { invocation });
    expect(request.backup).toBe("skipped");
    expect(request.plan.map((v) => v.name)).toEqual(["huge", "small"]);
    expect(request.command).toBe("rm host1 small huge --no-backup");
  });

  it("in npm start (no function deadline) only backup.maxBytes would block: nothing is blocked here", async () => {
    const { request } = await open(["rm", "host1", "small", "huge"]);
    expect(request.backup).toBe("first");
    expect(request.blocked).toEqual([]);
  });

  it("a report's Request cleanup follows the same rule", async () => {
    const invocation = { remainingMs: () => 119_000, continueWith: async () => {} };
    const { request } = await open(["rm", "host1", "small", "huge"], { invocation }, true);
    expect(request.backup).toBe("first");
    expect(request.plan.map((v) => v.name)).toEqual(["small"]);
    expect(request.blocked).toMatchObject([{ name: "huge", reason: "too-big" }]);
  });
});

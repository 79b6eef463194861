// Unit tests of a report's "Request cleanup" clicked again (src/jobs/report-cleanup.ts, through the
// worker's cleanup job in src/jobs/run-request.ts): while the request a click opened for a report
// and host is open, another click points to it instead of opening a second one; once it is
// decided, a click opens a new one. A fake engine, the memory store and a recording Slack outbox.
import { describe, expect, it } from "vitest";
import { rejectRequest } from "../../../src/approvals/requests.js";
import type { SlackMessage } from "../../../src/blocks/message.js";
import { CLEANUP_ACTION } from "../../../src/commands/report/slack.js";
import type { Config, HostConfig } from "../../../src/config/types.js";
import type { ConnectionFactory } from "../../../src/docker/connection.js";
import { HostError } from "../../../src/errors.js";
import type { CleanupJob } from "../../../src/jobs/job.js";
import { CLEANUP_OPENING_MS, takeCleanupSlot } from "../../../src/jobs/report-cleanup.js";
import { postDailyReport } from "../../../src/jobs/run-report.js";
import { runWorkerJob, type WorkerOutcome } from "../../../src/jobs/run-request.js";
import { cleanupJobOf } from "../../../src/slack/app.js";
import type { PostedMessage, SlackThreadOutbox } from "../../../src/slack/post.js";
import { MemoryStore } from "../../../src/store/memory.js";
import { type ManualClock, manualClock } from "../../support/clock.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";

const CHANNEL = "C0REPORT";

function configOf(names: string[], requesters: string[] = ["*"]): Config {
  const hosts: HostConfig[] = names.map((name) => ({
    name,
    endpoint: { kind: "socket", path: `/fake-${name}.sock` },
    labels: {},
    timeoutMs: 20_000,
  }));
  const base = fakeConfig({ access: { requesters } });
  return { ...base, hosts, report: { channel: CHANNEL } };
}

function outbox() {
  const posts: { channel: string; msg: SlackMessage; threadTs?: string }[] = [];
  const responses: { url: string; msg: SlackMessage }[] = [];
  const slack: SlackThreadOutbox = {
    async post(channel, msg): Promise<PostedMessage> {
      posts.push({ channel, msg });
      return { channel, ts: `${posts.length}.000`, fileId: null };
    },
    async respond(url, msg) {
      responses.push({ url, msg });
    },
    async postInThread(channel, threadTs, msg): Promise<PostedMessage> {
      posts.push({ channel, msg, threadTs });
      return { channel, ts: `${posts.length}.000`, fileId: null };
    },
    update: async () => {},
    usergroupMembers: async () => [],
  };
  return { slack, posts, responses };
}

const said = (msg: SlackMessage | undefined) => JSON.stringify(msg?.blocks ?? []);

/** A daily report of host1 and host2 posted, and a function that clicks a host's button as `user`. */
async function reportPosted(clock: ManualClock, requesters?: string[]) {
  const o = outbox();
  const store = new MemoryStore({ now: clock.ms });
  const engines: Record<string, FakeEngine> = {
    host1: new FakeEngine().addVolume({ name: "old-cache", sizeBytes: 5_200_000 }),
    host2: new FakeEngine().addVolume({ name: "tmp-2", sizeBytes: 1_000 }),
  };
  const connect: ConnectionFactory = async (h) => {
    const fake = engines[h.name];
    if (!fake) throw new HostError(h.name, "refused", "connection refused");
    return fake.factory()(h);
  };
  const deps = {
    config: async () => configOf(["host1", "host2"], requesters),
    connect: () => connect,
    slack: o.slack,
    store: async () => store,
    now: clock.now,
    logger: { info() {}, warn() {}, error() {} },
  };
  const daily = await postDailyReport(deps);
  if (daily.status !== "posted") throw new Error(daily.status);
  const buttons = (o.posts[0]?.msg.blocks ?? [])
    .flatMap((b) => (b.type === "actions" ? b.elements : []))
    .filter((e) => (e as { action_id?: string }).action_id?.startsWith(CLEANUP_ACTION)) as {
    action_id: string;
    value: string;
    type: "button";
  }[];
  expect(buttons).toHaveLength(2);
  let n = 0;
  const click = (host: "host1" | "host2", user: string): Promise<WorkerOutcome> => {
    const button = buttons[host === "host1" ? 0 : 1];
    const body = {
      type: "block_actions",
      user: { id: user },
      channel: { id: CHANNEL },
      container: { channel_id: CHANNEL, message_ts: "1.000" },
      response_url: `https://hooks.slack.test/click-${++n}`,
      trigger_id: `trig-${n}`,
      actions: [button],
    };
    const job = cleanupJobOf(body, button, clock.now());
    if (!job) throw new Error("not a cleanup click");
    return runWorkerJob(job as CleanupJob, deps);
  };
  return {
    o,
    store,
    click,
    engines: engines as Record<"host1" | "host2", FakeEngine>,
    reportId: /RP-[0-9A-F]{12}/.exec(buttons[0]?.value ?? "")?.[0] ?? "",
  };
}

const opened = (out: WorkerOutcome) => {
  if (out.status !== "opened") throw new Error(`not opened: ${JSON.stringify(out)}`);
  return out.request;
};

describe("Request cleanup clicked twice for the same report and host", () => {
  it("the second click opens nothing and points to the open request (its id, requester, state, thread)", async () => {
    const clock = manualClock("2026-11-29T08:00:00Z");
    const { o, store, click } = await reportPosted(clock);
    const first = opened(await click("host1", "U0ALICE"));
    const postsBefore = o.posts.length;

    clock.advance(60_000);
    const second = await click("host1", "U0CAROL");
    expect(second).toMatchObject({ status: "already-open", told: true });
    expect(second.status === "already-open" && second.request?.id).toBe(first.id);
    expect(o.posts).toHaveLength(postsBefore); // no parent, no plan, nothing in the channel
    expect(await store.listRequests()).toHaveLength(1);
    const reply = o.responses.at(-1);
    expect(reply?.url).toBe("https://hooks.slack.test/click-2");
    expect(said(reply?.msg)).toContain(`*${first.id}* is already open for this cleanup of host1`);
    expect(said(reply?.msg)).toContain("requested by <@U0ALICE>");
    expect(said(reply?.msg)).toContain(`its thread in <#${CHANNEL}>`);
    expect(said(reply?.msg)).toContain("Waiting for an approver");
    expect(reply?.msg.text).toContain(first.id);
  });

  it("someone who may not request is refused as always, not pointed to the open request", async () => {
    const clock = manualClock("2026-11-29T08:00:00Z");
    const { o, store, click } = await reportPosted(clock, ["U0ALICE"]);
    opened(await click("host1", "U0ALICE"));
    const eve = await click("host1", "U0EVE");
    expect(eve).toMatchObject({ status: "refused", told: true });
    expect(said(o.responses.at(-1)?.msg)).toContain(":no_entry:");
    expect(said(o.responses.at(-1)?.msg)).not.toContain("already open");
    expect(await store.listRequests()).toHaveLength(1);
  });

  it("another host of the same report, or the same host of another report, opens its own request", async () => {
    const clock = manualClock("2026-11-29T08:00:00Z");
    const { store, click } = await reportPosted(clock);
    const one = opened(await click("host1", "U0ALICE"));
    const two = opened(await click("host2", "U0ALICE"));
    expect([one.host, two.host]).toEqual(["host1", "host2"]);

    // The next day's report: its button for host1 is another report's.
    clock.advance(86_400_000);
    const next = await reportPosted(clock);
    const three = opened(await next.click("host1", "U0ALICE"));
    expect(three.id).not.toBe(one.id);
    expect(await store.listRequests()).toHaveLength(2); // the first report's store
  });

  it("once the open request is decided (rejected), a click opens a new one; that one is then pointed to", async () => {
    const clock = manualClock("2026-11-29T08:00:00Z");
    const { store, click } = await reportPosted(clock);
    const first = opened(await click("host1", "U0ALICE"));
    const rejected = await rejectRequest(
      { store, now: clock.now },
      first.id,
      { user: "U0ALICE", channel: CHANNEL },
      {
        access: fakeConfig().access,
        resolveGroup: async () => [],
      },
    );
    expect(rejected.ok).toBe(true);

    const second = opened(await click("host1", "U0BOB"));
    expect(second.id).not.toBe(first.id);
    const third = await click("host1", "U0ALICE");
    expect(third.status === "already-open" && third.request?.id).toBe(second.id);
  });

  it("a request that expired unapproved no longer counts as open: a click opens a new one", async () => {
    const clock = manualClock("2026-11-29T08:00:00Z");
    const { click } = await reportPosted(clock);
    const first = opened(await click("host1", "U0ALICE"));
    clock.set(Date.parse(first.expiresAt) + 1000);
    const second = opened(await click("host1", "U0ALICE"));
    expect(second.id).not.toBe(first.id);
  });

  it("a click that opened nothing (nothing left to delete) lets the next click try again", async () => {
    const clock = manualClock("2026-11-29T08:00:00Z");
    const { o, store, click, engines, reportId } = await reportPosted(clock);
    // After the report, a container took old-cache: nothing to delete, no request.
    engines.host1.addContainer({ name: "web-1", state: "running", volumes: ["old-cache"] });
    const out = await click("host1", "U0ALICE");
    expect(out).toMatchObject({ status: "nothing-to-delete", told: true });
    expect(said(o.responses.at(-1)?.msg)).not.toContain("already open");
    expect(await store.listRequests()).toEqual([]);
    // Not held for the next click (which would otherwise be told "being opened").
    const slot = await takeCleanupSlot(store, reportId, "host1", clock.now(), clock.now());
    expect(slot.status).toBe("free");
  });
});

describe("takeCleanupSlot", () => {
  it("two clicks at the same moment: one may open, the other is told it is being opened", async () => {
    const store = new MemoryStore();
    const now = new Date("2026-11-29T08:00:00Z");
    const keep = new Date(now.getTime() + 86_400_000);
    const [a, b] = await Promise.all([
      takeCleanupSlot(store, "RP-0123456789AB", "host1", now, keep),
      takeCleanupSlot(store, "RP-0123456789AB", "host1", now, keep),
    ]);
    expect([a?.status, b?.status].sort()).toEqual(["free", "opening"]);
  });

  it("a click whose opening failed frees the slot at once; one that never said frees it after CLEANUP_OPENING_MS", async () => {
    const store = new MemoryStore();
    const now = new Date("2026-11-29T08:00:00Z");
    const keep = new Date(now.getTime() + 86_400_000);
    const a = await takeCleanupSlot(store, "RP-0123456789AB", "host1", now, keep);
    if (a.status !== "free") throw new Error(a.status);
    await a.failed();
    const b = await takeCleanupSlot(store, "RP-0123456789AB", "host1", now, keep);
    expect(b.status).toBe("free");
    expect((await takeCleanupSlot(store, "RP-0123456789AB", "host1", now, keep)).status).toBe("opening");
    const later = new Date(now.getTime() + CLEANUP_OPENING_MS + 1);
    expect((await takeCleanupSlot(store, "RP-0123456789AB", "host1", later, keep)).status).toBe("free");
  });
});

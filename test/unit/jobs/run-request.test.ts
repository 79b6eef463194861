// The worker's side of deletion requests (src/jobs/run-request.ts, and the modules it runs them
// with: open-request.ts, decide.ts, request-common.ts), without a network: a fake
// engine (test/support/fake-engine.ts), the in-memory store, and a recording Slack outbox. Opening
// (parent + plan in its thread, one request per trigger_id), deciding (refusals ephemeral and
// changing nothing, reject, approve → execute → outcome and updates), clicks on decided or
// expired requests, double clicks, and group members looked up through Slack.
import { beforeEach, describe, expect, it } from "vitest";
import type { SlackMessage } from "../../../src/blocks/message.js";
import { APPROVE_ACTION_ID } from "../../../src/commands/delete/slack-actions.js";
import type { Config } from "../../../src/config/types.js";
import { GroupLookupError } from "../../../src/errors.js";
import { type ApproveOrRejectJob, type DecideOutcome, runDecide } from "../../../src/jobs/decide.js";
import type { OpenRequestJob } from "../../../src/jobs/job.js";
import type { OpenOutcome } from "../../../src/jobs/open-request.js";
import { groupResolver, type RequestJobDeps } from "../../../src/jobs/request-common.js";
import { runOpenRequest, runWorkerJob } from "../../../src/jobs/run-request.js";
import { decideCommand } from "../../../src/slack/app.js";
import type { PostedMessage, SlackThreadOutbox } from "../../../src/slack/post.js";
import { MemoryStore } from "../../../src/store/memory.js";
import type { DeletionRequest } from "../../../src/store/records.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";
import { expectWithinSlackLimits } from "../../support/slack-limits.js";

const CHANNEL = "C0OPS0001";
const ALICE = "U0ALICE01"; // requester
const BOB = "U0APPROVER"; // approver (fakeConfig)
const EVE = "U0EVE0001"; // neither
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

interface Posted {
  channel: string;
  ts: string;
  threadTs: string | null;
  msg: SlackMessage;
}

/** A Slack outbox that records everything and checks every message against Slack's limits. */
class RecordingSlack implements SlackThreadOutbox {
  posts: Posted[] = [];
  updates: { channel: string; ts: string; msg: SlackMessage }[] = [];
  responses: { url: string; msg: SlackMessage }[] = [];
  groups = new Map<string, string[]>();
  groupLookups = 0;
  failPost: unknown = null;
  private seq = 100;

  private record(channel: string, threadTs: string | null, msg: SlackMessage): PostedMessage {
    expectWithinSlackLimits(msg);
    const ts = `1790000000.${String(this.seq++).padStart(6, "0")}`;
    this.posts.push({ channel, ts, threadTs, msg });
    return { channel, ts, fileId: msg.file ? "F0FILE" : null };
  }
  async post(channel: string, msg: SlackMessage) {
    if (this.failPost) throw this.failPost;
    return this.record(channel, null, msg);
  }
  async postInThread(channel: string, threadTs: string, msg: SlackMessage) {
    return this.record(channel, threadTs, msg);
  }
  async update(channel: string, ts: string, msg: SlackMessage) {
    expectWithinSlackLimits(msg);
    expect(msg.file).toBeUndefined();
    this.updates.push({ channel, ts, msg });
  }
  async respond(url: string, msg: SlackMessage) {
    expectWithinSlackLimits(msg);
    this.responses.push({ url, msg });
  }
  async usergroupMembers(groupId: string) {
    this.groupLookups++;
    const members = this.groups.get(groupId);
    if (!members) throw new Error("no_such_subteam");
    return members;
  }
  thread(ts: string) {
    return this.posts.filter((p) => p.threadTs === ts);
  }
  lastUpdateOf(ts: string) {
    return this.updates.filter((u) => u.ts === ts).at(-1);
  }
}

/** The test config: fakeConfig's (U0APPROVER approves) with pg-* protected. */
const protectPg = () => fakeConfig({ protect: { names: ["pg-*"] } });
const text = (m: SlackMessage | undefined) => JSON.stringify(m?.blocks ?? []);

let engine: FakeEngine;
let store: MemoryStore;
let slack: RecordingSlack;
let clock: Date;

function deps(config: Config = protectPg(), over: Partial<RequestJobDeps> = {}): RequestJobDeps {
  return {
    config: async () => config,
    connect: () => engine.factory(),
    slack,
    store: async () => store,
    now: () => clock,
    logger: quiet,
    ...over,
  };
}

function openJob(words: string[], over: Partial<OpenRequestJob> = {}): OpenRequestJob {
  return {
    kind: "open-request",
    words,
    text: words.join(" "),
    channel: CHANNEL,
    user: ALICE,
    responseUrl: "https://hooks.slack.com/commands/T1/open",
    acceptedAt: clock.toISOString(),
    triggerId: `trigger-${Math.random()}`,
    ...over,
  };
}

function decideJob(
  request: DeletionRequest,
  user: string,
  action: "approve" | "reject",
  planTs: string,
): ApproveOrRejectJob {
  return {
    kind: "decide",
    requestId: request.id,
    action,
    user,
    channel: CHANNEL,
    messageTs: planTs,
    threadTs: request.messageTs ?? null,
    responseUrl: `https://hooks.slack.com/actions/T1/${user}`,
    text: `${action} ${request.id}`,
    acceptedAt: clock.toISOString(),
  };
}

async function opened(
  config: Config = protectPg(),
  words = ["rm", "host1", "old-a", "old-b", "used", "pg-data", "nope"],
) {
  const out = await runOpenRequest(openJob(words), deps(config));
  if (out.status !== "opened") throw new Error(`not opened: ${JSON.stringify(out)}`);
  return out as Extract<OpenOutcome, { status: "opened" }>;
}

beforeEach(() => {
  clock = new Date("2026-11-29T14:00:00.000Z");
  engine = new FakeEngine()
    .addVolume({ name: "old-a", sizeBytes: 2_600_000 })
    .addVolume({ name: "old-b", sizeBytes: 2_600_000, labels: { "com.docker.compose.project": "shop" } })
    .addVolume({ name: "used" })
    .addVolume({ name: "pg-data" })
    .addContainer({ name: "web-1", state: "running", volumes: ["used"] });
  store = new MemoryStore({ now: () => clock.getTime() });
  slack = new RecordingSlack();
});

describe("opening a request", () => {
  it("posts the parent in the channel and the plan in its thread, and keeps the parent's ts", async () => {
    const out = await opened(protectPg());
    expect(slack.posts).toHaveLength(2);
    const [parent, plan] = slack.posts;
    expect(parent?.threadTs).toBeNull();
    expect(parent?.msg.text).toContain(`by <@${ALICE}>: 2 volumes on host1, 5.2 MB`);
    expect(plan?.threadTs).toBe(parent?.ts);
    const planText = text(plan?.msg);
    expect(planText).toContain("old-a");
    expect(planText).toContain("shop");
    expect(planText).toContain("`used`: in use, used by web-1 (running)");
    expect(planText).toContain("`pg-data`: protected, matches protect rule pg-*");
    expect(planText).toContain("`nope`: missing, no such volume");
    expect(planText).toContain(APPROVE_ACTION_ID);
    const stored = await store.getRequest(out.request.id);
    expect(stored).toMatchObject({
      channel: CHANNEL,
      messageTs: parent?.ts,
      status: "pending",
      requester: ALICE,
    });
    expect(stored?.plan.map((v) => v.name)).toEqual(["old-a", "old-b"]);
    expect(engine.deletes()).toBe(0);
  });

  it("one request per slash command, however often the job runs", async () => {
    const job = openJob(["rm", "host1", "old-a"]);
    const [a, b] = await Promise.all([runOpenRequest(job, deps()), runOpenRequest(job, deps())]);
    expect([a.status, b.status].sort()).toEqual(["duplicate", "opened"]);
    expect((await store.listRequests()).length).toBe(1);
    expect(slack.posts).toHaveLength(2);
  });

  it("nothing to delete: no request, and the requester sees why, ephemeral", async () => {
    const out = await runOpenRequest(openJob(["rm", "host1", "used", "nope"]), deps());
    expect(out.status).toBe("nothing-to-delete");
    expect(slack.posts).toHaveLength(0);
    expect(await store.listRequests()).toHaveLength(0);
    const said = text(slack.responses[0]?.msg);
    expect(said).toContain("no request was opened");
    expect(said).toContain("`used`: in use");
  });

  it("a requester listed through a user group is looked up; others are refused, ephemeral", async () => {
    const config = fakeConfig({ access: { requesters: ["S0OPS0001"] } });
    slack.groups.set("S0OPS0001", [ALICE]);
    expect((await runOpenRequest(openJob(["rm", "host1", "old-a"]), deps(config))).status).toBe("opened");
    const refused = await runOpenRequest(openJob(["rm", "host1", "old-a"], { user: EVE }), deps(config));
    expect(refused.status).toBe("refused");
    expect(slack.responses.at(-1)?.msg.text).toContain("not one of dvol's requesters");
  });

  it("an unreachable host is told to the requester; no request", async () => {
    engine.beforeAnswer = () => {
      throw Object.assign(new Error("connect ECONNREFUSED /fake.sock"), { code: "ECONNREFUSED" });
    };
    const out = await runOpenRequest(openJob(["prune", "host1"]), deps());
    expect(out.status).toBe("failed");
    expect(slack.responses[0]?.msg.text).toContain("host1");
    expect(await store.listRequests()).toHaveLength(0);
  });

  it("when the bot cannot post in the channel, the request is withdrawn and the requester told", async () => {
    slack.failPost = Object.assign(new Error("An API error occurred: not_in_channel"), {
      code: "slack_webapi_platform_error",
      data: { ok: false, error: "not_in_channel" },
    });
    const out = await runOpenRequest(openJob(["rm", "host1", "old-a"]), deps());
    expect(out.status).toBe("failed");
    expect(text(slack.responses[0]?.msg)).toContain("invite me");
    const [r] = await store.listRequests();
    expect(r?.status).toBe("rejected");
  });
});

describe("deciding", () => {
  it("the requester's approval is refused, ephemeral, and nothing changes", async () => {
    const o = await opened();
    const planTs = o.plan?.ts ?? "";
    const out = await runDecide(decideJob(o.request, ALICE, "approve", planTs), deps());
    expect(out.status).toBe("refused");
    expect(slack.responses.at(-1)?.url).toContain(ALICE);
    expect(text(slack.responses.at(-1)?.msg)).toContain("You cannot approve");
    expect(text(slack.responses.at(-1)?.msg)).toContain("four eyes");
    expect((await store.getRequest(o.request.id))?.status).toBe("pending");
    expect(slack.updates).toHaveLength(0);
    expect(engine.deletes()).toBe(0);
  });

  it("a non-approver's approval is refused, ephemeral, and nothing changes", async () => {
    const o = await opened();
    const out = await runDecide(decideJob(o.request, EVE, "approve", o.plan?.ts ?? ""), deps());
    expect(out.status).toBe("refused");
    expect(text(slack.responses.at(-1)?.msg)).toContain("not one");
    expect((await store.getRequest(o.request.id))?.status).toBe("pending");
    expect(engine.deletes()).toBe(0);
  });

  it("a click in another channel than the request's is refused, and nothing changes (SPEC §4.7)", async () => {
    const o = await opened();
    const job = { ...decideJob(o.request, BOB, "approve", o.plan?.ts ?? ""), channel: "C0ELSE001" };
    const out = await runDecide(job, deps());
    expect(out.status).toBe("refused");
    const said = text(slack.responses.at(-1)?.msg);
    expect(said).toContain(`${o.request.id} belongs to another channel`);
    expect(said).toContain(CHANNEL);
    expect((await store.getRequest(o.request.id))?.status).toBe("pending");
    expect(engine.deletes()).toBe(0);
  });

  it("an approver's approval deletes, posts one line per volume, and updates parent and plan", async () => {
    const o = await opened(protectPg());
    const planTs = o.plan?.ts ?? "";
    const out = await runDecide(decideJob(o.request, BOB, "approve", planTs), deps(protectPg()));
    expect(out.status).toBe("executed");
    expect(engine.deletes("old-a")).toBe(1);
    expect(engine.deletes("old-b")).toBe(1);
    expect(engine.deletes()).toBe(2);
    expect([...engine.volumes.keys()].sort()).toEqual(["pg-data", "used"]);
    const outcome = slack.thread(o.parent.ts).at(-1);
    expect(text(outcome?.msg)).toContain("`old-a` deleted (2.6 MB)");
    expect(text(outcome?.msg)).toContain("5.2 MB freed");
    const parent = slack.lastUpdateOf(o.parent.ts);
    expect(text(parent?.msg)).toContain("*Done*: approved by <@U0APPROVER>");
    const plan = slack.lastUpdateOf(planTs);
    expect(text(plan?.msg)).not.toContain(APPROVE_ACTION_ID);
    expect((await store.getRequest(o.request.id))?.status).toBe("done");
  });

  it("an approver listed through a user group may approve", async () => {
    const config = fakeConfig({ access: { approvers: ["S0ADMINS1"] } });
    slack.groups.set("S0ADMINS1", [EVE]);
    const o = await opened(config, ["rm", "host1", "old-a"]);
    const out = await runDecide(decideJob(o.request, EVE, "approve", o.plan?.ts ?? ""), deps(config));
    expect(out.status).toBe("executed");
    expect(engine.deletes("old-a")).toBe(1);
  });

  it("a group that cannot be looked up approves nobody, and the refusal says so", async () => {
    const config = fakeConfig({ access: { approvers: ["S0MISSING"] } });
    const o = await opened(config, ["rm", "host1", "old-a"]);
    const out = await runDecide(decideJob(o.request, EVE, "approve", o.plan?.ts ?? ""), deps(config));
    expect(out.status).toBe("refused");
    expect(text(slack.responses.at(-1)?.msg)).toContain("could not be looked up");
  });

  it("reject: a line in the thread, the parent and the plan updated, nothing deleted", async () => {
    const o = await opened();
    const planTs = o.plan?.ts ?? "";
    const out = await runDecide(decideJob(o.request, ALICE, "reject", planTs), deps());
    expect(out.status).toBe("rejected");
    expect(text(slack.thread(o.parent.ts).at(-1)?.msg)).toContain("*rejected* by <@U0ALICE01>");
    expect(text(slack.lastUpdateOf(o.parent.ts)?.msg)).toContain("*Rejected*");
    expect(text(slack.lastUpdateOf(planTs)?.msg)).not.toContain(APPROVE_ACTION_ID);
    expect(engine.deletes()).toBe(0);
    // A non-approver who is not the requester may not reject.
    const o2 = await opened();
    expect((await runDecide(decideJob(o2.request, EVE, "reject", ""), deps())).status).toBe("refused");
  });

  it("a click on a decided request says so, ephemeral, and does nothing", async () => {
    const o = await opened();
    const planTs = o.plan?.ts ?? "";
    await runDecide(decideJob(o.request, BOB, "approve", planTs), deps());
    const posts = slack.posts.length;
    for (const [who, what] of [
      [BOB, "approve"],
      [ALICE, "reject"],
      [EVE, "approve"],
    ] as const) {
      const out = await runDecide(decideJob(o.request, who, what, planTs), deps());
      expect(out.status).toBe("decided");
      expect(text(slack.responses.at(-1)?.msg)).toContain("already decided");
    }
    expect(slack.posts.length).toBe(posts);
    expect(engine.deletes()).toBe(2);
  });

  it("a click on an expired request says so, and the parent shows it expired", async () => {
    const o = await opened();
    clock = new Date("2026-11-30T14:00:01.000Z");
    const out = await runDecide(decideJob(o.request, BOB, "approve", o.plan?.ts ?? ""), deps());
    expect(out.status).toBe("expired");
    expect(text(slack.responses.at(-1)?.msg)).toContain("*Expired*");
    expect(text(slack.lastUpdateOf(o.parent.ts)?.msg)).toContain("*Expired*");
    expect((await store.getRequest(o.request.id))?.status).toBe("expired");
    expect(engine.deletes()).toBe(0);
  });

  it("two approvals at once, and one replayed after completion: one DELETE per volume", async () => {
    const o = await opened();
    const job = decideJob(o.request, BOB, "approve", o.plan?.ts ?? "");
    const other = { ...job, responseUrl: "https://hooks.slack.com/actions/T1/second" };
    const outs: DecideOutcome[] = await Promise.all([runDecide(job, deps()), runDecide(other, deps())]);
    expect(outs.map((x) => x.status).sort()).toEqual(expect.arrayContaining(["executed"]));
    expect(outs.filter((x) => x.status === "executed")).toHaveLength(1);
    const replay = await runDecide(job, deps());
    expect(replay.status).toBe("decided");
    expect(engine.deletes("old-a")).toBe(1);
    expect(engine.deletes("old-b")).toBe(1);
    // One outcome in the thread.
    expect(slack.thread(o.parent.ts).filter((p) => p.msg.text.includes("executed on host1"))).toHaveLength(1);
  });

  it("an execution that stopped half-way is resumed by the next approve click, deleting nothing twice", async () => {
    const o = await opened();
    const job = decideJob(o.request, BOB, "approve", o.plan?.ts ?? "");
    const crashing = deps(protectPg(), {
      execution: {
        concurrency: 1,
        leaseMs: 60_000,
        afterDelete: (_name, n) => {
          if (n === 1) throw new Error("simulated crash");
        },
      },
    });
    const first = await runDecide(job, crashing);
    expect(first.status).toBe("failed");
    expect(engine.deletes()).toBe(1);
    // Too early: the stopped executor's lease still holds.
    expect((await runDecide(job, deps())).status).toBe("busy");
    expect(text(slack.responses.at(-1)?.msg)).toContain("is being executed");
    clock = new Date(clock.getTime() + 61_000);
    const resumed = await runDecide(job, deps());
    expect(resumed.status).toBe("executed");
    expect(engine.deletes("old-a")).toBe(1);
    expect(engine.deletes("old-b")).toBe(1);
    const outcome = text(slack.thread(o.parent.ts).at(-1)?.msg);
    expect(outcome).toContain("2 deleted");
  });

  it("a click on a request this store does not know says so", async () => {
    const out = await runDecide(
      {
        ...decideJob({ id: "DR-ZZZZZZZZ" } as DeletionRequest, BOB, "approve", ""),
        requestId: "DR-ZZZZZZZZ",
      },
      deps(),
    );
    expect(out.status).toBe("not-found");
    expect(text(slack.responses[0]?.msg)).toContain("no request");
  });
});

describe("/dvol requests", () => {
  it("posts the open requests and the last decided in the channel", async () => {
    const o = await opened();
    const o2 = await opened(protectPg(), ["rm", "host1", "used", "old-a"]);
    await runDecide(decideJob(o2.request, ALICE, "reject", o2.plan?.ts ?? ""), deps());
    const out = await runWorkerJob(
      {
        kind: "command",
        words: ["requests"],
        text: "requests",
        channel: CHANNEL,
        user: EVE,
        responseUrl: "https://hooks.slack.com/commands/T1/list",
        acceptedAt: clock.toISOString(),
      },
      { ...deps(), connect: () => engine.factory() },
    );
    expect(out.status).toBe("posted");
    const list = text(slack.posts.at(-1)?.msg);
    expect(list).toContain(`*${o.request.id}*`);
    expect(list).toContain("waiting for an approver");
    expect(list).toContain(`*${o2.request.id}*`);
    expect(list).toContain("rejected by <@U0ALICE01>");
    expect(list).toContain("<@U0EVE0001> ran `/dvol requests`");
  });

  it("expires the requests past their expiry, and their parent messages say so", async () => {
    const o = await opened();
    clock = new Date("2026-11-30T15:00:00.000Z");
    const job = {
      kind: "command" as const,
      words: ["requests"],
      text: "requests",
      channel: CHANNEL,
      user: EVE,
      responseUrl: "https://hooks.slack.com/commands/T1/list",
      acceptedAt: clock.toISOString(),
    };
    expect((await runWorkerJob(job, deps())).status).toBe("posted");
    expect((await store.getRequest(o.request.id))?.status).toBe("expired");
    expect(text(slack.lastUpdateOf(o.parent.ts)?.msg)).toContain("*Expired*");
    expect(text(slack.posts.at(-1)?.msg)).toContain("expired at");
  });
});

describe("group members", () => {
  it("are looked up once per job and group", async () => {
    slack.groups.set("S1", ["U1"]);
    const resolve = groupResolver(slack);
    expect(await resolve("S1")).toEqual(["U1"]);
    expect(await resolve("S1")).toEqual(["U1"]);
    expect(slack.groupLookups).toBe(1);
    await expect(resolve("S2")).rejects.toThrow("no_such_subteam");
    const err = await resolve("S2").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GroupLookupError);
    expect(err).toMatchObject({ group: "S2", detail: "no_such_subteam", kind: "group-lookup" });
    expect((err as Error).cause).toBeInstanceOf(Error);
  });
});

describe("read commands for viewers listed through a user group", () => {
  const viewersGroup = () => fakeConfig({ access: { viewers: ["S0VIEW001"] } });

  /** What the Slack handler makes of the text (it cannot look groups up), run by the worker. */
  async function typed(words: string, user: string, config = viewersGroup()) {
    const d = await decideCommand(
      {
        text: words,
        channel_id: CHANNEL,
        user_id: user,
        response_url: `https://hooks.slack.com/commands/T1/${user}`,
      },
      { config: async () => config, dispatch: async () => {}, now: () => clock },
    );
    if (d.kind !== "dispatch") throw new Error(`answered at once: ${d.message.text}`);
    expect(d.ack.text).toContain("Working on");
    return runWorkerJob(d.job, deps(config));
  }

  it("a member: the handler hands it over, the worker looks the group up and posts the result", async () => {
    slack.groups.set("S0VIEW001", [ALICE]);
    const out = await typed("ls host1", ALICE);
    expect(out.status).toBe("posted");
    expect(slack.groupLookups).toBe(1);
    expect(text(slack.posts.at(-1)?.msg)).toContain("old-a");
    expect(slack.responses).toHaveLength(0);
  });

  it("anyone else: refused by the worker, told only them what happened and what to do; nothing runs", async () => {
    slack.groups.set("S0VIEW001", [ALICE]);
    const out = await typed("ls nowhere", EVE);
    expect(out).toMatchObject({ status: "refused", told: true });
    expect(slack.posts).toHaveLength(0);
    const said = slack.responses.at(-1)?.msg.text ?? "";
    expect(said).toContain("You are not one of dvol's viewers, who may run read commands.");
    expect(said).toContain("Ask an admin to add you (or a group of yours) to access.viewers.");
    // Refused before the host is looked at: no host names.
    expect(said).not.toContain("host1");
  });

  it("a group that cannot be looked up refuses, and says so", async () => {
    const out = await typed("hosts", ALICE);
    expect(out.status).toBe("refused");
    expect(slack.responses.at(-1)?.msg.text).toContain(
      "The members of S0VIEW001 (no_such_subteam) could not be looked up: try again later.",
    );
  });

  it("a member who names an unknown host is told by the worker, once allowed", async () => {
    slack.groups.set("S0VIEW001", [ALICE]);
    const out = await typed("ls nowhere", ALICE);
    expect(out).toMatchObject({ status: "failed", told: true });
    expect(JSON.stringify(slack.responses.at(-1)?.msg)).toContain('unknown host \\"nowhere\\"');
  });

  it("the worker applies access.channels too", async () => {
    const config = fakeConfig({ access: { channels: ["C0ELSE001"], viewers: ["*"] } });
    const out = await runWorkerJob(
      {
        kind: "command",
        words: ["hosts"],
        text: "hosts",
        channel: CHANNEL,
        user: ALICE,
        responseUrl: "https://hooks.slack.com/commands/T1/x",
        acceptedAt: clock.toISOString(),
      },
      deps(config),
    );
    expect(out.status).toBe("refused");
    expect(slack.responses.at(-1)?.msg.text).toContain("dvol does not take commands in this channel.");
  });
});

// The /dvol router's side of deletion requests (src/slack/app.ts), without a network: `rm` and
// `prune` checked as far as a handler can (usage, host, names, requester) and handed over as
// OpenRequestJobs; clicks on Approve and Reject acknowledged with an empty 200 and handed over as
// DecideJobs; other buttons and Slack retries hand over nothing.
import { describe, expect, it } from "vitest";
import { precheck } from "../../../src/approvals/policy.js";
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from "../../../src/commands/delete/slack-actions.js";
import { parseConfig } from "../../../src/config/load.js";
import type { Config } from "../../../src/config/types.js";
import type { DecideJob, Job, OpenRequestJob } from "../../../src/jobs/job.js";
import { createSlackApp } from "../../../src/slack/app.js";
import { ApiGatewayReceiver } from "../../../src/slack/receiver.js";
import { expectWithinSlackLimits } from "../../support/slack-limits.js";
import { signedBlockActions, signedSlashCommand, TEST_SIGNING_SECRET } from "../../support/slack-requests.js";

const unmrkdwn = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

function configWith(access = ""): Config {
  return parseConfig(
    `hosts:\n  - name: host1\n    socket: /nonexistent/1.sock\n  - name: web-1\n    socket: /nonexistent/2.sock\n${access}`,
    "/tmp/dvol.config.yaml",
  );
}

function router(config: Config, dispatch?: (job: Job) => Promise<void>) {
  const jobs: Job[] = [];
  const receiver = new ApiGatewayReceiver({ signingSecret: TEST_SIGNING_SECRET, logger: quiet });
  createSlackApp({
    receiver,
    config: async () => config,
    dispatch:
      dispatch ??
      (async (job) => {
        jobs.push(job);
      }),
    logger: quiet,
    now: () => new Date("2026-11-29T14:00:00.000Z"),
  });
  const run = async (
    text: string,
    more: { channel_id?: string; user_id?: string; trigger_id?: string } = {},
  ) => {
    const res = await receiver.handle(signedSlashCommand({ text, ...more }));
    expect(res.statusCode).toBe(200);
    const ack = JSON.parse(res.body ?? "") as { response_type: string; text: string; blocks: [] };
    expectWithinSlackLimits(ack);
    // Everything a reader sees: the text and every block's text.
    const texts: string[] = [ack.text];
    JSON.stringify(ack.blocks ?? [], (k, v) => {
      if (k === "text" && typeof v === "string") texts.push(v);
      return v;
    });
    return { ...ack, text: unmrkdwn(ack.text), all: unmrkdwn(texts.join("\n")) };
  };
  const click = (
    fields: Parameters<typeof signedBlockActions>[0],
    o: Parameters<typeof signedBlockActions>[1] = {},
  ) => receiver.handle(signedBlockActions(fields, o));
  return { run, click, jobs };
}

describe("/dvol rm and prune in the handler", () => {
  it.each([
    ["a missing volume", "rm host1", /rm: missing <volume>/],
    ["a missing host", "prune", /prune: missing <host>/],
    [
      "an unknown host",
      "rm nowhere old-cache",
      /unknown host "nowhere"[\s\S]*Registered hosts: host1, web-1/,
    ],
    ["an unknown host for prune", "prune nowhere", /unknown host "nowhere"/],
    ["a name with ../", "rm host1 ../etc", /invalid volume name/],
    ["a name with a slash", "rm host1 ab/cd", /invalid volume name/],
    ["a bad duration", "prune host1 --older-than soon", /--older-than "soon" is not a duration/],
    ["an unknown option", "rm host1 old-cache --force", /unknown option --force/],
  ])("%s is answered at once, ephemeral, without a job", async (_what, text, expected) => {
    const r = router(configWith());
    const ack = await r.run(text);
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.all).toMatch(expected);
    expect(r.jobs).toHaveLength(0);
  });

  it("201 volumes in one rm are refused before any host is asked", async () => {
    const r = router(configWith());
    const names = Array.from({ length: 201 }, (_, i) => `v${i}`).join(" ");
    const ack = await r.run(`rm host1 ${names}`);
    expect(ack.all).toMatch(/at most 200/);
    expect(r.jobs).toHaveLength(0);
  });

  it("rm becomes an OpenRequestJob with the words, channel, user, response_url and trigger_id", async () => {
    const r = router(configWith());
    const ack = await r.run('rm host1 old-cache tmp-data --reason "old stuff"', {
      channel_id: "C0OPS0001",
      user_id: "U0ALICE01",
      trigger_id: "123.456.abc",
    });
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toContain("opening a deletion request");
    expect(r.jobs).toEqual([
      {
        kind: "open-request",
        words: ["rm", "host1", "old-cache", "tmp-data", "--reason", "old stuff"],
        text: "rm host1 old-cache tmp-data --reason old stuff",
        channel: "C0OPS0001",
        user: "U0ALICE01",
        responseUrl: "https://hooks.slack.com/commands/T0001/1/abc",
        acceptedAt: "2026-11-29T14:00:00.000Z",
        triggerId: "123.456.abc",
      } satisfies OpenRequestJob,
    ]);
  });

  it("prune with filters becomes an OpenRequestJob", async () => {
    const r = router(configWith());
    await r.run("prune host1 --project shop --older-than 7d --label env=dev");
    expect(r.jobs).toHaveLength(1);
    expect(r.jobs[0]).toMatchObject({
      kind: "open-request",
      words: ["prune", "host1", "--project", "shop", "--older-than", "7d", "--label", "env=dev"],
    });
  });

  it("requesters, not viewers, may type rm and prune; refused before parsing", async () => {
    const cfg = configWith('access:\n  viewers: ["*"]\n  requesters: [U0BOB0001]\n');
    const r = router(cfg);
    const refused = await r.run("rm nowhere old-cache", { user_id: "U0EVE0001" });
    expect(refused.text).toContain("not one of dvol's requesters");
    expect(refused.all).not.toContain("host1");
    await r.run("prune host1", { user_id: "U0EVE0001" });
    expect(r.jobs).toHaveLength(0);
    await r.run("rm host1 old-cache", { user_id: "U0BOB0001" });
    expect(r.jobs).toHaveLength(1);
    // Eve is still a viewer.
    await r.run("ls host1", { user_id: "U0EVE0001" });
    expect(r.jobs).toHaveLength(2);

    const onlyViewers = router(configWith('access:\n  viewers: [U0BOB0001]\n  requesters: ["*"]\n'));
    await onlyViewers.run("rm host1 old-cache", { user_id: "U0EVE0001" });
    expect(onlyViewers.jobs).toHaveLength(1);
  });

  it("a requester listed only through a user group is left to the worker, which can look it up", async () => {
    const r = router(configWith("access:\n  requesters: [S0GROUP01]\n"));
    await r.run("rm host1 old-cache", { user_id: "U0EVE0001" });
    expect(r.jobs).toHaveLength(1);
    expect(
      precheck(configWith("access:\n  requesters: [S0GROUP01, U0BOB0001]\n").access, "request", {
        channel: "C1",
        user: "U0EVE0001",
      }),
    ).toEqual({ ok: "groups", groups: ["S0GROUP01"] });
  });

  it("the channel is checked first", async () => {
    const r = router(configWith("access:\n  channels: [C0OPS0001]\n"));
    const ack = await r.run("rm host1 old-cache", { channel_id: "C0RANDOM1" });
    expect(ack.text).toContain("does not take commands in this channel");
    expect(r.jobs).toHaveLength(0);
  });

  it("a Slack retry of rm is acknowledged and runs nothing", async () => {
    const r = router(configWith());
    const receiver = new ApiGatewayReceiver({ signingSecret: TEST_SIGNING_SECRET, logger: quiet });
    const jobs: Job[] = [];
    createSlackApp({
      receiver,
      config: async () => configWith(),
      dispatch: async (j) => void jobs.push(j),
      logger: quiet,
    });
    const res = await receiver.handle(
      signedSlashCommand(
        { text: "rm host1 old-cache" },
        { headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" } },
      ),
    );
    expect(res.statusCode).toBe(200);
    expect(jobs).toHaveLength(0);
    expect(r.jobs).toHaveLength(0);
  });
});

describe("clicks on Approve and Reject", () => {
  const fields = {
    actionId: APPROVE_ACTION_ID,
    value: "DR-0A1B2C3D",
    channel_id: "C0OPS0001",
    user_id: "U0BOB0001",
    response_url: "https://hooks.slack.com/actions/T0001/9/xyz",
    message_ts: "1790000000.000200",
  };

  it("are acknowledged with an empty 200 and become DecideJobs", async () => {
    const r = router(configWith());
    const res = await r.click(fields);
    expect(res.statusCode).toBe(200);
    expect(res.body ?? "").toBe("");
    const rej = await r.click({ ...fields, actionId: REJECT_ACTION_ID, user_id: "U0ALICE01" });
    expect(rej.statusCode).toBe(200);
    expect(r.jobs).toEqual([
      {
        kind: "decide",
        requestId: "DR-0A1B2C3D",
        action: "approve",
        user: "U0BOB0001",
        channel: "C0OPS0001",
        messageTs: "1790000000.000200",
        threadTs: null,
        responseUrl: "https://hooks.slack.com/actions/T0001/9/xyz",
        text: "approve DR-0A1B2C3D",
        acceptedAt: "2026-11-29T14:00:00.000Z",
      } satisfies DecideJob,
      expect.objectContaining({ action: "reject", user: "U0ALICE01" }),
    ]);
  });

  it("a double click is two jobs: the worker decides once", async () => {
    const r = router(configWith());
    await Promise.all([r.click(fields), r.click(fields)]);
    expect(r.jobs).toHaveLength(2);
  });

  it("other buttons, and values that are not request ids, hand over nothing", async () => {
    const r = router(configWith());
    for (const f of [
      { ...fields, actionId: "dvol_something_else" },
      { ...fields, value: "DR-../../x" },
      { ...fields, value: "" },
    ]) {
      const res = await r.click(f);
      expect(res.statusCode).toBe(200);
    }
    expect(r.jobs).toHaveLength(0);
  });

  it("a Slack retry of a click hands over nothing", async () => {
    const r = router(configWith());
    const res = await r.click(fields, {
      headers: { "x-slack-retry-num": "2", "x-slack-retry-reason": "timeout" },
    });
    expect(res.statusCode).toBe(200);
    expect(r.jobs).toHaveLength(0);
  });

  it("when the job cannot be handed over, the click is still acknowledged", async () => {
    const r = router(configWith(), async () => {
      throw new Error("lambda is down");
    });
    // The response_url is not reachable here: telling the clicker fails quietly (logged).
    const res = await r.click({ ...fields, response_url: "http://127.0.0.1:9/unreachable" });
    expect(res.statusCode).toBe(200);
  });

  it("an unsigned click gets 401 and reaches no listener", async () => {
    const r = router(configWith());
    const res = await r.click(fields, { omit: ["x-slack-signature"] });
    expect(res.statusCode).toBe(401);
    expect(r.jobs).toHaveLength(0);
  });
});

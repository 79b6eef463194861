// The /dvol router (src/slack/app.ts) without a network: what is answered at once, ephemeral,
// to the person who typed it (help, usage errors, unknown hosts, invalid volume names, access
// refusals), and what is handed to the dispatcher before the acknowledgement.
import { describe, expect, it } from "vitest";
import { precheck } from "../../../src/approvals/policy.js";
import { parseConfig } from "../../../src/config/load.js";
import type { Config } from "../../../src/config/types.js";
import type { Job } from "../../../src/jobs/job.js";
import { createSlackApp, decideCommand } from "../../../src/slack/app.js";
import { ApiGatewayReceiver } from "../../../src/slack/receiver.js";
import { signedSlashCommand, TEST_SIGNING_SECRET } from "../../support/slack-requests.js";

/** What a reader sees: mrkdwn's &lt; &gt; &amp; undone. */
const unmrkdwn = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

function configWith(access = ""): Config {
  return parseConfig(
    `hosts:\n  - name: host1\n    socket: /nonexistent/1.sock\n  - name: web-1\n    socket: /nonexistent/2.sock\n${access}`,
    "/tmp/dvol.config.yaml",
  );
}

function router(config: Config | (() => Promise<Config>), dispatch?: (job: Job) => Promise<void>) {
  const jobs: Job[] = [];
  const receiver = new ApiGatewayReceiver({ signingSecret: TEST_SIGNING_SECRET, logger: quiet });
  createSlackApp({
    receiver,
    config: typeof config === "function" ? config : async () => config,
    dispatch:
      dispatch ??
      (async (job) => {
        jobs.push(job);
      }),
    logger: quiet,
  });
  const run = async (text: string, more: { channel_id?: string; user_id?: string } = {}) => {
    const res = await receiver.handle(signedSlashCommand({ text, ...more }));
    expect(res.statusCode).toBe(200);
    return JSON.parse(unmrkdwn(res.body ?? "")) as {
      response_type: string;
      text: string;
      blocks?: unknown[];
    };
  };
  return { run, jobs };
}

describe("answered at once, ephemeral, without a job", () => {
  it.each([
    ["an unknown command", "frobnicate", /unknown command "frobnicate"/],
    ["a missing argument", "ls", /ls: missing <target>/],
    ["an unknown option", "ls host1 --colour", /unknown option --colour/],
    ["an unbalanced quote", 'ls host1 --name "abc', /unbalanced quote/],
    ["an unknown host", "ls nowhere", /unknown host "nowhere"[\s\S]*Registered hosts: host1, web-1/],
    ["a glob that matches no host", "ls db-*", /unknown host "db-\*"/],
    ["an unknown host for info", "info nowhere", /unknown host "nowhere"/],
    ["an invalid volume name", "inspect host1 ../etc", /invalid volume name/],
  ])("%s", async (_what, text, expected) => {
    const r = router(configWith());
    const ack = await r.run(text);
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toMatch(expected);
    expect(r.jobs).toHaveLength(0);
  });

  it("a usage error shows the command's usage", async () => {
    const ack = await router(configWith()).run("ls");
    expect(JSON.stringify(ack.blocks)).toContain("dvol ls <target>");
  });

  it("help, and /dvol with no text, answer with the usage of every command", async () => {
    const r = router(configWith());
    for (const text of ["help", "", "  "]) {
      const ack = await r.run(text);
      expect(ack.response_type).toBe("ephemeral");
      expect(JSON.stringify(ack)).toContain("inspect");
    }
    expect(JSON.stringify(await r.run("help ls"))).toContain("--dangling");
    expect(r.jobs).toHaveLength(0);
  });

  it("a channel not in access.channels is refused, naming where dvol works", async () => {
    const r = router(configWith("access:\n  channels: [C0OPS0001]\n"));
    const ack = await r.run("ls host1", { channel_id: "C0OTHER01" });
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toContain("does not take commands in this channel");
    expect(ack.text).toContain("<#C0OPS0001>");
    expect(r.jobs).toHaveLength(0);
    await r.run("ls host1", { channel_id: "C0OPS0001" });
    expect(r.jobs).toHaveLength(1);
  });

  it('a user who is not a viewer is refused; a listed user ID and "*" are allowed', async () => {
    const r = router(configWith("access:\n  viewers: [U0BOB0001]\n"));
    expect((await r.run("hosts", { user_id: "U0EVE0001" })).text).toContain("not one of dvol's viewers");
    expect(r.jobs).toHaveLength(0);
    await r.run("hosts", { user_id: "U0BOB0001" });
    expect(r.jobs).toHaveLength(1);
    const open = router(configWith('access:\n  viewers: ["*"]\n'));
    await open.run("hosts", { user_id: "U0EVE0001" });
    expect(open.jobs).toHaveLength(1);
  });

  it("refuses before parsing: a refused user learns no host names", async () => {
    const r = router(configWith("access:\n  viewers: [U0BOB0001]\n"));
    const ack = await r.run("ls nowhere", { user_id: "U0EVE0001" });
    expect(ack.text).not.toContain("host1");
  });

  it("a config that does not load is answered as a config error", async () => {
    const r = router(async () => {
      throw new (await import("../../../src/errors.js")).ConfigError("bad key", { key: "hosts[0].url" });
    });
    const ack = await r.run("ls host1");
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toContain("config: hosts[0].url: bad key");
    expect(r.jobs).toHaveLength(0);
  });

  it("a dispatcher that fails is answered ephemeral, not as a 5xx", async () => {
    const r = router(configWith(), async () => {
      throw new Error("Lambda said no");
    });
    const ack = await r.run("ls host1");
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toContain("could not hand this command to its worker");
  });
});

describe("dispatched, then acknowledged", () => {
  it("ls, hosts, info and inspect become jobs with the words, channel, user and response_url", async () => {
    const r = router(configWith());
    for (const text of [
      "ls host1 --sort size",
      "hosts",
      "info web-1",
      "inspect host1 app_data",
      "ls web-*,host1",
    ]) {
      const ack = await r.run(text);
      expect(ack.response_type).toBe("ephemeral");
      expect(ack.text).toContain(`Working on \`${text}\``);
    }
    expect(r.jobs.map((j) => j.text)).toEqual([
      "ls host1 --sort size",
      "hosts",
      "info web-1",
      "inspect host1 app_data",
      "ls web-*,host1",
    ]);
    expect(r.jobs[0]).toMatchObject({
      kind: "command",
      words: ["ls", "host1", "--sort", "size"],
      channel: "C0123ABCD",
      user: "U0AAAAAAA",
      responseUrl: "https://hooks.slack.com/commands/T0001/1/abc",
    });
  });

  it("the job is handed over before the acknowledgement is returned: the ack waits for a dispatch still in flight", async () => {
    // No guessed delay: the dispatch stays in flight until the test lets it finish, and the test
    // checks that the handler has not answered while it was (after letting the event loop turn).
    const order: string[] = [];
    let started!: () => void;
    const inFlight = new Promise<void>((r) => {
      started = r;
    });
    let finish!: () => void;
    const finished = new Promise<void>((r) => {
      finish = r;
    });
    const receiver = new ApiGatewayReceiver({ signingSecret: TEST_SIGNING_SECRET, logger: quiet });
    createSlackApp({
      receiver,
      config: async () => configWith(),
      dispatch: async () => {
        started();
        await finished;
        order.push("dispatched");
      },
      logger: quiet,
    });
    const answered = receiver.handle(signedSlashCommand({ text: "hosts" })).then((res) => {
      order.push("returned");
      return res;
    });
    await inFlight;
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
    expect(order).toEqual([]);
    finish();
    const res = await answered;
    expect(order).toEqual(["dispatched", "returned"]);
    expect(res.statusCode).toBe(200);
  });

  it("decideCommand stamps acceptedAt with the clock", async () => {
    const d = await decideCommand(
      { text: "hosts", channel_id: "C1", user_id: "U1", response_url: "https://hooks.slack.com/x" },
      {
        config: async () => configWith(),
        dispatch: async () => {},
        now: () => new Date("2026-11-29T14:00:00Z"),
      },
    );
    expect(d.kind).toBe("dispatch");
    if (d.kind === "dispatch") expect(d.job.acceptedAt).toBe("2026-11-29T14:00:00.000Z");
  });
});

describe("access rules", () => {
  const access = (channels: string[], viewers: string[]) => ({
    channels,
    viewers,
    requesters: ["*"],
    approvers: [],
    allowSelfApproval: false,
  });
  it("empty channels means anywhere", () => {
    expect(precheck(access([], ["*"]), "read", { channel: "D0DM", user: "U1" })).toEqual({ ok: true });
  });

  it("a viewer listed only through a user group is handed to the worker, which looks the group up", async () => {
    const r = router(configWith("access:\n  viewers: [S0GROUP01]\n"));
    const ack = await r.run("ls host1", { user_id: "U0EVE0001" });
    expect(ack.text).toContain("Working on");
    expect(ack.text).not.toContain("not resolved");
    expect(r.jobs).toEqual([expect.objectContaining({ kind: "command", words: ["ls", "host1"] })]);
  });

  it("while its groups are unknown, a user learns no host names from the handler", async () => {
    const r = router(configWith("access:\n  viewers: [S0GROUP01]\n"));
    const ack = await r.run("ls nowhere", { user_id: "U0EVE0001" });
    expect(JSON.stringify(ack)).not.toContain("host1");
    // Handed over: the worker checks the host after the group lookup.
    expect(r.jobs).toHaveLength(1);
  });

  it("a channel outside access.channels is refused even for a group-listed viewer", async () => {
    const r = router(configWith("access:\n  channels: [C0OPS0001]\n  viewers: [S0GROUP01]\n"));
    const ack = await r.run("ls host1", { channel_id: "C0OTHER01" });
    expect(ack.text).toContain("does not take commands in this channel");
    expect(r.jobs).toHaveLength(0);
  });
});

// End to end through the Lambda handlers: handlers/slack.ts is invoked with signed API Gateway v2
// events; its dispatcher calls handlers/worker.ts's handler as the asynchronous invocation would
// (after the handler has handed the job over, on a copy that went through JSON); the worker asks
// the REAL engines of the test bed over mutual TLS and posts to the Slack stand-in (SLACK_API_URL).
// Every message the bot posts is checked against Slack's limits.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSlackHandler, handler as slackHandler } from "../../handlers/slack.js";
import { createWorkerHandler, handler as workerHandler } from "../../handlers/worker.js";
import type { SlackMessage } from "../../src/blocks/message.js";
import type { ConnectionFactory, EngineRequest } from "../../src/docker/connection.js";
import type { CommandJob, Job } from "../../src/jobs/job.js";
import type { WorkerOutcome } from "../../src/jobs/run-request.js";
import { engineHost, writeConfig } from "../support/dvol.js";
import { SCENARIO_VOLUME_NAMES } from "../support/scenario.js";
import { expectWithinSlackLimits } from "../support/slack-limits.js";
import { signedBlockActions, signedSlashCommand, TEST_SIGNING_SECRET } from "../support/slack-requests.js";
import { type RecordedCall, type SlackStandin, startSlackStandin } from "../support/slack-standin.js";
import { requireTestbed } from "../support/testbed-types.js";

const testbed = requireTestbed();
const CHANNEL = "C0OPS0001";
const BOT_TOKEN = "xoxb-dvol-e2e-token";
const ACK_BUDGET_MS = 3000;

const configFile = writeConfig(
  [engineHost("h", testbed.engines.docker28, testbed), engineHost("old", testbed.engines.docker20, testbed)],
  { access: { channels: [CHANNEL], viewers: ["*"] } },
);

let standin: SlackStandin;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  standin = await startSlackStandin({ token: BOT_TOKEN });
  env = {
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: standin.apiUrl,
    DVOL_CONFIG: configFile,
  };
});
afterAll(async () => {
  await standin.close();
});
afterEach(() => {
  standin.reset();
});

/** The Slack handler with a dispatcher that invokes the worker as Lambda's async invoke would. */
function lambdas(over: { config?: string; connect?: ConnectionFactory } = {}) {
  const e = { ...env, ...(over.config ? { DVOL_CONFIG: over.config } : {}) };
  const worker = createWorkerHandler({ env: e, ...(over.connect ? { connect: over.connect } : {}) });
  const runs: Promise<WorkerOutcome>[] = [];
  const jobs: Job[] = [];
  const slack = createSlackHandler({
    env: e,
    dispatch: async (job) => {
      jobs.push(job);
      // The invocation payload is JSON: the worker gets a copy, never the handler's object.
      runs.push(worker(JSON.parse(JSON.stringify(job)) as Job));
    },
  });
  return { slack, jobs, settle: () => Promise.all(runs) };
}

async function timed(p: Promise<APIGatewayProxyResultV2>) {
  const t0 = performance.now();
  const res = (await p) as APIGatewayProxyStructuredResultV2;
  return { res, ms: performance.now() - t0 };
}

function ackOf(result: APIGatewayProxyResultV2): { response_type?: string; text: string } {
  const res = result as APIGatewayProxyStructuredResultV2;
  expect(res.statusCode).toBe(200);
  const ack = JSON.parse(res.body ?? "{}");
  // An acknowledgement is a message too: the same limits apply.
  expectWithinSlackLimits(ack as SlackMessage);
  return ack;
}

/** The message a chat.postMessage call carried, checked against Slack's limits. */
function posted(call: RecordedCall | undefined): SlackMessage {
  expect(call, "a chat.postMessage call").toBeDefined();
  const msg = {
    text: String(call?.args.text ?? ""),
    blocks: (call?.args.blocks ?? []) as SlackMessage["blocks"],
  };
  expectWithinSlackLimits(msg);
  return msg;
}

const unmrkdwn = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

describe("/dvol through the Lambda handlers, against the real engines", () => {
  it("ls h: an ephemeral ack within 3 s, then the volumes posted in the channel", async () => {
    const l = lambdas();
    const responseUrl = standin.responseUrl();
    const { res, ms } = await timed(
      l.slack(signedSlashCommand({ text: "ls h", channel_id: CHANNEL, response_url: responseUrl })),
    );
    expect(ms).toBeLessThan(ACK_BUDGET_MS);
    const ack = ackOf(res);
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toContain("Working on `ls h`");
    expect(l.jobs).toHaveLength(1);

    const [outcome] = await l.settle();
    expect(outcome?.status).toBe("posted");
    const posts = standin.callsTo("chat.postMessage");
    expect(posts).toHaveLength(1);
    expect(posts[0]?.token).toBe(BOT_TOKEN);
    expect(posts[0]?.args.channel).toBe(CHANNEL);
    const msg = posted(posts[0]);
    const blocks = JSON.stringify(msg.blocks);
    for (const name of SCENARIO_VOLUME_NAMES) expect(blocks).toContain(name);
    expect(blocks).toContain("<@U0AAAAAAA> ran `/dvol ls h`");
    // Nothing was only for the person who typed it, and the handler never called auth.test.
    expect(standin.responsesTo(responseUrl.split("/").pop() ?? "")).toHaveLength(0);
    expect(standin.callsTo("auth.test")).toHaveLength(0);
    console.log(`[e2e] ack of /dvol ls h (first request of a fresh handler): ${ms.toFixed(1)} ms`);
  });

  it("hosts: both engines, with their versions, posted in the channel", async () => {
    const l = lambdas();
    const { res, ms } = await timed(l.slack(signedSlashCommand({ text: "hosts", channel_id: CHANNEL })));
    expect(ms).toBeLessThan(ACK_BUDGET_MS);
    expect(ackOf(res).text).toContain("Working on `hosts`");
    const [outcome] = await l.settle();
    expect(outcome?.status).toBe("posted");
    const msg = posted(standin.callsTo("chat.postMessage")[0]);
    const text = unmrkdwn(JSON.stringify(msg.blocks));
    expect(text).toContain("*h*");
    expect(text).toContain("*old*");
    expect(text).toContain(testbed.engines.docker28.version);
    expect(text).toContain(testbed.engines.docker20.version);
    expect(text).toContain("all reachable");
  });

  it("a usage error is answered at once, ephemeral, with the usage, and no job", async () => {
    const l = lambdas();
    const { res, ms } = await timed(l.slack(signedSlashCommand({ text: "ls", channel_id: CHANNEL })));
    expect(ms).toBeLessThan(ACK_BUDGET_MS);
    const ack = ackOf(res);
    expect(ack.response_type).toBe("ephemeral");
    expect(unmrkdwn(JSON.stringify(ack))).toContain("/dvol ls <target>");
    expectWithinSlackLimits(ack as unknown as SlackMessage);
    expect(l.jobs).toHaveLength(0);
    expect(standin.calls).toHaveLength(0);
  });

  it("an unknown host is answered at once, ephemeral, naming the registered hosts, and no job", async () => {
    const l = lambdas();
    const ack = ackOf(await l.slack(signedSlashCommand({ text: "ls nowhere", channel_id: CHANNEL })));
    expect(ack.response_type).toBe("ephemeral");
    expect(unmrkdwn(ack.text)).toContain('unknown host "nowhere"');
    expect(unmrkdwn(JSON.stringify(ack))).toContain("h, old");
    expect(l.jobs).toHaveLength(0);
    expect(standin.calls).toHaveLength(0);
  });

  it("a channel not in access.channels is refused, ephemeral, and no job", async () => {
    const l = lambdas();
    const ack = ackOf(await l.slack(signedSlashCommand({ text: "ls h", channel_id: "C0RANDOM01" })));
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toContain("does not take commands in this channel");
    expect(l.jobs).toHaveLength(0);
    expect(standin.calls).toHaveLength(0);
  });

  it("a viewer listed only through a user group: the handler defers, the worker looks the group up and runs or refuses", async () => {
    const groupConfig = writeConfig(
      [
        engineHost("h", testbed.engines.docker28, testbed),
        engineHost("old", testbed.engines.docker20, testbed),
      ],
      { access: { channels: [CHANNEL], viewers: ["S0VIEWERS"] } },
    );
    standin.setUsergroup("S0VIEWERS", ["U0AAAAAAA"]);
    const l = lambdas({ config: groupConfig });
    // A member: acknowledged as any command, then the volumes posted in the channel.
    const member = ackOf(await l.slack(signedSlashCommand({ text: "ls h", channel_id: CHANNEL })));
    expect(member.text).toContain("Working on `ls h`");
    // Someone else: acknowledged the same way (the handler cannot tell), then refused by the worker.
    const refusedId = "group-viewer-refused";
    const other = ackOf(
      await l.slack(
        signedSlashCommand({
          text: "ls nowhere",
          channel_id: CHANNEL,
          user_id: "U0EVE0001",
          response_url: standin.responseUrl(refusedId),
        }),
      ),
    );
    expect(unmrkdwn(JSON.stringify(other))).not.toContain("h, old");
    expect(l.jobs).toHaveLength(2);

    const outcomes = await l.settle();
    expect(outcomes.map((o) => o.status)).toEqual(["posted", "refused"]);
    expect(standin.callsTo("usergroups.users.list").map((c) => c.args.usergroup)).toEqual([
      "S0VIEWERS",
      "S0VIEWERS",
    ]);
    const posts = standin.callsTo("chat.postMessage");
    expect(posts).toHaveLength(1);
    expect(JSON.stringify(posted(posts[0]).blocks)).toContain("<@U0AAAAAAA> ran `/dvol ls h`");
    const [answer] = standin.responsesTo(refusedId);
    expect(answer?.json.response_type).toBe("ephemeral");
    const said = unmrkdwn(String(answer?.json.text));
    expect(said).toContain("You are not one of dvol's viewers");
    expect(said).toContain("access.viewers");
    expect(said).not.toContain("not resolved");
    expect(said).not.toContain("h, old");
  });

  it("a signed block_actions click is acknowledged", async () => {
    const l = lambdas();
    const res = (await l.slack(
      signedBlockActions({ channel_id: CHANNEL }),
    )) as APIGatewayProxyStructuredResultV2;
    expect(res.statusCode).toBe(200);
    expect(l.jobs).toHaveLength(0);
  });

  it("when the bot may not post in the channel, the result goes to the person through response_url", async () => {
    const l = lambdas();
    const id = "not-in-channel";
    standin.failNext("chat.postMessage", "not_in_channel");
    await l.slack(
      signedSlashCommand({
        text: "ls h --name sized",
        channel_id: CHANNEL,
        response_url: standin.responseUrl(id),
      }),
    );
    const [outcome] = await l.settle();
    expect(outcome).toMatchObject({ status: "not-posted", error: "not_in_channel", told: true });
    const [answer] = standin.responsesTo(id);
    expect(answer?.json.response_type).toBe("ephemeral");
    expect(String(answer?.json.text)).toContain("invite me");
    expect(JSON.stringify(answer?.json.blocks)).toContain("sized-5m");
    expectWithinSlackLimits(answer?.json as unknown as SlackMessage);
  });

  it("a host that cannot be reached is reported in the channel, and the other host still answers", async () => {
    const config = writeConfig(
      [
        engineHost("h", testbed.engines.docker28, testbed),
        {
          ...engineHost("down", testbed.engines.docker28, testbed),
          url: "tcp://127.0.0.1:1",
          timeoutSeconds: 3,
        },
      ],
      { access: { channels: [CHANNEL] } },
    );
    const l = lambdas({ config });
    await l.slack(signedSlashCommand({ text: "ls all --name plain", channel_id: CHANNEL }));
    const [outcome] = await l.settle();
    expect(outcome?.status).toBe("posted");
    const text = unmrkdwn(JSON.stringify(posted(standin.callsTo("chat.postMessage")[0]).blocks));
    expect(text).toContain("plain-a");
    expect(text).toMatch(/down[^"]*(refused|unreachable)/);
  });
});

// ------------------------------------------------------------------------------------------------
// 5,000 volumes. A FAKE engine here, on purpose: the point is the size of what is posted, and a
// real engine with 5,000 volumes would take minutes to set up for nothing more. It answers the
// calls `ls` makes (/version; the fast /v1.51/volumes and /v1.51/containers/json; the measurement
// /v1.51/system/df) with the engine's own JSON shapes.

const MANY = 5000;

function fakeEngineWith(count: number): ConnectionFactory {
  const volumes = Array.from({ length: count }, (_, i) => ({
    Name: `vol-${String(i).padStart(4, "0")}-${i % 7 === 0 ? "cache" : "data"}`,
    Driver: "local",
    Mountpoint: `/var/lib/docker/volumes/vol-${i}/_data`,
    CreatedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    Labels:
      i % 3 === 0
        ? { "com.docker.compose.project": `proj${i % 11}`, "com.docker.compose.volume": "data" }
        : null,
    Scope: "local",
    Options: null,
    UsageData: { Size: (i % 500) * 1_000_003, RefCount: i % 4 === 0 ? 1 : 0 },
  }));
  const users = volumes
    .filter((v) => v.UsageData.RefCount > 0)
    .map((v, i) => ({ Id: `c${i}`, Names: [`/user-${i}`], Mounts: [{ Type: "volume", Name: v.Name }] }));
  return async (host) => ({
    host: host.name,
    async call<T>(req: EngineRequest): Promise<T> {
      if (req.path === "/version")
        return { Version: "28.5.2", ApiVersion: "1.51", MinAPIVersion: "1.24" } as T;
      if (req.path === "/v1.51/system/df") return { Volumes: volumes } as T;
      // The fast listing (issue 12): /volumes without usage, and the containers that mount them.
      if (req.path === "/v1.51/volumes")
        return { Volumes: volumes.map((v) => ({ ...v, UsageData: null })) } as T;
      if (req.path === "/v1.51/containers/json") return users as T;
      throw new Error(`fake engine: unexpected ${req.method} ${req.path}`);
    },
    close() {},
  });
}

describe("ls of a host with 5,000 volumes, through the worker", () => {
  it("posts a message within Slack's limits and uploads the full list as a file in its thread", async () => {
    const config = writeConfig([{ name: "big", socket: "/nonexistent/docker.sock" }], {
      access: { channels: [CHANNEL] },
    });
    const l = lambdas({ config, connect: fakeEngineWith(MANY) });
    const { res, ms } = await timed(l.slack(signedSlashCommand({ text: "ls big", channel_id: CHANNEL })));
    expect(ms).toBeLessThan(ACK_BUDGET_MS);
    expect(ackOf(res).text).toContain("Working on `ls big`");
    const [outcome] = await l.settle();
    expect(outcome?.status).toBe("posted");

    const [post] = standin.callsTo("chat.postMessage");
    const msg = posted(post);
    expect(JSON.stringify(msg.blocks)).toMatch(/5,000/);

    // The upload: getUploadURLExternal, the bytes to the URL it handed out, completeUploadExternal.
    const order = standin.calls.map((c) => c.method);
    expect(order).toEqual([
      "chat.postMessage",
      "files.getUploadURLExternal",
      "upload",
      "files.completeUploadExternal",
    ]);
    for (const c of standin.calls.filter((c) => c.method.startsWith("files.")))
      expect(c.token).toBe(BOT_TOKEN);
    const uploads = [...standin.uploads.values()];
    expect(uploads).toHaveLength(1);
    const file = uploads[0];
    const content = file?.content?.toString("utf8") ?? "";
    for (let i = 0; i < MANY; i += 1) {
      const name = `vol-${String(i).padStart(4, "0")}-${i % 7 === 0 ? "cache" : "data"}`;
      if (!content.includes(name)) throw new Error(`the file lacks ${name}`);
    }
    expect(file?.completed).toMatchObject({
      channel_id: CHANNEL,
      thread_ts: outcome?.status === "posted" ? outcome.posted.ts : "",
    });
    if (outcome?.status === "posted") expect(outcome.posted.fileId).toBe(file?.fileId);
  });
});

// ------------------------------------------------------------------------------------------------
// The exported handlers as Lambda runs them: configured from the environment only, the Slack
// handler invokes the worker through the Lambda Invoke API (InvocationType Event) of an endpoint
// on loopback that answers 202 and then runs handlers/worker.ts's handler, as Lambda would.

describe("the exported handlers, wired through a Lambda Invoke endpoint", () => {
  let lambda: Server;
  const saved = { ...process.env };
  const invocations: { path: string; type: string | undefined; job: CommandJob }[] = [];
  const runs: Promise<WorkerOutcome>[] = [];

  beforeAll(async () => {
    lambda = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const job = JSON.parse(Buffer.concat(chunks).toString("utf8")) as CommandJob;
        invocations.push({ path: req.url ?? "", type: req.headers["x-amz-invocation-type"] as string, job });
        res.writeHead(202, { "content-type": "application/json" });
        res.end();
        runs.push(workerHandler(job));
      });
    });
    await new Promise<void>((r) => lambda.listen(0, "127.0.0.1", r));
    Object.assign(process.env, env, {
      DVOL_WORKER_FUNCTION: "dvol-e2e-worker",
      AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(lambda.address() as AddressInfo).port}`,
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "AKIAE2ETESTONLY",
      AWS_SECRET_ACCESS_KEY: "e2e-test-only",
    });
  });
  afterAll(async () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await new Promise<void>((r) => lambda.close(() => r()));
  });

  it("/dvol ls h: acked within 3 s, the worker invoked asynchronously, the result posted", async () => {
    const { res, ms } = await timed(
      slackHandler(signedSlashCommand({ text: "ls h --dangling", channel_id: CHANNEL })),
    );
    expect(ms).toBeLessThan(ACK_BUDGET_MS);
    expect(ackOf(res).text).toContain("Working on `ls h --dangling`");
    expect(invocations).toHaveLength(1);
    expect(invocations[0]?.path).toBe("/2015-03-31/functions/dvol-e2e-worker/invocations");
    expect(invocations[0]?.type).toBe("Event");
    expect(invocations[0]?.job).toMatchObject({
      kind: "command",
      words: ["ls", "h", "--dangling"],
      channel: CHANNEL,
    });
    const [outcome] = await Promise.all(runs);
    expect(outcome?.status).toBe("posted");
    const text = JSON.stringify(posted(standin.callsTo("chat.postMessage")[0]).blocks);
    expect(text).toContain("plain-a");
    expect(text).not.toContain("in-use-running");
    console.log(
      `[e2e] ack through the exported handler, Lambda SDK loaded on first dispatch: ${ms.toFixed(1)} ms`,
    );
  });
});

// ------------------------------------------------------------------------------------------------
// The stand-in itself speaks Slack's wire format, so the tests above prove something.

describe("the Slack stand-in", () => {
  const call = async (method: string, init: RequestInit) => {
    const res = await fetch(`${standin.apiUrl}${method}`, { method: "POST", ...init });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  it("takes JSON bodies with a bearer token, and form bodies with the token as a field", async () => {
    const json = await call("chat.postMessage", {
      headers: { authorization: `Bearer ${BOT_TOKEN}`, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ channel: CHANNEL, text: "hi", blocks: [{ type: "divider" }] }),
    });
    expect(json).toMatchObject({ ok: true, channel: CHANNEL, ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    const form = await call("chat.postEphemeral", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: BOT_TOKEN, channel: CHANNEL, user: "U1", text: "psst" }).toString(),
    });
    expect(form).toMatchObject({ ok: true, message_ts: expect.any(String) });
    expect(standin.callsTo("chat.postMessage")[0]?.args.blocks).toEqual([{ type: "divider" }]);
  });

  it("refuses what Slack refuses", async () => {
    const post = (token: string | null, body: Record<string, unknown>) =>
      call("chat.postMessage", {
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    expect(await post(null, { channel: CHANNEL, text: "x" })).toEqual({ ok: false, error: "not_authed" });
    expect(await post("xoxb-wrong", { channel: CHANNEL, text: "x" })).toEqual({
      ok: false,
      error: "invalid_auth",
    });
    expect(await post(BOT_TOKEN, { channel: CHANNEL })).toEqual({ ok: false, error: "no_text" });
    const blocks = Array.from({ length: 51 }, () => ({ type: "divider" }));
    expect(await post(BOT_TOKEN, { channel: CHANNEL, text: "x", blocks })).toEqual({
      ok: false,
      error: "invalid_blocks",
    });
    expect(await call("auth.test", { headers: { authorization: `Bearer ${BOT_TOKEN}` } })).toMatchObject({
      ok: true,
      user_id: "U0BOT",
    });
  });

  it("will not complete a file that was never uploaded", async () => {
    const auth = {
      authorization: `Bearer ${BOT_TOKEN}`,
      "content-type": "application/x-www-form-urlencoded",
    };
    const url = await call("files.getUploadURLExternal", {
      headers: auth,
      body: new URLSearchParams({ filename: "a.txt", length: "3" }).toString(),
    });
    expect(url).toMatchObject({
      ok: true,
      upload_url: expect.stringContaining("/upload/v1/F"),
      file_id: expect.any(String),
    });
    const files = JSON.stringify([{ id: url.file_id, title: "a" }]);
    const early = await call("files.completeUploadExternal", {
      headers: auth,
      body: new URLSearchParams({ files, channel_id: CHANNEL }).toString(),
    });
    expect(early).toEqual({ ok: false, error: "file_not_found" });
    expect((await fetch(String(url.upload_url), { method: "POST", body: "abc" })).status).toBe(200);
    const done = await call("files.completeUploadExternal", {
      headers: auth,
      body: new URLSearchParams({ files, channel_id: CHANNEL }).toString(),
    });
    expect(done).toMatchObject({ ok: true, files: [{ id: url.file_id, title: "a" }] });
    expect(standin.uploads.get(String(url.file_id))?.content?.toString()).toBe("abc");
  });

  it("records what is posted to a response_url", async () => {
    const res = await fetch(standin.responseUrl("r1"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ response_type: "ephemeral", text: "only you" }),
    });
    expect(res.status).toBe(200);
    expect(standin.responsesTo("r1")[0]?.json).toEqual({ response_type: "ephemeral", text: "only you" });
  });
});

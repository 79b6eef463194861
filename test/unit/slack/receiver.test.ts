// The Slack handler's verification table (SPEC §6), one test each: ApiGatewayReceiver + the dvol
// router, invoked with API Gateway v2 events as API Gateway builds them. No network: the
// dispatcher records jobs, and a global middleware records whether any listener was reached.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import type { Job } from "../../../src/jobs/job.js";
import { createSlackApp } from "../../../src/slack/app.js";
import { ApiGatewayReceiver } from "../../../src/slack/receiver.js";
import { MALFORMED_CASES } from "../../support/malformed-requests.js";
import {
  apiGatewayEvent,
  blockActionsBody,
  FORM,
  signedBlockActions,
  signedSlashCommand,
  slackHeaders,
  slashCommandBody,
  TEST_SIGNING_SECRET,
} from "../../support/slack-requests.js";

const NOW_MS = 1_790_000_000_000;
const NOW_S = NOW_MS / 1000;
const config = parseConfig(
  "hosts:\n  - name: host1\n    socket: /nonexistent/docker.sock\n",
  "/tmp/dvol.config.yaml",
);
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

function setup() {
  const jobs: Job[] = [];
  const warnings: { message: string; fields: unknown }[] = [];
  const errors: string[] = [];
  let reached = 0;
  const receiver = new ApiGatewayReceiver({
    signingSecret: TEST_SIGNING_SECRET,
    now: () => NOW_MS,
    logger: {
      info: () => {},
      warn: (message: string, fields?: unknown) => warnings.push({ message, fields }),
      error: (message: string) => errors.push(message),
    },
  });
  const app = createSlackApp({
    receiver,
    config: async () => config,
    dispatch: async (job) => {
      jobs.push(job);
    },
    logger: quiet,
  });
  app.use(async ({ next }) => {
    reached++;
    await next();
  });
  return { handle: receiver.handle.bind(receiver), jobs, warnings, errors, reached: () => reached };
}

function ackOf(res: Awaited<ReturnType<ApiGatewayReceiver["handle"]>>): {
  response_type?: string;
  text?: string;
} {
  expect(res.statusCode).toBe(200);
  return JSON.parse(res.body ?? "{}");
}

const ts = { timestamp: NOW_S };

describe("the Slack handler's verification table", () => {
  it("accepts a valid request, dispatches the job and acks ephemeral", async () => {
    const s = setup();
    const res = await s.handle(signedSlashCommand({ text: "ls host1" }, ts));
    const ack = ackOf(res);
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toContain("Working on `ls host1`");
    expect(s.jobs).toEqual([
      expect.objectContaining({
        kind: "command",
        words: ["ls", "host1"],
        channel: "C0123ABCD",
        user: "U0AAAAAAA",
      }),
    ]);
  });

  it("accepts non-ASCII text, base64-encoded as API Gateway sends it", async () => {
    const s = setup();
    const event = signedSlashCommand(
      { text: "ls host1 --name café", user_name: "Zoë Ærø 日本" },
      { ...ts, base64: true },
    );
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? "", "base64").toString("latin1")).not.toContain("café");
    const ack = ackOf(await s.handle(event));
    expect(ack.text).toContain("Working on `ls host1 --name café`");
    expect(s.jobs[0]).toMatchObject({ words: ["ls", "host1", "--name", "café"] });
  });

  it("accepts Content-Type: application/x-www-form-urlencoded; charset=utf-8", async () => {
    const s = setup();
    const res = await s.handle(
      signedSlashCommand({ text: "ls host1" }, { ...ts, contentType: `${FORM}; charset=utf-8` }),
    );
    expect(ackOf(res).text).toContain("Working on");
    expect(s.jobs).toHaveLength(1);
  });

  it("refuses a wrong signature with 401", async () => {
    const s = setup();
    const res = await s.handle(
      signedSlashCommand({ text: "ls host1" }, { ...ts, signature: `v0=${"0".repeat(64)}` }),
    );
    expect(res.statusCode).toBe(401);
    expect(s.reached()).toBe(0);
    expect(s.jobs).toHaveLength(0);
  });

  it("refuses the signature of another body with 401", async () => {
    const s = setup();
    const other = slashCommandBody({ text: "hosts" });
    const res = await s.handle(signedSlashCommand({ text: "ls host1" }, { ...ts, signBody: other }));
    expect(res.statusCode).toBe(401);
    expect(s.reached()).toBe(0);
    expect(s.jobs).toHaveLength(0);
  });

  it("refuses a timestamp 301 s old with 401", async () => {
    const s = setup();
    const res = await s.handle(signedSlashCommand({ text: "ls host1" }, { timestamp: NOW_S - 301 }));
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain("stale");
    expect(s.reached()).toBe(0);
  });

  it("refuses a timestamp 301 s in the future with 401", async () => {
    const s = setup();
    const res = await s.handle(signedSlashCommand({ text: "ls host1" }, { timestamp: NOW_S + 301 }));
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain("stale");
    expect(s.reached()).toBe(0);
  });

  it("accepts timestamps 300 s away either way (the edge of the window)", async () => {
    const s = setup();
    for (const t of [NOW_S - 300, NOW_S + 300]) {
      expect((await s.handle(signedSlashCommand({ text: "hosts" }, { timestamp: t }))).statusCode).toBe(200);
    }
    expect(s.jobs).toHaveLength(2);
  });

  it("refuses missing headers with 401", async () => {
    const s = setup();
    for (const omit of [
      ["x-slack-signature"],
      ["x-slack-request-timestamp"],
      ["x-slack-signature", "x-slack-request-timestamp"],
    ]) {
      const res = await s.handle(signedSlashCommand({ text: "ls host1" }, { ...ts, omit }));
      expect(res.statusCode, omit.join("+")).toBe(401);
    }
    expect(s.reached()).toBe(0);
    expect(s.jobs).toHaveLength(0);
  });

  it("refuses an unsigned garbage text/plain body with 401, never a 5xx, and no listener runs", async () => {
    const s = setup();
    for (const base64 of [true, false]) {
      const event = apiGatewayEvent(
        Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0xc3]),
        { "content-type": "text/plain" },
        { base64 },
      );
      const res = await s.handle(event);
      expect(res.statusCode).toBe(401);
      expect((res.body ?? "").length).toBeLessThan(100);
    }
    const noBody = apiGatewayEvent("", {}, { base64: false });
    delete noBody.body;
    expect((await s.handle(noBody)).statusCode).toBe(401);
    expect(s.reached()).toBe(0);
    expect(s.jobs).toHaveLength(0);
  });

  it("refuses unsigned requests with 401 even when the signing secret cannot be read (that alone is a 503)", async () => {
    const receiver = new ApiGatewayReceiver({
      signingSecret: async () => {
        throw new Error("SSM unreachable");
      },
      now: () => NOW_MS,
      logger: quiet,
    });
    const garbage = apiGatewayEvent("garbage", { "content-type": "text/plain" });
    expect((await receiver.handle(garbage)).statusCode).toBe(401);
    expect((await receiver.handle(signedSlashCommand({ text: "hosts" }, ts))).statusCode).toBe(503);
  });

  it("refuses a signed body it cannot parse with 400, and no listener runs", async () => {
    const s = setup();
    const body = "{not json";
    const res = await s.handle(
      apiGatewayEvent(body, slackHeaders(body, { ...ts, contentType: "text/plain" })),
    );
    expect(res.statusCode).toBe(400);
    expect(s.reached()).toBe(0);
  });

  it.each(MALFORMED_CASES)(
    "refuses a signed request with $what: 400 at once, a short text, a warning, no listener",
    async ({ body, contentType, reason }) => {
      const s = setup();
      for (const base64 of [true, false]) {
        const t0 = performance.now();
        const res = await s.handle(
          apiGatewayEvent(body, slackHeaders(body, { ...ts, contentType }), { base64 }),
        );
        expect(performance.now() - t0).toBeLessThan(500);
        expect(res.statusCode).toBe(400);
        expect(res.body).toBe(`bad request: ${reason}`);
      }
      expect(s.reached()).toBe(0);
      expect(s.jobs).toHaveLength(0);
      expect(s.errors).toEqual([]);
      expect(s.warnings).toHaveLength(2);
      expect(s.warnings[0]).toMatchObject({
        message: `dvol: refused a signed request: ${reason}`,
        fields: { refused: { status: 400, reason } },
      });
    },
  );

  it("still answers well-formed requests of every kind it knows", async () => {
    const s = setup();
    const check = (type: string, body: string) =>
      s.handle(apiGatewayEvent(body, slackHeaders(body, { ...ts, contentType: type })));
    expect((await check(FORM, "ssl_check=1&token=t")).statusCode).toBe(200);
    expect((await s.handle(signedSlashCommand({ text: "" }, ts))).statusCode).toBe(200);
    const noText = new URLSearchParams({
      command: "/dvol-prod",
      channel_id: "C0123ABCD",
      user_id: "U0AAAAAAA",
      response_url: "https://hooks.slack.com/commands/T0001/1/abc",
    }).toString();
    expect(ackOf(await check(FORM, noText)).response_type).toBe("ephemeral");
    // An org-wide install sends team: null; Bolt then reads user.team_id.
    const click = JSON.parse(new URLSearchParams(blockActionsBody()).get("payload") ?? "{}");
    const orgWide = new URLSearchParams({ payload: JSON.stringify({ ...click, team: null }) }).toString();
    expect((await check(FORM, orgWide)).statusCode).toBe(200);
    expect(s.warnings).toEqual([]);
  });

  it("does not dispatch a Slack retry (X-Slack-Retry-Num) of a command already accepted", async () => {
    const s = setup();
    const first = slashCommandBody({ text: "ls host1", trigger_id: "111.222.abc" });
    const res1 = await s.handle(apiGatewayEvent(first, slackHeaders(first, ts)));
    expect(ackOf(res1).text).toContain("Working on");
    const retry = await s.handle(
      apiGatewayEvent(
        first,
        slackHeaders(first, {
          ...ts,
          headers: { "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout" },
        }),
      ),
    );
    expect(retry.statusCode).toBe(200);
    expect(retry.body).toBe("");
    expect(s.jobs).toHaveLength(1);
  });

  it("treats retry number 0 (how Socket Mode marks a first delivery) as a first delivery", async () => {
    const s = setup();
    const res = await s.handle(
      signedSlashCommand({ text: "hosts" }, { ...ts, headers: { "X-Slack-Retry-Num": "0" } }),
    );
    expect(ackOf(res).text).toContain("Working on");
    expect(s.jobs).toHaveLength(1);
  });

  it("acknowledges a signed block_actions payload (payload=) with 200", async () => {
    const s = setup();
    const res = await s.handle(signedBlockActions({ actionId: "dvol_more" }, ts));
    expect(res.statusCode).toBe(200);
    expect(s.reached()).toBe(1);
    expect(s.jobs).toHaveLength(0);
    const body = blockActionsBody();
    expect(body.startsWith("payload=")).toBe(true);
  });

  it("answers Slack's url_verification challenge when signed", async () => {
    const s = setup();
    const body = JSON.stringify({ type: "url_verification", challenge: "c-123", token: "t" });
    const res = await s.handle(
      apiGatewayEvent(body, slackHeaders(body, { ...ts, contentType: "application/json" })),
    );
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body ?? "")).toEqual({ challenge: "c-123" });
  });

  it("refuses methods other than POST", async () => {
    const s = setup();
    const res = await s.handle(signedSlashCommand({ text: "hosts" }, { ...ts, method: "GET" }));
    expect(res.statusCode).toBe(405);
    expect(s.reached()).toBe(0);
  });
});

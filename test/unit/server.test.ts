// The local server's front door (src/server.ts) over loopback HTTP, with the engines faked
// (test/support/fake-engine.ts) and the Slack outbox recorded: signed but malformed requests get
// a 400 at once and reach no listener (as in the API Gateway receiver, through the same
// src/slack/inbound.ts); a failing listener is answered, never with a 500; jobs run a few at a time.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SlackMessage } from "../../src/blocks/message.js";
import { IN_PROCESS_JOB_CONCURRENCY } from "../../src/jobs/dispatch.js";
import { type RunningServer, startServer } from "../../src/server.js";
import type { PostedMessage, SlackOutbox } from "../../src/slack/post.js";
import { FakeEngine } from "../support/fake-engine.js";
import { MALFORMED_CASES } from "../support/malformed-requests.js";
import { signedHttpRequest, slashCommandBody } from "../support/slack-requests.js";

const SECRET = "unit-signing-secret-0123456789abcd";
const engine = new FakeEngine().addVolume({ name: "app_data" }).addVolume({ name: "old-cache" });
const posts: { channel: string; msg: SlackMessage }[] = [];
const warnings: { message: string; fields: unknown }[] = [];
const errors: string[] = [];
const slack: SlackOutbox = {
  async post(channel, msg): Promise<PostedMessage> {
    posts.push({ channel, msg });
    return { channel, ts: `1790000000.${String(posts.length).padStart(6, "0")}`, fileId: null };
  },
  async respond() {},
};
let server: RunningServer;
let reached = 0;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "dvol-server-"));
  const config = join(dir, "dvol.config.yaml");
  writeFileSync(
    config,
    "hosts:\n  - name: host1\n    socket: /nonexistent/1.sock\n  - name: host2\n    socket: /nonexistent/2.sock\n",
  );
  server = await startServer({
    env: {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: "xoxb-unit",
      DVOL_CONFIG: config,
      DVOL_STATE_DIR: dir,
    },
    port: 0,
    host: "127.0.0.1",
    connect: engine.factory(),
    slack,
    logger: {
      info: () => {},
      warn: (message: string, fields?: unknown) => warnings.push({ message, fields }),
      error: (message: string) => errors.push(message),
    },
  });
  server.app.use(async ({ body, next }) => {
    reached++;
    if ((body as { text?: string }).text === "explode") throw new Error("a listener on fire");
    await next();
  });
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(() => {
  posts.length = 0;
  warnings.length = 0;
  errors.length = 0;
  reached = 0;
  engine.beforeAnswer = () => {};
});

async function post(body: string, contentType?: string) {
  const req = signedHttpRequest(body, { secret: SECRET, ...(contentType ? { contentType } : {}) });
  const t0 = performance.now();
  const res = await fetch(server.url ?? "", { method: "POST", headers: req.headers, body: req.body });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - t0 };
}

describe("the local server's front door", () => {
  it.each(MALFORMED_CASES)(
    "refuses a signed request with $what: 400 at once, a short text, a warning, no listener",
    async ({ body, contentType, reason }) => {
      const res = await post(body, contentType);
      expect(res.status).toBe(400);
      expect(res.text).toBe(`bad request: ${reason}`);
      // Not Bolt's 3-second wait for an ack that never comes.
      expect(res.ms).toBeLessThan(1000);
      expect(reached).toBe(0);
      await server.jobs.idle();
      expect(posts).toHaveLength(0);
      expect(errors).toEqual([]);
      expect(warnings).toEqual([
        {
          message: `dvol: refused a signed request: ${reason}`,
          fields: { refused: expect.objectContaining({ reason }) },
        },
      ]);
    },
  );

  it("answers a listener that throws with the ephemeral notice, never a 500, and logs it", async () => {
    const res = await post(slashCommandBody({ text: "explode" }));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({
      response_type: "ephemeral",
      text: expect.stringContaining("logged"),
    });
    expect(errors.join("\n")).toContain("a listener on fire");
  });

  it(`runs a burst's jobs at most ${IN_PROCESS_JOB_CONCURRENCY} at once, and every one of them`, async () => {
    let inFlight = 0;
    let most = 0;
    engine.beforeAnswer = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
    };
    const acks = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        post(slashCommandBody({ text: "ls host1,host2", user_id: `U${i}` })),
      ),
    );
    expect(acks.map((a) => a.status)).toEqual(Array(30).fill(200));
    await server.jobs.idle();
    expect(posts).toHaveLength(30);
    // Each `ls` of two hosts asks both at once, each with its two fast calls (/volumes and
    // /containers/json): four calls a job in flight, and at most one measurement per host for all.
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4 * IN_PROCESS_JOB_CONCURRENCY + 2);
    const users = posts.map((p) => /<@(U\d+)> ran/.exec(JSON.stringify(p.msg.blocks))?.[1]);
    expect(new Set(users).size).toBe(30);
  });
});

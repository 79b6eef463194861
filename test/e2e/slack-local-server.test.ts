// End to end through the local server (src/server.ts, what `npm start` runs): signed Slack requests
// over real HTTP on a loopback port, Bolt's HTTPReceiver behind dvol's verification, jobs run
// in-process against the REAL engines of the test bed, results posted to the Slack stand-in.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SlackMessage } from "../../src/blocks/message.js";
import { type RunningServer, startServer } from "../../src/server.js";
import { engineHost, writeConfig } from "../support/dvol.js";
import { MALFORMED_CASES } from "../support/malformed-requests.js";
import { SCENARIO_VOLUME_NAMES } from "../support/scenario.js";
import { expectWithinSlackLimits } from "../support/slack-limits.js";
import { blockActionsBody, FORM, signedHttpRequest, slashCommandBody } from "../support/slack-requests.js";
import { type SlackStandin, startSlackStandin } from "../support/slack-standin.js";
import { requireTestbed } from "../support/testbed-types.js";

const testbed = requireTestbed();
const CHANNEL = "C0OPS0001";
const BOT_TOKEN = "xoxb-dvol-local-token";
const SECRET = "local-signing-secret-0123456789ab";

let standin: SlackStandin;
let server: RunningServer;
const quiet = { info: () => {}, warn: () => {}, error: (m: string) => console.error(m) };

/** `npm start`'s server on a free loopback port, with the test's secrets and this config file. */
function startLocalServer(config: string): Promise<RunningServer> {
  return startServer({
    env: {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: standin.apiUrl,
      DVOL_CONFIG: config,
    },
    port: 0,
    host: "127.0.0.1",
    logger: quiet,
  });
}

beforeAll(async () => {
  standin = await startSlackStandin({ token: BOT_TOKEN });
  server = await startLocalServer(
    writeConfig([engineHost("h", testbed.engines.docker28, testbed)], { access: { channels: [CHANNEL] } }),
  );
});
afterAll(async () => {
  await server?.stop();
  await standin?.close();
});
afterEach(() => {
  standin.reset();
});

async function post(body: string, opts: Parameters<typeof signedHttpRequest>[1] = {}) {
  const req = signedHttpRequest(body, { secret: SECRET, ...opts });
  const t0 = performance.now();
  const res = await fetch(server.url ?? "", { method: "POST", headers: req.headers, body: req.body });
  const text = await res.text();
  const ms = performance.now() - t0;
  // Every acknowledgement with a body is a message: the same limits apply.
  if (res.status === 200 && text.startsWith("{")) expectWithinSlackLimits(JSON.parse(text) as SlackMessage);
  return { status: res.status, text, ms };
}

describe("the local server over HTTP", () => {
  it("listens on /slack/events", () => {
    expect(server.mode).toBe("http");
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/slack\/events$/);
  });

  it("/dvol ls h: an ephemeral ack within 3 s, then the volumes posted in the channel", async () => {
    const res = await post(slashCommandBody({ text: "ls h", channel_id: CHANNEL }));
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3000);
    const ack = JSON.parse(res.text);
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toContain("Working on `ls h`");
    await server.jobs.idle();
    const posts = standin.callsTo("chat.postMessage");
    expect(posts).toHaveLength(1);
    expect(posts[0]?.token).toBe(BOT_TOKEN);
    expect(posts[0]?.args.channel).toBe(CHANNEL);
    const msg = {
      text: String(posts[0]?.args.text),
      blocks: posts[0]?.args.blocks as SlackMessage["blocks"],
    };
    expectWithinSlackLimits(msg);
    for (const name of SCENARIO_VOLUME_NAMES) expect(JSON.stringify(msg.blocks)).toContain(name);
    console.log(`[e2e] local server ack of /dvol ls h over HTTP: ${res.ms.toFixed(1)} ms`);
  });

  it("accepts `application/x-www-form-urlencoded; charset=utf-8` and non-ASCII text", async () => {
    const res = await post(
      slashCommandBody({ text: "ls h --name café", channel_id: CHANNEL, user_name: "Zoë" }),
      {
        contentType: `${FORM}; charset=utf-8`,
      },
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).text).toContain("Working on `ls h --name café`");
    await server.jobs.idle();
    expectWithinSlackLimits({
      text: String(standin.callsTo("chat.postMessage")[0]?.args.text),
      blocks: standin.callsTo("chat.postMessage")[0]?.args.blocks as SlackMessage["blocks"],
    });
  });

  it("answers a usage error at once, ephemeral, and runs nothing", async () => {
    const res = await post(slashCommandBody({ text: "inspect h", channel_id: CHANNEL }));
    expect(res.status).toBe(200);
    const ack = JSON.parse(res.text);
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toContain("missing");
    expectWithinSlackLimits(ack);
    await server.jobs.idle();
    expect(standin.calls).toHaveLength(0);
  });

  // Options are made when each test runs: a timestamp taken at collection time would drift.
  const nowS = () => Math.floor(Date.now() / 1000);
  it.each([
    ["a wrong signature", () => ({ signature: `v0=${"0".repeat(64)}` })],
    ["a timestamp 301 s old", () => ({ timestamp: nowS() - 301 })],
    ["a timestamp 301 s in the future", () => ({ timestamp: nowS() + 301 })],
    ["another secret", () => ({ secret: "not-the-secret" })],
    ["missing headers", () => ({ omit: ["x-slack-signature", "x-slack-request-timestamp"] })],
  ])("refuses %s with 401, and runs nothing", async (_what, opts) => {
    const res = await post(slashCommandBody({ text: "ls h", channel_id: CHANNEL }), opts());
    expect(res.status).toBe(401);
    await server.jobs.idle();
    expect(standin.calls).toHaveLength(0);
  });

  it("refuses an unsigned garbage text/plain body with 401, never a 5xx", async () => {
    const res = await fetch(server.url ?? "", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: new Uint8Array([0xff, 0xfe, 0x00, 0x7b]),
    });
    expect(res.status).toBe(401);
  });

  it.each(MALFORMED_CASES.filter((c) => /empty form|actions: "x"|nonsense|without command/.test(c.what)))(
    "refuses a signed request with $what: 400 at once, and runs nothing",
    async ({ body, contentType, reason }) => {
      const res = await post(body, { contentType });
      expect(res.status).toBe(400);
      expect(res.text).toBe(`bad request: ${reason}`);
      expect(res.ms).toBeLessThan(1000);
      await server.jobs.idle();
      expect(standin.calls).toHaveLength(0);
    },
  );

  it("acknowledges a signed block_actions click", async () => {
    const res = await post(blockActionsBody({ channel_id: CHANNEL }));
    expect(res.status).toBe(200);
  });

  it("does not run a Slack retry of a command", async () => {
    const res = await post(slashCommandBody({ text: "ls h", channel_id: CHANNEL }), {
      headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" },
    });
    expect(res.status).toBe(200);
    await server.jobs.idle();
    expect(standin.calls).toHaveLength(0);
  });

  it("answers 404 off /slack/events", async () => {
    const res = await fetch(new URL("/other", server.url ?? ""), { method: "POST", body: "x" });
    expect(res.status).toBe(404);
  });
});

describe("the local server under a burst", () => {
  // Slack's limit, not a benchmark (bench/server-burst.ts measures): the machine is shared.
  const SLACK_ACK_LIMIT_MS = 3000;
  const BURST = 100;
  let burstServer: RunningServer;

  beforeAll(async () => {
    const config = writeConfig(
      [
        engineHost("docker20", testbed.engines.docker20, testbed),
        engineHost("docker28", testbed.engines.docker28, testbed),
      ],
      { access: { channels: [CHANNEL] } },
    );
    burstServer = await startLocalServer(config);
  });
  afterAll(async () => {
    await burstServer?.stop();
  });

  it(`${BURST} concurrent /dvol ls docker20,docker28: every ack within 3 s, then every result posted`, async () => {
    const requests = Array.from({ length: BURST }, (_, i) =>
      signedHttpRequest(
        slashCommandBody({
          text: "ls docker20,docker28",
          channel_id: CHANNEL,
          user_id: `U0BURST${String(i).padStart(3, "0")}`,
          response_url: standin.responseUrl(`burst-${i}`),
        }),
        { secret: SECRET },
      ),
    );
    const acks = await Promise.all(
      requests.map(async (req) => {
        const t0 = performance.now();
        const res = await fetch(burstServer.url ?? "", {
          method: "POST",
          headers: req.headers,
          body: req.body,
        });
        const ack = (await res.json()) as { text?: string };
        return { status: res.status, text: ack.text ?? "", ms: performance.now() - t0 };
      }),
    );
    const ms = acks.map((a) => a.ms).sort((a, b) => a - b);
    console.log(
      `[e2e] burst of ${BURST} on the local server: ack p50 ${ms[49]?.toFixed(0)} ms, ` +
        `p99 ${ms[98]?.toFixed(0)} ms, max ${ms[ms.length - 1]?.toFixed(0)} ms`,
    );
    for (const a of acks) {
      expect(a.status).toBe(200);
      expect(a.text).toContain("Working on `ls docker20,docker28`");
      expect(a.ms).toBeLessThan(SLACK_ACK_LIMIT_MS);
    }
    await standin.waitFor(() => standin.callsTo("chat.postMessage").length >= BURST, 60_000);
    await burstServer.jobs.idle();
    const posts = standin.callsTo("chat.postMessage");
    expect(posts).toHaveLength(BURST);
    const users = posts.map((p) => /<@(U0BURST\d+)> ran/.exec(JSON.stringify(p.args.blocks))?.[1]);
    expect(new Set(users).size).toBe(BURST);
    for (const p of posts) {
      const blocks = JSON.stringify(p.args.blocks);
      expect(blocks).toContain("docker20");
      expect(blocks).toContain("docker28");
    }
    // Each result went to the channel; no one was told of a failure through response_url.
    expect(standin.responses).toEqual([]);
  });
});

describe("npm start (src/server-main.ts)", () => {
  it("starts from the environment alone (PORT, SLACK_*, DVOL_CONFIG), answers, and stops on SIGTERM", async () => {
    const { spawn } = await import("node:child_process");
    const config = writeConfig([engineHost("h", testbed.engines.docker28, testbed)]);
    const child = spawn(process.execPath, ["--import", "tsx", "src/server-main.ts"], {
      env: {
        PATH: process.env.PATH ?? "",
        PORT: "0",
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: standin.apiUrl,
        DVOL_CONFIG: config,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let out = "";
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "listening" line within 20 s: ${out}`)), 20_000);
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          const m = /listening on (\S+);/.exec(out);
          if (m?.[1]) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.stderr.on("data", (c: Buffer) => {
          out += c.toString();
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(url).toMatch(/\/slack\/events$/);
      const req = signedHttpRequest(slashCommandBody({ text: "help ls" }), { secret: SECRET });
      const res = await fetch(url, { method: "POST", headers: req.headers, body: req.body });
      expect(res.status).toBe(200);
      const ack = (await res.json()) as { response_type: string };
      expect(ack.response_type).toBe("ephemeral");
      expect(JSON.stringify(ack)).toContain("--dangling");
    } finally {
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });
});

describe("the local server in Socket Mode (SLACK_APP_TOKEN set)", () => {
  let socketServer: RunningServer;
  const APP_TOKEN = "xapp-1-A0DVOL-e2e";

  beforeAll(async () => {
    socketServer = await startServer({
      env: {
        SLACK_APP_TOKEN: APP_TOKEN,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: standin.apiUrl,
        DVOL_CONFIG: writeConfig([engineHost("h", testbed.engines.docker28, testbed)]),
      },
      logger: quiet,
    });
    await standin.socketConnected();
  });
  afterAll(async () => {
    if (standin.socketCount() > 0) await socketServer?.stop();
  });

  const commandPayload = (text: string) =>
    Object.fromEntries(new URLSearchParams(slashCommandBody({ text, channel_id: CHANNEL })));

  it("connects with the app token, and takes no HTTP port", () => {
    expect(socketServer.mode).toBe("socket");
    expect(socketServer.url).toBeNull();
    const open = standin.calls.filter((c) => c.method === "apps.connections.open");
    expect(open.length).toBeGreaterThan(0);
    expect(open.every((c) => c.token === APP_TOKEN)).toBe(true);
  });

  it("/dvol ls h: acknowledged over the socket, ephemeral, then the volumes posted in the channel", async () => {
    standin.reset();
    const t0 = performance.now();
    const ack = await standin.sendEnvelope("slash_commands", commandPayload("ls h --name sized"));
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(3000);
    expect(ack.payload).toMatchObject({
      response_type: "ephemeral",
      text: expect.stringContaining("Working on"),
    });
    await socketServer.jobs.idle();
    const [post] = standin.callsTo("chat.postMessage");
    expect(post?.token).toBe(BOT_TOKEN);
    const msg = { text: String(post?.args.text), blocks: post?.args.blocks as SlackMessage["blocks"] };
    expectWithinSlackLimits(msg);
    expect(JSON.stringify(msg.blocks)).toContain("sized-5m");
  });

  it("answers a usage error over the socket, ephemeral, and does not run a retried envelope", async () => {
    standin.reset();
    const ack = await standin.sendEnvelope("slash_commands", commandPayload("ls"));
    expect(ack.payload).toMatchObject({ response_type: "ephemeral" });
    expectWithinSlackLimits(ack.payload as unknown as SlackMessage);
    const retried = await standin.sendEnvelope("slash_commands", commandPayload("ls h"), { retryAttempt: 1 });
    expect(retried.envelope_id).toBeDefined();
    await socketServer.jobs.idle();
    expect(standin.callsTo("chat.postMessage")).toHaveLength(0);
  });

  it("stop() closes the socket", async () => {
    await socketServer.stop();
    await standin.waitFor(() => standin.socketCount() === 0, 5000);
  });
});

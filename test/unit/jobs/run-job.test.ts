// The worker (src/jobs/run-job.ts, handlers/worker.ts) without a network: a fake engine and a
// recording Slack outbox. What is posted in the channel, what goes only to the person who typed
// the command, and when the worker throws (so the invocation lands on the on-failure destination).
import { ErrorCode } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { createWorkerHandler } from "../../../handlers/worker.js";
import type { SlackMessage } from "../../../src/blocks/message.js";
import { parseConfig } from "../../../src/config/load.js";
import type { ConnectionFactory, EngineRequest } from "../../../src/docker/connection.js";
import {
  ConfigError,
  describeError,
  errorClass,
  NotAJobError,
  UntoldFailureError,
} from "../../../src/errors.js";
import type { CommandJob } from "../../../src/jobs/job.js";
import { withAttribution } from "../../../src/jobs/run-job.js";
import { runJob } from "../../../src/jobs/run-request.js";
import type { PostedMessage, SlackOutbox } from "../../../src/slack/post.js";
import { expectWithinSlackLimits } from "../../support/slack-limits.js";

const config = parseConfig(
  "hosts:\n  - name: host1\n    socket: /nonexistent/1.sock\n",
  "/tmp/dvol.config.yaml",
);
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

const job: CommandJob = {
  kind: "command",
  words: ["ls", "host1"],
  text: "ls host1",
  channel: "C0OPS0001",
  user: "U0ALICE01",
  responseUrl: "https://hooks.slack.com/commands/T1/2/3",
  acceptedAt: "2026-11-29T14:00:00.000Z",
};

const VOLUMES = [
  {
    Name: "app_data",
    Driver: "local",
    CreatedAt: "2026-11-01T10:00:00Z",
    UsageData: { Size: 5_242_880, RefCount: 1 },
  },
  {
    Name: "old-cache",
    Driver: "local",
    CreatedAt: "2026-10-01T10:00:00Z",
    UsageData: { Size: 1000, RefCount: 0 },
  },
];

/**
 * A fake engine answering what `ls` asks: /version, the fast calls (/volumes, /containers/json)
 * and the measurement (/system/df).
 */
const fakeEngine: ConnectionFactory = async (host) => ({
  host: host.name,
  async call<T>(req: EngineRequest): Promise<T> {
    if (req.path === "/version") return { Version: "28.5.2", ApiVersion: "1.51" } as T;
    if (req.path === "/v1.51/volumes")
      return { Volumes: VOLUMES.map((v) => ({ ...v, UsageData: null })) } as T;
    if (req.path === "/v1.51/containers/json") {
      return [{ Id: "c1", Names: ["/app"], Mounts: [{ Type: "volume", Name: "app_data" }] }] as T;
    }
    if (req.path === "/v1.51/system/df") return { Volumes: VOLUMES } as T;
    throw new Error(`unexpected ${req.path}`);
  },
  close() {},
});

function outbox(opts: { postError?: unknown; respondError?: unknown } = {}) {
  const posts: { channel: string; msg: SlackMessage }[] = [];
  const responses: { url: string; msg: SlackMessage }[] = [];
  const slack: SlackOutbox = {
    async post(channel, msg): Promise<PostedMessage> {
      if (opts.postError) throw opts.postError;
      posts.push({ channel, msg });
      return { channel, ts: "1790000000.000100", fileId: null };
    },
    async respond(url, msg) {
      if (opts.respondError) throw opts.respondError;
      responses.push({ url, msg });
    },
  };
  return { slack, posts, responses };
}

const platformError = (error: string) =>
  Object.assign(new Error(`An API error occurred: ${error}`), {
    code: ErrorCode.PlatformError,
    data: { ok: false, error },
  });

describe("runJob", () => {
  it("posts the rendered result in the channel, with who ran what on top", async () => {
    const o = outbox();
    const outcome = await runJob(job, {
      config: async () => config,
      connect: () => fakeEngine,
      slack: o.slack,
      logger: quiet,
    });
    expect(outcome.status).toBe("posted");
    expect(o.posts).toHaveLength(1);
    expect(o.posts[0]?.channel).toBe("C0OPS0001");
    const msg = o.posts[0]?.msg as SlackMessage;
    expectWithinSlackLimits(msg);
    expect(JSON.stringify(msg.blocks[0])).toContain("<@U0ALICE01> ran `/dvol ls host1`");
    expect(JSON.stringify(msg.blocks)).toContain("app_data");
    expect(JSON.stringify(msg.blocks)).toContain("old-cache");
    expect(o.responses).toHaveLength(0);
  });

  it("a config that fails to load is told to the person who typed it, ephemeral", async () => {
    const o = outbox();
    const outcome = await runJob(job, {
      config: async () => {
        throw new ConfigError("cannot read /x.yaml: ENOENT");
      },
      connect: () => fakeEngine,
      slack: o.slack,
      logger: quiet,
    });
    expect(outcome).toMatchObject({ status: "failed", told: true });
    expect(o.posts).toHaveLength(0);
    expect(o.responses[0]?.url).toBe(job.responseUrl);
    expect(o.responses[0]?.msg.text).toContain("cannot read /x.yaml");
    expectWithinSlackLimits(o.responses[0]?.msg as SlackMessage);
  });

  it("a host that vanished from the config since the ack is told, not posted", async () => {
    const o = outbox();
    const outcome = await runJob(
      { ...job, words: ["ls", "gone"], text: "ls gone" },
      { config: async () => config, connect: () => fakeEngine, slack: o.slack, logger: quiet },
    );
    expect(outcome.status).toBe("failed");
    expect(o.responses[0]?.msg.text).toContain('unknown host "gone"');
  });

  it("when the bot is not in the channel, the person gets the result and how to invite the bot", async () => {
    const o = outbox({ postError: platformError("not_in_channel") });
    const outcome = await runJob(job, {
      config: async () => config,
      connect: () => fakeEngine,
      slack: o.slack,
      logger: quiet,
    });
    expect(outcome).toMatchObject({ status: "not-posted", error: "not_in_channel", told: true });
    const msg = o.responses[0]?.msg as SlackMessage;
    expectWithinSlackLimits(msg);
    expect(msg.text).toContain("/invite @dvol");
    expect(JSON.stringify(msg.blocks)).toContain("app_data");
  });
});

describe("withAttribution", () => {
  it("is left out when the message has no room for one more block", () => {
    const full: SlackMessage = {
      text: "x",
      blocks: Array.from({ length: 50 }, () => ({ type: "divider" as const })),
    };
    expect(withAttribution(full, job)).toBe(full);
    const small: SlackMessage = { text: "x", blocks: [{ type: "divider" }] };
    expect(withAttribution(small, job).blocks).toHaveLength(2);
  });
});

describe("the worker handler", () => {
  it("refuses an event that is not a command job", async () => {
    const w = createWorkerHandler({
      env: {},
      config,
      connect: fakeEngine,
      slack: outbox().slack,
      logger: quiet,
    });
    // What Lambda hands the function is whatever invoked it: a test event made by hand, say.
    const err = await w({ kind: "other" } as unknown as CommandJob).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotAJobError);
    expect(errorClass(err)).toBe("failure");
    expect(describeError(err)).toBe(
      'dvol worker: not a command job, nor a deletion-request job: {"kind":"other"}\n' +
        "The worker runs only the jobs the Slack handler hands over: check what invoked it (a hand-made test event, or a Slack handler and a worker of different versions).",
    );
  });

  it("returns normally once the person was told, and throws when nobody could be told", async () => {
    const failing = async () => {
      throw new Error("engine on fire");
    };
    const told = createWorkerHandler({
      env: {},
      config,
      connect: failing,
      slack: outbox().slack,
      logger: quiet,
    });
    // A host failure is part of the result (ok: false), posted like any other.
    expect((await told(job)).status).toBe("posted");
    const noOne = createWorkerHandler({
      env: {},
      config,
      connect: fakeEngine,
      slack: outbox({ postError: platformError("channel_not_found"), respondError: new Error("expired_url") })
        .slack,
      logger: quiet,
    });
    const err = await noOne(job).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UntoldFailureError);
    expect(err).toMatchObject({ job: "ls host1", error: "channel_not_found" });
    expect(describeError(err)).toBe(
      "dvol worker: ls host1: channel_not_found (and the user could not be told)\n" +
        "The event is on the worker's on-failure destination; the log lines before this one say why Slack took neither the post nor the response_url's answer.",
    );
  });
});

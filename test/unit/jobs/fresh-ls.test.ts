// Unit tests of `/dvol ls host1 --fresh` in the worker (src/jobs/fresh-ls.ts): "measuring host1…"
// first, replaced in place by the result once the measurement is done.
import { describe, expect, it } from "vitest";
import type { SlackMessage } from "../../../src/blocks/message.js";
import type { CommandJob } from "../../../src/jobs/job.js";
import { runWorkerJob } from "../../../src/jobs/run-request.js";
import { SizeKeeper } from "../../../src/sizes/keeper.js";
import type { PostedMessage, SlackThreadOutbox } from "../../../src/slack/post.js";
import { MemoryStore } from "../../../src/store/memory.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";

function job(text: string): CommandJob {
  return {
    kind: "command",
    words: text.split(" "),
    text,
    channel: "C0OPS",
    user: "U0ALICE01",
    responseUrl: "https://hooks.slack.test/r",
    acceptedAt: "2026-12-07T08:00:00Z",
  };
}

function outbox() {
  const events: { what: "post" | "update"; ts: string; text: string }[] = [];
  const slack: SlackThreadOutbox = {
    async post(channel, msg: SlackMessage): Promise<PostedMessage> {
      const ts = `${events.length + 1}.000`;
      events.push({ what: "post", ts, text: JSON.stringify(msg.blocks) });
      return { channel, ts, fileId: null };
    },
    async update(_channel, ts, msg) {
      events.push({ what: "update", ts, text: JSON.stringify(msg.blocks) });
    },
    async respond() {},
    postInThread: async () => {
      throw new Error("no thread here");
    },
    usergroupMembers: async () => [],
  };
  return { slack, events };
}

describe("/dvol ls host1 --fresh", () => {
  it("posts 'measuring host1…', then replaces it with the result of a new measurement", async () => {
    const engine = new FakeEngine().addVolume({ name: "app_data", sizeBytes: 5_242_880 });
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    engine.beforeAnswer = async (req) => {
      if (req.path.endsWith("/system/df")) await held;
    };
    const o = outbox();
    const running = runWorkerJob(job("ls host1 --fresh"), {
      config: async () => fakeConfig(),
      connect: () => engine.factory(),
      slack: o.slack,
      store: async () => new MemoryStore(),
      now: () => new Date("2026-12-07T08:00:00Z"),
      sizes: { keeper: new SizeKeeper() },
    });
    // The measurement is held: let everything else run.
    for (let i = 0; i < 100 && o.events.length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(o.events.map((e) => e.what)).toEqual(["post"]);
    expect(o.events[0]?.text).toContain("measuring host1…");
    release();
    const out = await running;
    expect(out.status).toBe("posted");
    expect(o.events.map((e) => [e.what, e.ts])).toEqual([
      ["post", "1.000"],
      ["update", "1.000"],
    ]);
    expect(o.events[1]?.text).toContain("app_data");
    expect(o.events[1]?.text).toContain("5.2 MB");
    expect(o.events[1]?.text).not.toContain("ago");
  });

  it("without --fresh posts the result once, as before", async () => {
    const engine = new FakeEngine().addVolume({ name: "app_data", sizeBytes: 5_242_880 });
    const o = outbox();
    const out = await runWorkerJob(job("ls host1"), {
      config: async () => fakeConfig(),
      connect: () => engine.factory(),
      slack: o.slack,
      store: async () => new MemoryStore(),
      sizes: { keeper: new SizeKeeper() },
    });
    expect(out.status).toBe("posted");
    expect(o.events.map((e) => e.what)).toEqual(["post"]);
    expect(o.events[0]?.text).toContain("5.2 MB");
  });
});

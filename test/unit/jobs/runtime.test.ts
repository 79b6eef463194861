// The runtime's outbox over an injected SlackOutbox that has no threads (a read-only worker): what
// needs threads fails as a SlackPostError that says why and what to give instead.
import { describe, expect, it } from "vitest";
import { describeError, SlackPostError } from "../../../src/errors.js";
import { functionRuntime } from "../../../src/jobs/runtime.js";
import type { SlackOutbox } from "../../../src/slack/post.js";

const plain: SlackOutbox = {
  post: async (channel) => ({ channel, ts: "1.0001", fileId: null }),
  respond: async () => {},
};
const msg = { text: "x", blocks: [] };

describe("functionRuntime's outbox over a SlackOutbox without threads", () => {
  it("posts in the channel through it", async () => {
    const { outbox } = functionRuntime({ env: {}, slack: plain });
    await expect(outbox.post("C1", msg)).resolves.toEqual({ channel: "C1", ts: "1.0001", fileId: null });
  });

  it("refuses a thread, an update and a group lookup with a SlackPostError naming the call", async () => {
    const { outbox } = functionRuntime({ env: {}, slack: plain });
    const calls = [
      outbox.postInThread("C1", "1.0001", msg),
      outbox.update("C1", "1.0001", msg),
      outbox.usergroupMembers("S0GROUP01"),
    ];
    const errs = await Promise.all(
      calls.map((p) =>
        p.then(
          () => null,
          (e: unknown) => e,
        ),
      ),
    );
    expect(errs.map((e) => e instanceof SlackPostError && e.call)).toEqual([
      "chat.postMessage",
      "chat.update",
      "usergroups.users.list",
    ]);
    expect(describeError(errs[1])).toBe(
      "Slack chat.update: this Slack outbox cannot post in threads (a SlackOutbox was given)\n" +
        "Deletion requests, their clicks and user groups need a SlackThreadOutbox: give one, or none (the bot token's poster).",
    );
  });
});

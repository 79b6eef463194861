// What Slack answers that dvol cannot use becomes a SlackPostError: its message (what the log and
// the person read) and its hint. No network: the Web API client's method and fetch are stubbed.
import { afterEach, describe, expect, it, vi } from "vitest";
import { describeError, errorClass, SlackPostError } from "../../../src/errors.js";
import { respondEphemeral, SlackPoster } from "../../../src/slack/post.js";

const msg = { text: "hello", blocks: [] };
const URL = "https://hooks.slack.com/commands/T1/2/3";

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("SlackPoster", () => {
  it("a chat.postMessage answer without the message's ts is a SlackPostError naming SLACK_API_URL", async () => {
    const poster = new SlackPoster({ token: "xoxb-test" });
    vi.spyOn(poster.client.chat, "postMessage").mockResolvedValue({ ok: true, channel: "C1" });
    const err = await poster.post("C1", msg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackPostError);
    expect(errorClass(err)).toBe("failure");
    expect(describeError(err)).toBe(
      "Slack chat.postMessage: answered ok without the message's ts\n" +
        "The Web API did not answer as Slack's does: check SLACK_API_URL (unset for Slack's own).",
    );
  });
});

describe("respondEphemeral", () => {
  it("an HTTP error from the response_url is a SlackPostError with the status and the body", async () => {
    vi.stubGlobal("fetch", async () => new Response("expired_url", { status: 404 }));
    const err = await respondEphemeral(URL, msg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackPostError);
    expect(err).toMatchObject({ call: "response_url", status: 404 });
    expect(describeError(err)).toBe(
      "Slack response_url: answered HTTP 404: expired_url\n" +
        "A response_url takes at most 5 answers, within 30 minutes of the command or click; past that the person cannot be told this way.",
    );
  });

  it("no answer at all (fetch failed) is a SlackPostError that keeps the reason and the cause", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:443"), { code: "ECONNREFUSED" });
    const failed = new TypeError("fetch failed", { cause: refused });
    vi.stubGlobal("fetch", async () => {
      throw failed;
    });
    const err = await respondEphemeral(URL, msg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackPostError);
    expect(err).toMatchObject({ call: "response_url", cause: failed });
    expect(describeError(err)).toBe(
      "Slack response_url: no answer: fetch failed (connect ECONNREFUSED 127.0.0.1:443)\n" +
        "Check the network path to hooks.slack.com; the person was not told.",
    );
  });

  it("its deadline passing is a SlackPostError that names the deadline", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
    });
    const err = await respondEphemeral(URL, msg, 2000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackPostError);
    expect(err).toMatchObject({ message: "Slack response_url: no answer within 2 s" });
  });

  it("a 2xx answer is no error", async () => {
    const calls: unknown[] = [];
    vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
      calls.push(JSON.parse(String(init.body)));
      return new Response("ok", { status: 200 });
    });
    await respondEphemeral(URL, msg);
    expect(calls).toEqual([{ response_type: "ephemeral", replace_original: false, text: "hello" }]);
  });
});

// Unit tests of src/slack/verify.ts: Slack's request signatures (v0, HMAC-SHA256) and the
// timestamps they are accepted within.
import { describe, expect, it } from "vitest";
import { sign, verifySlackRequest } from "../../../src/slack/verify.js";

const secret = "8f742231b10e8888abcd99yyyzzz85a5";
const now = 1_790_000_000_000;
const ts = String(now / 1000);

function signed(body: string | Buffer, timestamp = ts, key = secret) {
  const raw = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return {
    body: raw,
    headers: {
      "X-Slack-Request-Timestamp": timestamp,
      "X-Slack-Signature": `v0=${sign(key, timestamp, raw)}`,
    },
  };
}

describe("verifySlackRequest", () => {
  it("accepts a request signed with the secret", () => {
    expect(verifySlackRequest(secret, signed("command=%2Fdvol&text=ls+host1"), now)).toEqual({ ok: true });
  });

  it("accepts Slack's documented example signature", () => {
    // From Slack's "Verifying requests from Slack" guide.
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const result = verifySlackRequest(
      secret,
      {
        body: Buffer.from(body),
        headers: {
          "x-slack-request-timestamp": "1531420618",
          "x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        },
      },
      1531420618_000,
    );
    expect(result).toEqual({ ok: true });
  });

  it("accepts non-ASCII text, signed over its UTF-8 bytes", () => {
    expect(verifySlackRequest(secret, signed("text=rm+h+caf%C3%A9&user_name=Zoë Ærø 日本"), now)).toEqual({
      ok: true,
    });
  });

  it.each([
    [
      "a wrong signature",
      {
        ...signed("a=b"),
        headers: { ...signed("a=b").headers, "X-Slack-Signature": `v0=${"0".repeat(64)}` },
      },
      "bad-signature",
    ],
    ["the signature of another body", { ...signed("a=b"), body: Buffer.from("a=c") }, "bad-signature"],
    ["another secret", signed("a=b", ts, "other-secret"), "bad-signature"],
    [
      "a signature of another length",
      { ...signed("a=b"), headers: { ...signed("a=b").headers, "X-Slack-Signature": "v0=ab" } },
      "bad-signature",
    ],
    ["a timestamp 301 s old", signed("a=b", String(now / 1000 - 301)), "stale-timestamp"],
    ["a timestamp 301 s in the future", signed("a=b", String(now / 1000 + 301)), "stale-timestamp"],
    ["a timestamp that is not a number", signed("a=b", "12abc"), "bad-timestamp"],
    [
      "no signature header",
      { body: Buffer.from("a=b"), headers: { "X-Slack-Request-Timestamp": ts } },
      "missing-signature",
    ],
    [
      "no timestamp header",
      { body: Buffer.from("a=b"), headers: { "X-Slack-Signature": "v0=00" } },
      "missing-signature",
    ],
  ])("refuses %s", (_what, req, reason) => {
    const expected =
      reason === "missing-signature" && !("X-Slack-Request-Timestamp" in req.headers)
        ? "missing-timestamp"
        : reason;
    expect(verifySlackRequest(secret, req, now)).toEqual({ ok: false, reason: expected });
  });

  it("accepts timestamps 300 s away in either direction", () => {
    expect(verifySlackRequest(secret, signed("a=b", String(now / 1000 - 300)), now).ok).toBe(true);
    expect(verifySlackRequest(secret, signed("a=b", String(now / 1000 + 300)), now).ok).toBe(true);
  });
});

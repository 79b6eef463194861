// Unit tests of the ephemeral error reply (src/slack/render-error.ts): what went wrong, what to do, the usage.
import { describe, expect, it } from "vitest";
import { InvalidVolumeNameError, UnknownHostError, UsageError } from "../../../src/errors.js";
import { renderError } from "../../../src/slack/render-error.js";
import { codeLines, raw, shown } from "../../support/read-results.js";
import { expectWithinSlackLimits } from "../../support/slack-limits.js";

describe("renderError", () => {
  it("says what happened, what to do, and shows the usage as typed in Slack", () => {
    const err = new UsageError("ls: missing <target>", {
      usage: "dvol ls <target> [--dangling]",
      hint: "See: help ls",
    });
    const msg = renderError(err);
    expectWithinSlackLimits(msg);
    expect(shown(msg)).toContain(":warning: ls: missing <target>");
    expect(shown(msg)).toContain("See: help ls");
    expect(codeLines(msg)).toEqual(["/dvol ls <target> [--dangling]"]);
    expect(msg.text).toContain("ls: missing &lt;target&gt;");
  });

  it("takes the usage it is given over none", () => {
    const msg = renderError(new InvalidVolumeNameError("bad/name"), "dvol inspect <host> <volume>");
    expectWithinSlackLimits(msg);
    expect(shown(msg)).toContain('invalid volume name "bad/name"');
    expect(shown(msg)).toContain("nothing was sent to the host");
    expect(codeLines(msg)).toEqual(["/dvol inspect <host> <volume>"]);
  });

  it("lists the registered hosts for an unknown host", () => {
    const msg = renderError(new UnknownHostError("hots1", ["host1", "host2"]));
    expectWithinSlackLimits(msg);
    expect(shown(msg)).toContain('unknown host "hots1"');
    expect(shown(msg)).toContain("Registered hosts: host1, host2.");
    expect(codeLines(msg)).toEqual([]);
  });

  it("gives advice for an unexpected error, escaped, within limits even when huge", () => {
    const msg = renderError(new Error(`boom <@U123> & ${"x".repeat(20_000)}`));
    expectWithinSlackLimits(msg);
    expect(raw(msg)).toContain("unexpected error: boom &lt;@U123&gt; &amp;");
    expect(raw(msg)).not.toContain("<@U123>");
    expect(shown(msg)).toContain("try again");
    const s = renderError("a string was thrown");
    expectWithinSlackLimits(s);
    expect(shown(s)).toContain("unexpected error: a string was thrown");
  });
});

// Unit tests of `help` in Slack (src/commands/help/slack.ts), on results built by hand: what a user
// reads in the channel, within Slack's limits.
import { describe, expect, it } from "vitest";
import { renderHelpSlack } from "../../../../src/commands/help/slack.js";
import { codeLines, raw, shown } from "../../../support/read-results.js";
import { expectWithinSlackLimits } from "../../../support/slack-limits.js";

describe("renderHelpSlack", () => {
  it("shows every command with its summary, within limits", () => {
    const msg = renderHelpSlack({ topic: null });
    expectWithinSlackLimits(msg);
    const text = shown(msg);
    for (const name of ["help", "hosts", "info", "ls", "inspect"]) expect(text).toContain(`\`${name}\``);
    expect(text).toContain("volumes with size");
    expect(msg.file).toBeUndefined();
  });

  it("puts a command's usage and examples in code blocks, as typed in Slack", () => {
    const msg = renderHelpSlack({ topic: "ls" });
    expectWithinSlackLimits(msg);
    const code = codeLines(msg);
    expect(code[0]).toMatch(/^\/dvol ls <target> \[--dangling\]/);
    expect(code).toContain("/dvol ls all --dangling --sort size");
    expect(shown(msg)).toContain("`--sort name|size|created`");
    // the <target> placeholder is escaped as Slack requires
    expect(raw(msg)).toContain("/dvol ls &lt;target&gt;");
  });
});

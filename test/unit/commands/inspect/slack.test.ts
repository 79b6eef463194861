// Unit tests of `inspect` in Slack (src/commands/inspect/slack.ts), on results built by hand: what a user
// reads in the channel, within Slack's limits.
import { describe, expect, it } from "vitest";
import { renderInspectSlack } from "../../../../src/commands/inspect/slack.js";
import { codeLines, container, inspectResult, raw, shown } from "../../../support/read-results.js";
import { expectWithinSlackLimits } from "../../../support/slack-limits.js";

describe("renderInspectSlack", () => {
  it("shows the volume's facts and one line per container", () => {
    const msg = renderInspectSlack(inspectResult());
    expectWithinSlackLimits(msg);
    const text = shown(msg);
    expect(text).toContain("*shop_db-data* on *host1*");
    expect(text).toContain("*Size:* 5.2 MB");
    expect(text).toContain("*Created:* 2026-11-29 13:51 UTC");
    expect(text).toContain("*Compose project:* shop");
    expect(text).toContain("*Mountpoint:* `/var/lib/docker/volumes/shop_db-data/_data`");
    expect(text).toContain("*Options:* none");
    expect(codeLines(msg)).toContain("com.docker.compose.project=shop");
    expect(text).toContain("*Used by 2 containers:*");
    expect(text).toContain("• *shop-db-1* (running) · image `busybox:latest` · at `/data` · read-write");
    expect(text).toContain("• *backup* (exited) · image `busybox:latest` · at `/data` · read-only");
  });

  it("escapes labels and values that look like mentions", () => {
    const msg = renderInspectSlack(inspectResult({ labels: { "owner<@U123>": "ops & <@U123>" } }));
    expectWithinSlackLimits(msg);
    expect(raw(msg)).toContain("owner&lt;@U123&gt;=ops &amp; &lt;@U123&gt;");
    expect(raw(msg)).not.toContain("<@U123>");
  });

  it("attaches the output when a volume is used by more containers than a message holds", () => {
    const containers = Array.from({ length: 1500 }, (_, i) => container(`job-${i}`));
    const msg = renderInspectSlack(inspectResult({ containers }));
    expectWithinSlackLimits(msg);
    expect(msg.file?.filename).toBe("dvol-inspect-host1.txt");
    for (const c of containers) expect(msg.file?.content).toContain(`${c.name} `);
    expect(shown(msg)).toContain("attached as dvol-inspect-host1.txt");
  });
});

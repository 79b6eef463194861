// Unit tests of `info` in Slack (src/commands/info/slack.ts), on results built by hand: what a user
// reads in the channel, within Slack's limits.
import { describe, expect, it } from "vitest";
import { renderInfoSlack } from "../../../../src/commands/info/slack.js";
import { codeLines, down, infoData, shown } from "../../../support/read-results.js";
import { expectWithinSlackLimits } from "../../../support/slack-limits.js";

describe("renderInfoSlack", () => {
  it("shows the storage facts and the df table with sizes and bars", () => {
    const msg = renderInfoSlack({
      command: "info",
      hosts: [{ host: "host1", ok: true, error: null, ...infoData() }],
    });
    expectWithinSlackLimits(msg);
    const text = shown(msg);
    expect(text).toContain("*Storage Driver:* overlay2");
    expect(text).toContain("*Docker Root Dir:* `/var/lib/docker`");
    expect(text).toContain("Backing Filesystem: extfs");
    expect(text).toContain("Supports d_type: true");
    expect(text).toContain("*containerd snapshotter:* no");
    const code = codeLines(msg);
    expect(code[0]).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE +SHARE$/);
    const images = code.find((l) => l.startsWith("Images")) ?? "";
    expect(images).toMatch(/Images +3 +1 +120 MB +80\.0 MB \(67%\) +█+.* 96%$/);
    expect(code.find((l) => l.startsWith("Local Volumes"))).toMatch(/5\.2 MB +1\.0 MB \(20%\)/);
  });

  it("names a host that could not be asked, with its error", () => {
    const msg = renderInfoSlack({
      command: "info",
      hosts: [down("host9", "TLS: unknown certificate authority", "Check tls.ca of host9.")],
    });
    expectWithinSlackLimits(msg);
    expect(shown(msg)).toContain("❌ *host9* unavailable: TLS: unknown certificate authority");
    expect(shown(msg)).toContain("Check tls.ca of host9.");
  });
});

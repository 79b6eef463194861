// Unit tests of `backups` in Slack and as text (src/commands/backups/slack.ts, text.ts), on
// results built by hand: failed backups are marked as such; a long list stays within Slack's
// limits with the whole list attached.
import { describe, expect, it } from "vitest";
import type { BackupsResult } from "../../../../src/commands/backups/run.js";
import { renderBackupsSlack } from "../../../../src/commands/backups/slack.js";
import { age, renderBackupsText } from "../../../../src/commands/backups/text.js";
import { failedRow, row } from "../../../support/backup-results.js";
import { expectWithinSlackLimits } from "../../../support/slack-limits.js";

const result = (backups: BackupsResult["backups"], over: Partial<BackupsResult> = {}): BackupsResult => ({
  command: "backups",
  location: "s3://team-backups/backups/",
  hosts: null,
  volume: null,
  backups,
  ...over,
});

describe("renderBackupsSlack", () => {
  it("shows each backup with size, age, who, checksum, status and why; a failed one as FAILED with why", () => {
    const ok = row();
    const bad = failedRow();
    const msg = renderBackupsSlack(result([ok, bad], { volume: "pgdata", hosts: ["host1"] }));
    expectWithinSlackLimits(msg);
    const all = JSON.stringify(msg.blocks);
    expect(all).toContain("dvol backups of pgdata on host1");
    expect(all).toContain("2 backups in s3://team-backups/backups/ · 1 failed (never restorable)");
    expect(all).toContain(ok.id);
    expect(all).toContain("1.2 MB");
    expect(all).toContain("abababababab");
    expect(all).toContain("FAILED: host1: the engine closed the archive");
    expect(msg.file).toBeUndefined();
  });

  it("says when there are none", () => {
    const msg = renderBackupsSlack(result([]));
    expect(JSON.stringify(msg.blocks)).toContain("0 backups in s3://team-backups/backups/");
  });

  it("attaches the whole list when it does not fit in one message", () => {
    const many = Array.from({ length: 600 }, (_, i) => row({ volume: `volume-${i}` }));
    const msg = renderBackupsSlack(result(many));
    expectWithinSlackLimits(msg);
    expect(msg.file?.content.split("\n").filter((l) => l.startsWith("bk-"))).toHaveLength(600);
  });
});

describe("renderBackupsText", () => {
  it("has a head line, a table, and counts the failed ones", () => {
    const text = renderBackupsText(result([row(), failedRow()]));
    expect(text.split("\n")[0]).toBe("2 backups in s3://team-backups/backups/");
    expect(text).toMatch(/^ID +HOST +VOLUME +SIZE +AGE +WHO +SHA256 +STATUS +WHY$/m);
    expect(text).toContain("complete, expires 2027-01-02 06:15");
    expect(text).toContain("1 failed: kept as a record only, never restorable.");
    expect(renderBackupsText(result([row({ expired: true })]))).toContain(
      "complete, expired 2027-01-02 06:15",
    );
  });

  it.each([
    [42, "42 s"],
    [600, "10 min"],
    [7200, "2 h"],
    [3 * 86_400, "3 d"],
  ])("writes an age of %i s as %s", (s, shown) => {
    expect(age(s)).toBe(shown);
  });
});

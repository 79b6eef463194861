// Unit tests of `backup` in Slack and as text (src/commands/backup/slack.ts, text.ts): each
// volume's backup, or why there is none and what to do.
import { describe, expect, it } from "vitest";
import type { BackupResult } from "../../../../src/commands/backup/run.js";
import { renderBackupSlack } from "../../../../src/commands/backup/slack.js";
import { renderBackupText } from "../../../../src/commands/backup/text.js";
import { row } from "../../../support/backup-results.js";
import { expectWithinSlackLimits } from "../../../support/slack-limits.js";

const made = row({ volume: "pgdata" });
const r: BackupResult = {
  command: "backup",
  host: "host1",
  location: "s3://team-backups/backups/",
  reason: "before the upgrade",
  volumes: [
    { volume: "pgdata", ok: true, backup: made, error: null, hint: null },
    {
      volume: "huge",
      ok: false,
      backup: null,
      error:
        "host1: huge (40.0 GB) cannot be backed up in the time this worker has left (about 4769 s needed, 70 s left); nothing was written",
      hint: "Back it up from a terminal, where there is no time limit: dvol backup host1 huge",
    },
  ],
};

describe("renderBackupSlack", () => {
  it("names each backup (id, size, checksum) and says why a volume was not backed up, with what to do", () => {
    const msg = renderBackupSlack(r);
    expectWithinSlackLimits(msg);
    const all = JSON.stringify(msg.blocks);
    expect(all).toContain("dvol backup host1 · 1 of 2 backed up");
    expect(all).toContain(`*pgdata* backed up as \`${made.id}\``);
    expect(all).toContain("*huge* not backed up: host1: huge (40.0 GB) cannot be backed up");
    expect(all).toContain("dvol backup host1 huge");
    expect(all).toContain("why: before the upgrade");
  });

  it("stays within Slack's limits with 50 volumes and long errors", () => {
    const volumes = Array.from({ length: 50 }, (_, i) => ({
      volume: `volume-${i}`.padEnd(200, "x"),
      ok: false,
      backup: null,
      error: "e".repeat(600),
      hint: "h".repeat(300),
    }));
    const msg = renderBackupSlack({ ...r, volumes });
    expectWithinSlackLimits(msg);
  });
});

describe("renderBackupText", () => {
  it("has a line per volume and the restore command", () => {
    const text = renderBackupText(r);
    expect(text).toContain("host1: 1 of 2 volumes backed up to s3://team-backups/backups/");
    expect(text).toContain(
      `  pgdata: backed up as ${made.id}: 5.0 MB in 12 entries, archive 1.2 MB, sha256 ${"ab".repeat(32)}`,
    );
    expect(text).toContain("  huge: NOT backed up: host1: huge (40.0 GB)");
    expect(text).toContain("    Back it up from a terminal");
    expect(text).toContain("Restore with: dvol restore host1 <backup-id> [--as NAME]");
  });
});

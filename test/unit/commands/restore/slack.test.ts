// Unit tests of `restore` in Slack and as text (src/commands/restore/slack.ts, text.ts): the volume
// made, from which backup, and a restore onto another host said so.
import { describe, expect, it } from "vitest";
import type { RestoreResult } from "../../../../src/commands/restore/run.js";
import { renderRestoreSlack } from "../../../../src/commands/restore/slack.js";
import { renderRestoreText } from "../../../../src/commands/restore/text.js";
import { row } from "../../../support/backup-results.js";
import { expectWithinSlackLimits } from "../../../support/slack-limits.js";

const backup = row({ host: "host1", volume: "pgdata" });
const r = (fromOtherHost: string | null): RestoreResult => ({
  command: "restore",
  host: fromOtherHost ? "host2" : "host1",
  volume: "pgdata-copy",
  backup,
  fromOtherHost,
  entries: 12,
  contentBytes: 5_000_000,
});

describe("renderRestoreSlack and renderRestoreText", () => {
  it("name the new volume, the backup and who took it", () => {
    const msg = renderRestoreSlack(r(null));
    expectWithinSlackLimits(msg);
    const all = JSON.stringify(msg.blocks);
    expect(all).toContain(`Restored \`${backup.id}\` into the new volume *pgdata-copy* on *host1*`);
    expect(all).toContain("<@U0ALICE01>");
    expect(all).not.toContain("another host");
    expect(renderRestoreText(r(null))).not.toContain("another host");
  });

  it("say so when the backup was taken on another host", () => {
    expect(JSON.stringify(renderRestoreSlack(r("host1")).blocks)).toContain(
      "Restored onto another host: the backup was taken on *host1*, the volume is on *host2*",
    );
    expect(renderRestoreText(r("host1"))).toContain(
      "restored onto another host: the backup was taken on host1, the volume is on host2",
    );
  });
});

// Unit tests of what the deletion messages say of backups before deletion: the plan ("backed up
// first", or --no-backup plainly), the outcome naming each backup with a Restore button per volume
// (src/commands/delete/slack-plan.ts, slack-outcome.ts), and the Restore button's value as the
// router reads it (slack-actions.ts).
import { describe, expect, it } from "vitest";
import {
  parseRestoreValue,
  RESTORE_ACTION_ID,
  restoreValue,
} from "../../../../src/commands/delete/slack-actions.js";
import { MAX_RESTORE_BUTTONS, renderRequestOutcome } from "../../../../src/commands/delete/slack-outcome.js";
import { renderRequestPlan } from "../../../../src/commands/delete/slack-plan.js";
import type { VolumeOutcome } from "../../../../src/store/records.js";
import {
  actions,
  blocksText,
  decided,
  deletionRequest,
  manyPlanned,
  NOW,
  planned,
  unmrkdwn,
} from "../../../support/requests.js";
import { expectWithinSlackLimits } from "../../../support/slack-limits.js";

const bk = (i: number) => `bk-20261129-143000-${i.toString(16).padStart(8, "0")}`;

describe("the plan, with backups before deletion", () => {
  it("first: each volume says backed up first, and the confirmation says so", () => {
    const msg = renderRequestPlan(deletionRequest({ backup: "first" }), NOW);
    expectWithinSlackLimits(msg);
    const text = unmrkdwn(blocksText(msg));
    expect(text).toContain("Each volume is *backed up first*, and deleted only once its backup is complete");
    expect(text.match(/backed up first/g)?.length).toBeGreaterThanOrEqual(3);
    expect(text).toContain("BACKUP");
    expect(text).toContain("Each is re-checked and backed up first.");
  });

  it("first, with a volume whose size is not yet measured: the approver reads that its backup stops at backup.maxBytes", () => {
    const note =
      "A volume whose size is not yet measured (?) is backed up first all the same; its backup stops at backup.maxBytes, when set, and the volume is then not deleted.";
    const r = deletionRequest({ backup: "first", plan: [planned("a"), planned("b", { sizeBytes: null })] });
    const msg = renderRequestPlan(r, NOW);
    expectWithinSlackLimits(msg);
    expect(unmrkdwn(blocksText(msg))).toContain(note);
    // Every size known: no such sentence.
    expect(unmrkdwn(blocksText(renderRequestPlan(deletionRequest({ backup: "first" }), NOW)))).not.toContain(
      "not yet measured",
    );
  });

  it("skipped (--no-backup): the approver reads plainly that nothing is backed up", () => {
    const msg = renderRequestPlan(deletionRequest({ backup: "skipped" }), NOW);
    const text = unmrkdwn(blocksText(msg));
    expect(text).toContain("*--no-backup*: these volumes are *NOT backed up* before deletion");
    expect(text).toContain("NO BACKUP");
    expect(text).toContain("with NO backup (--no-backup)");
  });

  it("off: no backup column, no note", () => {
    const text = unmrkdwn(blocksText(renderRequestPlan(deletionRequest({ backup: "off" }), NOW)));
    expect(text).not.toContain("BACKUP");
    expect(text).not.toContain("backed up");
  });

  it("a too-big volume is listed as blocked with why", () => {
    const r = deletionRequest({
      backup: "first",
      blocked: [{ name: "huge", reason: "too-big", detail: "3.0 GB is over backup.maxBytes (1.0 GB)" }],
    });
    expect(unmrkdwn(blocksText(renderRequestPlan(r, NOW)))).toContain(
      "`huge`: too big to back up first, 3.0 GB is over backup.maxBytes (1.0 GB)",
    );
  });
});

describe("the outcome, with backups", () => {
  it("names each backup, and has a Restore button for each deleted volume with one (not for a failed backup)", () => {
    const r = decided({
      backup: "first",
      status: "paused",
      paused: { kind: "failure", reason: "1 failed", at: "2026-11-29T14:31:00.000Z" },
      outcomes: [
        { name: "a", result: "deleted", freedBytes: 2_600_000, backupId: bk(1) },
        {
          name: "b",
          result: "failed",
          error: "not deleted: its backup did not complete: cut",
          backupId: bk(2),
        },
      ],
    });
    const msg = renderRequestOutcome(r);
    expectWithinSlackLimits(msg);
    const text = blocksText(msg);
    expect(text).toContain(`\`a\` deleted (2.6 MB), backed up first as \`${bk(1)}\``);
    expect(text).toContain("`b` failed: not deleted: its backup did not complete");
    const restore = msg.blocks.find((b) => b.type === "actions" && b.block_id === `dvol_restore_${r.id}`);
    expect(restore).toMatchObject({
      elements: [
        {
          type: "button",
          action_id: `${RESTORE_ACTION_ID}_${bk(1)}`,
          text: { text: "Restore a" },
          value: `${r.id} ${bk(1)}`,
        },
      ],
    });
    // The paused request keeps its Resume and Cancel buttons too.
    expect(text).toContain("dvol_request_resume");
  });

  it("at most MAX_RESTORE_BUTTONS buttons; the rest are named with the command, within Slack's limits", () => {
    const plan = manyPlanned("v", 300);
    const outcomes: VolumeOutcome[] = plan.map((v, i) => ({
      name: v.name,
      result: "deleted",
      freedBytes: v.sizeBytes,
      backupId: bk(i),
    }));
    const msg = renderRequestOutcome(decided({ backup: "first", plan, outcomes }));
    expectWithinSlackLimits(msg);
    const restore = msg.blocks.find((b) => b.type === "actions" && b.block_id?.startsWith("dvol_restore_"));
    expect(restore?.type === "actions" && restore.elements).toHaveLength(MAX_RESTORE_BUTTONS);
    expect(unmrkdwn(blocksText(msg))).toContain("280 more with `/dvol restore host1 <backup-id>`");
    expect(msg.file?.content).toContain(`v-00299 (300 MB), backup ${bk(299)}`);
  });

  it("no backups, no Restore button", () => {
    expect(actions(renderRequestOutcome(decided()))).toBeUndefined();
  });
});

describe("the Restore button's value", () => {
  it("names the request and the backup; anything else is not a restore", () => {
    expect(parseRestoreValue(restoreValue("DR-0000ABCD", bk(1)))).toEqual({
      requestId: "DR-0000ABCD",
      backupId: bk(1),
    });
    for (const bad of [
      undefined,
      "",
      "DR-0000ABCD",
      `DR-0000ABCD ${bk(1)} x`,
      `dr-0000abcd ${bk(1)}`,
      "DR-0000ABCD bk-../../etc",
    ]) {
      expect(parseRestoreValue(bad)).toBeNull();
    }
  });
});

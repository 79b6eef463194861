// Unit tests of the plan in the thread (src/commands/delete/slack-plan.ts), with its buttons, within Slack's limits; a plan too large for one message (1,000 volumes and more) as a summary plus the whole plan as a file.
import type { Button } from "@slack/types";
import { describe, expect, it } from "vitest";
import {
  APPROVE_ACTION_ID,
  decisionOf,
  REJECT_ACTION_ID,
} from "../../../../src/commands/delete/slack-actions.js";
import { renderRequestParent } from "../../../../src/commands/delete/slack-parent.js";
import { renderDecidedPlan, renderRequestPlan } from "../../../../src/commands/delete/slack-plan.js";
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

describe("the plan in the thread", () => {
  it("lists each volume with size, created and project, the blocked ones with why, and two buttons", () => {
    const msg = renderRequestPlan(deletionRequest(), NOW);
    expectWithinSlackLimits(msg);
    expect(msg.file).toBeUndefined();
    const text = unmrkdwn(blocksText(msg));
    expect(text).toMatch(/a\s+2\.6 MB\s+2026-11-29 13:51\s+-/);
    expect(text).toMatch(/b\s+2\.6 MB\s+2026-11-29 13:51\s+shop/);
    expect(text).toContain("`web-data`: in use, used by web-1 (running)");
    const buttons = (actions(msg)?.elements ?? []) as Button[];
    expect(buttons.map((b) => b.action_id)).toEqual([APPROVE_ACTION_ID, REJECT_ACTION_ID]);
    expect(buttons.map((b) => b.value)).toEqual(["DR-0000ABCD", "DR-0000ABCD"]);
    const [approve, reject] = buttons;
    expect(approve?.confirm?.title?.text).toBe("Approve DR-0000ABCD?");
    expect(approve?.confirm?.text?.text).toContain("Delete 2 volumes (5.2 MB) from host1?");
    expect(reject?.confirm).toBeUndefined();
    expect(decisionOf(approve?.action_id ?? "")).toBe("approve");
    expect(decisionOf(reject?.action_id ?? "")).toBe("reject");
    expect(decisionOf("dvol_other")).toBeNull();
  });

  it("lists volumes sorted by name", () => {
    const msg = renderRequestPlan(
      deletionRequest({ plan: [planned("zeta"), planned("alpha"), planned("mid")] }),
      NOW,
    );
    const text = blocksText(msg);
    expect(text.indexOf("alpha")).toBeLessThan(text.indexOf("mid"));
    expect(text.indexOf("mid")).toBeLessThan(text.indexOf("zeta"));
  });

  it("has no buttons once decided, expired, or when everything is blocked", () => {
    for (const r of [
      decided(),
      deletionRequest({ status: "rejected", decidedBy: "U0X", decidedAt: NOW.toISOString() }),
      deletionRequest({ expiresAt: "2026-11-29T14:00:01.000Z" }),
      deletionRequest({ plan: [] }),
    ]) {
      const msg = renderDecidedPlan(r, NOW);
      expectWithinSlackLimits(msg);
      expect(actions(msg)).toBeUndefined();
      expect(msg.file).toBeUndefined();
    }
    expect(blocksText(renderRequestPlan(deletionRequest({ plan: [] }), NOW))).toContain(
      "every volume asked for is blocked",
    );
  });

  it.each([200, 1000, 5000])(
    "a request of %i volumes is a summary with the buttons, and the whole plan as a file",
    (count) => {
      const plan = manyPlanned("vol", count);
      const blocked = Array.from({ length: 300 }, (_, i) => ({
        name: `used-${String(i).padStart(4, "0")}`,
        reason: i % 2 ? ("in-use" as const) : ("protected" as const),
        detail: i % 2 ? `used by c-${i} (running)` : "matches protect rule *postgres*",
      }));
      const r = deletionRequest({ kind: "prune", command: "prune host1", plan, blocked });
      const msg = renderRequestPlan(r, NOW);
      expectWithinSlackLimits(msg);
      expect(msg.file?.filename).toBe("dvol-DR-0000ABCD-plan.txt");
      const content = msg.file?.content ?? "";
      for (const v of plan) if (!content.includes(v.name)) throw new Error(`the file lacks ${v.name}`);
      for (const b of blocked) expect(content).toContain(`${b.name}: `);
      const text = blocksText(msg);
      expect(text).toContain(`${count.toLocaleString("en-US")} volumes`);
      expect(text).toContain("attached as dvol-DR-0000ABCD-plan.txt");
      // The largest volume is named in the summary; the buttons are still there.
      expect(text).toContain(`vol-${String(count - 1).padStart(5, "0")}`);
      expect(((actions(msg)?.elements ?? []) as Button[]).map((b) => b.action_id)).toEqual([
        APPROVE_ACTION_ID,
        REJECT_ACTION_ID,
      ]);
      // After the decision, the same summary without buttons and without a second file.
      const after = renderDecidedPlan({ ...r, status: "rejected", decidedBy: "U0X" }, NOW);
      expectWithinSlackLimits(after);
      expect(after.file).toBeUndefined();
      expect(actions(after)).toBeUndefined();
    },
  );

  it("stays within limits with long names, details and reasons", () => {
    const long = "x".repeat(250);
    const r = deletionRequest({
      reason: "r".repeat(5000),
      command: `rm host1 ${"v".repeat(3000)}`,
      plan: Array.from({ length: 40 }, (_, i) => planned(`${long}${i}`, { project: "p".repeat(200) })),
      blocked: Array.from({ length: 40 }, (_, i) => ({
        name: `${long}b${i}`,
        reason: "missing" as const,
        detail: "d".repeat(1000),
      })),
    });
    for (const msg of [renderRequestPlan(r, NOW), renderRequestParent(r, NOW), renderDecidedPlan(r, NOW)])
      expectWithinSlackLimits(msg);
  });
});

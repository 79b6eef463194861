// Unit tests of the deletion-request renderings (src/slack/render-request.ts): the parent message,
// the plan with its buttons, the outcome, the ephemeral answers; all within Slack's limits, and a
// request too large for one message (1,000 volumes and more) as a summary plus the whole plan as a
// file.
import type { ActionsBlock, Button } from "@slack/types";
import { describe, expect, it } from "vitest";
import type { SlackMessage } from "../../../src/blocks/message.js";
import {
  APPROVE_ACTION_ID,
  decisionOf,
  REJECT_ACTION_ID,
  renderAlreadyDecided,
  renderDecidedPlan,
  renderExpired,
  renderRefused,
  renderRejected,
  renderRequestList,
  renderRequestOutcome,
  renderRequestParent,
  renderRequestPlan,
  renderUnknownRequest,
} from "../../../src/slack/render-request.js";
import type { DeletionRequest, VolumeOutcome } from "../../../src/store/records.js";
import { deletedAll, deletionRequest, manyPlanned, planned } from "../../support/requests.js";
import { expectWithinSlackLimits } from "../../support/slack-limits.js";

const NOW = new Date("2026-11-29T15:00:00Z");
const blocksText = (m: SlackMessage) => JSON.stringify(m.blocks);
const unmrkdwn = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

function actions(m: SlackMessage): ActionsBlock | undefined {
  return m.blocks.find((b): b is ActionsBlock => b.type === "actions");
}

function decided(over: Partial<DeletionRequest> = {}): DeletionRequest {
  return deletionRequest({
    status: "done",
    decidedBy: "U0APPROVE",
    decidedAt: "2026-11-29T14:30:00.000Z",
    outcomes: [
      { name: "a", result: "deleted", freedBytes: 2_600_000 },
      { name: "b", result: "skipped", reason: "now used by web-2 (running)" },
    ],
    version: 4,
    ...over,
  });
}

describe("the parent message", () => {
  it("says who asked for how many volumes on which host, how much, and that it waits", () => {
    const msg = renderRequestParent(deletionRequest(), NOW);
    expectWithinSlackLimits(msg);
    expect(msg.text).toBe(
      "Deletion request DR-0000ABCD by <@U0REQUEST>: 2 volumes on host1, 5.2 MB (pending)",
    );
    const text = blocksText(msg);
    expect(text).toContain("Deletion request DR-0000ABCD by <@U0REQUEST>: 2 volumes on host1, 5.2 MB");
    expect(text).toContain("Waiting for an approver");
    expect(text).toContain("1 volume blocked");
    expect(actions(msg)).toBeUndefined();
  });

  it("shows each final state", () => {
    const done = blocksText(renderRequestParent(decided(), NOW));
    expect(done).toContain("*Done*: approved by <@U0APPROVE>");
    expect(done).toContain("1 deleted, 1 skipped, 0 failed; 2.6 MB freed");
    const rejected = blocksText(
      renderRequestParent(deletionRequest({ status: "rejected", decidedBy: "U0OTHER" }), NOW),
    );
    expect(rejected).toContain("*Rejected* by <@U0OTHER>");
    const expired = blocksText(
      renderRequestParent(deletionRequest({ expiresAt: "2026-11-29T14:59:00.000Z" }), NOW),
    );
    expect(expired).toContain("*Expired*");
    const executing = blocksText(
      renderRequestParent(deletionRequest({ status: "executing", decidedBy: "U0APPROVE" }), NOW),
    );
    expect(executing).toContain("deleting…");
  });

  it("escapes what users typed and shows CLI requesters as text, not mentions", () => {
    const msg = renderRequestParent(
      deletionRequest({ requester: "cli:bob", reason: "<!channel> & <@U0EVIL> cleanup" }),
      NOW,
    );
    expectWithinSlackLimits(msg);
    const text = blocksText(msg);
    expect(text).toContain("`cli:bob`");
    expect(text).not.toContain("<!channel>");
    expect(text).toContain("&lt;!channel&gt; &amp; &lt;@U0EVIL&gt;");
  });
});

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

describe("after the decision", () => {
  it("the outcome: one line per volume and the space freed", () => {
    const r = decided({
      outcomes: [
        { name: "b", result: "skipped", reason: "now used by web-2 (running)" },
        { name: "a", result: "deleted", freedBytes: 2_600_000 },
        { name: "c", result: "failed", error: "engine answered 500: device busy" },
      ],
    });
    const msg = renderRequestOutcome(r);
    expectWithinSlackLimits(msg);
    expect(msg.file).toBeUndefined();
    const text = blocksText(msg);
    expect(text).toContain("1 deleted, 1 skipped, 1 failed; *2.6 MB freed*");
    expect(text).toContain("`a` deleted (2.6 MB)");
    expect(text).toContain("`b` skipped: now used by web-2 (running)");
    expect(text).toContain("`c` failed: engine answered 500: device busy");
    expect(text.indexOf("`a`")).toBeLessThan(text.indexOf("`b`"));
    expect(msg.text).toBe("DR-0000ABCD executed on host1: 1 deleted, 1 skipped, 1 failed; 2.6 MB freed");
  });

  it("the outcome of 1,000 volumes: counts, what was not deleted, and every line in a file", () => {
    const plan = manyPlanned("vol", 1000);
    const outcomes: VolumeOutcome[] = deletedAll(plan).map((o, i) =>
      i % 100 === 0 ? { name: o.name, result: "skipped", reason: "now in use" } : o,
    );
    const msg = renderRequestOutcome(decided({ plan, outcomes }));
    expectWithinSlackLimits(msg);
    expect(msg.file?.filename).toBe("dvol-DR-0000ABCD-outcome.txt");
    expect(msg.file?.content.split("\n").filter((l) => /^(deleted|skipped|failed) /.test(l))).toHaveLength(
      1000,
    );
    const text = blocksText(msg);
    expect(text).toContain("990 deleted, 10 skipped, 0 failed");
    expect(text).toContain("`vol-00000` skipped: now in use");
    expect(text).not.toContain("`vol-00001` deleted");
  });

  it("rejection and expiry lines, refusals and clicks on decided requests", () => {
    const rejected = deletionRequest({
      status: "rejected",
      decidedBy: "U0OTHER",
      decidedAt: NOW.toISOString(),
    });
    const msgs = [
      renderRejected(rejected),
      renderExpired(deletionRequest({ status: "expired" })),
      renderRefused("DR-0000ABCD", "approve", "you opened this request, and someone else must approve it."),
      renderRefused("DR-0000ABCD", "reject", "you are not one of the approvers."),
      renderAlreadyDecided(rejected, NOW),
      renderAlreadyDecided(decided(), NOW),
      renderUnknownRequest("DR-NOPE"),
    ];
    for (const m of msgs) expectWithinSlackLimits(m);
    expect(blocksText(msgs[0] as SlackMessage)).toContain("*rejected* by <@U0OTHER>");
    expect(blocksText(msgs[2] as SlackMessage)).toContain("You cannot approve DR-0000ABCD");
    expect(blocksText(msgs[2] as SlackMessage)).toContain("Nothing was changed.");
    expect(blocksText(msgs[4] as SlackMessage)).toContain("already decided");
    expect(blocksText(msgs[5] as SlackMessage)).toContain("*Done*");
  });
});

describe("/dvol requests", () => {
  const row = (i: number, status: DeletionRequest["status"]) => ({
    id: `DR-${String(i).padStart(8, "0")}`,
    host: "host1",
    status,
    requester: "U0REQUEST",
    command: `rm host1 vol-${i}`,
    volumes: 2,
    sizeBytes: 5_200_000,
    createdAt: "2026-11-29T14:00:00.000Z",
    expiresAt: "2026-11-30T14:00:00.000Z",
    decidedBy: status === "pending" ? null : "U0APPROVE",
    decidedAt: status === "pending" ? null : "2026-11-29T14:30:00.000Z",
    outcomes: status === "done" ? { deleted: 2, skipped: 0, failed: 0, freedBytes: 5_200_000 } : null,
  });

  it("lists the open requests and the last decided, one line each", () => {
    const msg = renderRequestList(
      {
        open: [row(1, "pending"), row(2, "executing")],
        decided: [row(3, "done"), row(4, "rejected"), row(5, "expired")],
      },
      "text",
    );
    expectWithinSlackLimits(msg);
    expect(msg.file).toBeUndefined();
    const text = blocksText(msg);
    expect(text).toContain("*Open* (2)");
    expect(text).toContain(
      "*DR-00000001* `/dvol rm host1 vol-1` by <@U0REQUEST>: 2 volumes on host1, 5.2 MB · waiting for an approver",
    );
    expect(text).toContain("2 deleted, 0 skipped, 0 failed, 5.2 MB freed");
    expect(text).toContain("rejected by <@U0APPROVE>");
    expect(renderRequestList({ open: [], decided: [] }, "x").blocks.length).toBeGreaterThan(0);
  });

  it("too many for one message: as many as fit, and the whole list as a file", () => {
    const open = Array.from({ length: 300 }, (_, i) => row(i, "pending"));
    const msg = renderRequestList({ open, decided: [row(999, "done")] }, "the whole list");
    expectWithinSlackLimits(msg);
    expect(msg.file?.content).toBe("the whole list");
    expect(blocksText(msg)).toMatch(/and \d+ more, in the file/);
  });
});

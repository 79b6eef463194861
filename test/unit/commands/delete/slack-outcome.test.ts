// Unit tests of what the thread says after a decision (src/commands/delete/slack-outcome.ts): the outcome, a rejection, an expiry.
import { describe, expect, it } from "vitest";
import type { SlackMessage } from "../../../../src/blocks/message.js";
import {
  renderExpired,
  renderRejected,
  renderRequestOutcome,
} from "../../../../src/commands/delete/slack-outcome.js";
import type { VolumeOutcome } from "../../../../src/store/records.js";
import {
  blocksText,
  decided,
  deletedAll,
  deletionRequest,
  manyPlanned,
  NOW,
} from "../../../support/requests.js";
import { expectWithinSlackLimits } from "../../../support/slack-limits.js";

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

  it("rejection and expiry lines", () => {
    const rejected = deletionRequest({
      status: "rejected",
      decidedBy: "U0OTHER",
      decidedAt: NOW.toISOString(),
    });
    const msgs = [renderRejected(rejected), renderExpired(deletionRequest({ status: "expired" }))];
    for (const m of msgs) expectWithinSlackLimits(m);
    expect(blocksText(msgs[0] as SlackMessage)).toContain("*rejected* by <@U0OTHER>");
  });
});

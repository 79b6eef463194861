// Unit tests of the ephemeral answers to a click (src/commands/delete/slack-replies.ts).
import { describe, expect, it } from "vitest";
import type { SlackMessage } from "../../../../src/blocks/message.js";
import {
  renderAlreadyDecided,
  renderRefused,
  renderUnknownRequest,
} from "../../../../src/commands/delete/slack-replies.js";
import { blocksText, decided, deletionRequest, NOW } from "../../../support/requests.js";
import { expectWithinSlackLimits } from "../../../support/slack-limits.js";

describe("ephemeral answers to a click", () => {
  it("refusals and clicks on decided requests", () => {
    const rejected = deletionRequest({
      status: "rejected",
      decidedBy: "U0OTHER",
      decidedAt: NOW.toISOString(),
    });
    const msgs = [
      renderRefused("DR-0000ABCD", "approve", "you opened this request, and someone else must approve it."),
      renderRefused("DR-0000ABCD", "reject", "you are not one of the approvers."),
      renderAlreadyDecided(rejected, NOW),
      renderAlreadyDecided(decided(), NOW),
      renderUnknownRequest("DR-NOPE"),
    ];
    for (const m of msgs) expectWithinSlackLimits(m);
    expect(blocksText(msgs[0] as SlackMessage)).toContain("You cannot approve DR-0000ABCD");
    expect(blocksText(msgs[0] as SlackMessage)).toContain("Nothing was changed.");
    expect(blocksText(msgs[2] as SlackMessage)).toContain("already decided");
    expect(blocksText(msgs[3] as SlackMessage)).toContain("*Done*");
  });
});

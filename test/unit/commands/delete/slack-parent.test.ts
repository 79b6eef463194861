// Unit tests of the parent message of a deletion request (src/commands/delete/slack-parent.ts): who asked for what, its state.
import { describe, expect, it } from "vitest";
import { renderRequestParent } from "../../../../src/commands/delete/slack-parent.js";
import { actions, blocksText, decided, deletionRequest, NOW } from "../../../support/requests.js";
import { expectWithinSlackLimits } from "../../../support/slack-limits.js";

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

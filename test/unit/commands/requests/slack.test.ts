// Unit tests of `/dvol requests` in Slack (src/commands/requests/slack.ts).
import { describe, expect, it } from "vitest";
import { renderRequestList } from "../../../../src/commands/requests/slack.js";
import type { DeletionRequest } from "../../../../src/store/records.js";
import { blocksText } from "../../../support/requests.js";
import { expectWithinSlackLimits } from "../../../support/slack-limits.js";

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

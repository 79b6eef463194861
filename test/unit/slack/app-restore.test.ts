// The router's side of a Restore button (src/slack/app.ts, restoreJobOf): a click under a
// deletion's outcome becomes a RestoreJob naming the request, the backup, who clicked and where;
// anything that is not a well-formed Restore click is not one.
import { describe, expect, it } from "vitest";
import { RESTORE_ACTION_ID } from "../../../src/commands/delete/slack-actions.js";
import { restoreJobOf } from "../../../src/slack/app.js";

const AT = new Date("2026-11-29T15:00:00Z");
const BK = "bk-20261129-143000-0a1b2c3d";

function click(action: Record<string, unknown>) {
  const body = {
    type: "block_actions",
    user: { id: "U0ALICE01" },
    channel: { id: "C0OPS0001" },
    container: {
      type: "message",
      channel_id: "C0OPS0001",
      message_ts: "1790000000.000200",
      thread_ts: "1790000000.000100",
    },
    response_url: "https://hooks.slack.com/actions/T1/restore",
    actions: [action],
  };
  return restoreJobOf(body, action, AT);
}

describe("a Restore click", () => {
  it("becomes a RestoreJob for the request and the backup its value names", () => {
    const job = click({
      type: "button",
      action_id: `${RESTORE_ACTION_ID}_${BK}`,
      value: `DR-0000ABCD ${BK}`,
    });
    expect(job).toEqual({
      kind: "restore",
      requestId: "DR-0000ABCD",
      backupId: BK,
      user: "U0ALICE01",
      channel: "C0OPS0001",
      messageTs: "1790000000.000200",
      threadTs: "1790000000.000100",
      responseUrl: "https://hooks.slack.com/actions/T1/restore",
      text: `restore ${BK} of DR-0000ABCD`,
      acceptedAt: AT.toISOString(),
    });
  });

  it("is not one with another action id, a malformed value, or no button", () => {
    expect(
      click({ type: "button", action_id: "dvol_request_approve", value: `DR-0000ABCD ${BK}` }),
    ).toBeNull();
    expect(click({ type: "button", action_id: RESTORE_ACTION_ID, value: "DR-0000ABCD ../x" })).toBeNull();
    expect(click({ type: "button", action_id: RESTORE_ACTION_ID, value: BK })).toBeNull();
    expect(click({ type: "static_select", action_id: RESTORE_ACTION_ID })).toBeNull();
  });
});

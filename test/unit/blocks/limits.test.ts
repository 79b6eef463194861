// Unit tests of the limits checker (src/blocks/limits.ts): every limit of Slack's it names.
import type { KnownBlock } from "@slack/types";
import { describe, expect, it } from "vitest";
import {
  checkMessage,
  MAX_BLOCKS,
  MAX_BLOCKS_TOTAL,
  MAX_CONTEXT_ELEMENTS,
  MAX_FIELD_TEXT,
  MAX_FIELDS,
  MAX_HEADER_TEXT,
  MAX_MESSAGE_TEXT,
  MAX_SECTION_TEXT,
} from "../../../src/blocks/limits.js";
import type { SlackMessage } from "../../../src/blocks/message.js";
import { expectWithinSlackLimits } from "../../support/slack-limits.js";

describe("checkMessage", () => {
  const ok: SlackMessage = {
    text: "fine",
    blocks: [
      { type: "header", text: { type: "plain_text", text: "Title" } },
      { type: "section", text: { type: "mrkdwn", text: "hello" } },
      { type: "context", elements: [{ type: "mrkdwn", text: "small print" }] },
    ],
  };

  it("accepts a message within every limit", () => {
    expect(checkMessage(ok)).toEqual([]);
  });

  it("reports each kind of violation of a deliberately bad message", () => {
    const section = (text: string): KnownBlock => ({ type: "section", text: { type: "mrkdwn", text } });
    const bad: SlackMessage = {
      text: "t".repeat(MAX_MESSAGE_TEXT + 1),
      blocks: [
        section("s".repeat(MAX_SECTION_TEXT + 1)),
        { type: "header", text: { type: "plain_text", text: "h".repeat(MAX_HEADER_TEXT + 1) } },
        {
          type: "context",
          elements: Array.from({ length: MAX_CONTEXT_ELEMENTS + 1 }, () => ({
            type: "mrkdwn" as const,
            text: "c",
          })),
        },
        {
          type: "section",
          fields: [
            ...Array.from({ length: MAX_FIELDS }, () => ({ type: "mrkdwn" as const, text: "f" })),
            { type: "mrkdwn", text: "F".repeat(MAX_FIELD_TEXT + 1) },
          ],
        },
        section(""),
        ...Array.from({ length: MAX_BLOCKS }, () => section("x".repeat(300))),
      ],
    };
    const v = checkMessage(bad);
    const expectOne = (re: RegExp) =>
      expect(
        v.filter((s) => re.test(s)),
        `${re} in ${v.join("\n")}`,
      ).toHaveLength(1);
    expectOne(/^text is 4,001 characters, more than 4,000$/);
    expectOne(/^55 blocks, more than 50$/);
    expectOne(/^blocks\[0\] \(section\) text is 3,001 characters, more than 3,000$/);
    expectOne(/^blocks\[1\] \(header\) text is 151 characters, more than 150$/);
    expectOne(/^blocks\[2\] \(context\) has 11 elements, more than 10$/);
    expectOne(/^blocks\[3\] \(section\) has 11 fields, more than 10$/);
    expectOne(/^blocks\[3\] \(section\) fields\[10\] is 2,001 characters, more than 2,000$/);
    expectOne(/^blocks\[4\] \(section\) text is empty/);
    expectOne(/^blocks are [\d,]+ characters of JSON in all, more than 12,000/);
    expect(v).toHaveLength(9);
  });

  it("reports blocks too long in all even when each block is within its own limit", () => {
    const section = (text: string): KnownBlock => ({ type: "section", text: { type: "mrkdwn", text } });
    const msg: SlackMessage = {
      text: "t",
      blocks: Array.from({ length: 5 }, () => section("y".repeat(2900))),
    };
    const v = checkMessage(msg);
    expect(v).toHaveLength(1);
    expect(v[0]).toContain(`more than ${MAX_BLOCKS_TOTAL.toLocaleString("en-US")}`);
  });

  it("reports an empty fallback text, a mrkdwn header and oversized buttons", () => {
    const msg: SlackMessage = {
      text: " ",
      blocks: [
        { type: "header", text: { type: "mrkdwn", text: "x" } as never },
        {
          type: "actions",
          elements: Array.from({ length: 26 }, (_, i) => ({
            type: "button" as const,
            action_id: `a${i}`,
            text: { type: "plain_text" as const, text: i === 0 ? "B".repeat(76) : "ok" },
          })),
        },
      ],
    };
    const v = checkMessage(msg);
    expect(v).toContain("text is empty: Slack needs it for notifications and screen readers");
    expect(v).toContain("blocks[0] (header) text must be plain_text, not mrkdwn");
    expect(v).toContain("blocks[1] (actions) has 26 elements, more than 25");
    expect(v).toContain("blocks[1] (actions) elements[0] text is 76 characters, more than 75");
    expect(v).toHaveLength(4);
  });

  it("is what expectWithinSlackLimits asserts", () => {
    expect(() => expectWithinSlackLimits(ok)).not.toThrow();
    expect(() => expectWithinSlackLimits({ ...ok, text: "" })).toThrow(/text is empty/);
  });
});

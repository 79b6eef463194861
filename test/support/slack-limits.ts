// Slack's limits for tests: every message dvol posts goes through expectWithinSlackLimits.
import { expect } from "vitest";
import { checkMessage } from "../../src/blocks/limits.js";
import type { SlackMessage } from "../../src/blocks/message.js";

export * from "../../src/blocks/limits.js";

/** Fails with every limit the message breaks (block count, section/header/field sizes, ...). */
export function expectWithinSlackLimits(msg: SlackMessage): void {
  const violations = checkMessage(msg);
  expect(violations, `Slack limits, message "${msg.text.slice(0, 80)}": ${violations.join("; ")}`).toEqual(
    [],
  );
}

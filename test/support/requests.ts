// Deletion requests built by hand, for tests of what the Slack side shows and does with them.
import type { ActionsBlock } from "@slack/types";
import type { SlackMessage } from "../../src/blocks/message.js";
import type { DeletionRequest, PlannedVolume, VolumeOutcome } from "../../src/store/records.js";

export function planned(name: string, over: Partial<PlannedVolume> = {}): PlannedVolume {
  return {
    name,
    driver: "local",
    sizeBytes: 2_600_000,
    createdAt: "2026-11-29T13:51:00Z",
    project: null,
    ...over,
  };
}

/** A pending request by U0REQUEST on host1 for `a` and `b` (5.2 MB), with one blocked volume. */
export function deletionRequest(over: Partial<DeletionRequest> = {}): DeletionRequest {
  return {
    id: "DR-0000ABCD",
    kind: "rm",
    host: "host1",
    requester: "U0REQUEST",
    reason: null,
    command: "rm host1 a b web-data",
    channel: "C0OPS0001",
    messageTs: null,
    status: "pending",
    createdAt: "2026-11-29T14:00:00.000Z",
    expiresAt: "2026-11-30T14:00:00.000Z",
    plan: [planned("a"), planned("b", { project: "shop" })],
    blocked: [{ name: "web-data", reason: "in-use", detail: "used by web-1 (running)" }],
    decidedBy: null,
    decidedAt: null,
    executor: null,
    leaseUntil: null,
    outcomes: [],
    version: 1,
    ...over,
  };
}

/** `count` planned volumes `<prefix>-00000`…, sizes all distinct. */
export function manyPlanned(prefix: string, count: number): PlannedVolume[] {
  return Array.from({ length: count }, (_, i) =>
    planned(`${prefix}-${String(i).padStart(5, "0")}`, {
      sizeBytes: (i + 1) * 1_000_003,
      project: i % 3 === 0 ? `proj${i % 7}` : null,
    }),
  );
}

export function deletedAll(plan: readonly PlannedVolume[]): VolumeOutcome[] {
  return plan.map((v) => ({ name: v.name, result: "deleted", freedBytes: v.sizeBytes }));
}

// What the request messages say

export const NOW = new Date("2026-11-29T15:00:00Z");
export const blocksText = (m: SlackMessage) => JSON.stringify(m.blocks);
export const unmrkdwn = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

export function actions(m: SlackMessage): ActionsBlock | undefined {
  return m.blocks.find((b): b is ActionsBlock => b.type === "actions");
}

export function decided(over: Partial<DeletionRequest> = {}): DeletionRequest {
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

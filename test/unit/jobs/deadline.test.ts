// Unit tests of the worker's deadline (src/jobs/deadline.ts) as backups before deletion use it: the
// time a backup may take in one invocation, and a stop asked for when a backup about to start
// would not end before the margin.
import { describe, expect, it } from "vitest";
import { COPY_MARGIN_MS } from "../../../src/backup/budget.js";
import { WORKER_FUNCTION_TIMEOUT_SECONDS, WORKER_MARGIN_SECONDS } from "../../../src/config/validate.js";
import { backupBudgetMs, deadlineStop, stopMarginMs } from "../../../src/jobs/deadline.js";
import { fakeConfig } from "../../support/fake-engine.js";

describe("the worker's deadline and backups before deletion", () => {
  const config = fakeConfig(); // one host, 20 s deadline

  it("a backup may take a fresh invocation's time less the host's deadline and the copy margin (120 s - 20 s - 20 s)", () => {
    expect(stopMarginMs(config)).toBe(20_000 + WORKER_MARGIN_SECONDS * 1000);
    expect(backupBudgetMs(config)).toBe(WORKER_FUNCTION_TIMEOUT_SECONDS * 1000 - 20_000 - COPY_MARGIN_MS);
    expect(backupBudgetMs(config)).toBe(80_000);
  });

  it("stops before a backup that would not end before the margin, and hands over when it can", () => {
    let left = 60_000;
    const stop = deadlineStop({ remainingMs: () => left }, config, true);
    expect(stop()).toBeNull();
    expect(stop(20_000)).toBeNull(); // 60 s left > 35 s margin + 20 s
    expect(stop(30_000)).toMatchObject({ kind: "deadline", handOver: true }); // 60 s ≤ 35 + 30
    left = 30_000;
    expect(stop()).toMatchObject({ kind: "deadline", handOver: true });
    const last = deadlineStop({ remainingMs: () => 10_000 }, config, false);
    expect(last(0)).toMatchObject({
      kind: "deadline",
      reason: expect.stringContaining("does not hand over"),
    });
  });
});

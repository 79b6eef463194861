// Unit tests of src/backup/budget.ts: whether a copy fits in the worker's time left.
import { describe, expect, it } from "vitest";
import { COPY_MARGIN_MS, checkBudget, WORKER_COPY_BYTES_PER_SECOND } from "../../../src/backup/budget.js";

const RATE = WORKER_COPY_BYTES_PER_SECOND;

describe("checkBudget", () => {
  it("allows a copy that fits in the time left less the host's deadline and the margin, for that long", () => {
    // 110 s left, a 20 s host deadline: 70 s to copy in, 10 s worth of bytes needed.
    expect(checkBudget(10 * RATE, 110_000, 20_000)).toEqual({
      ok: true,
      allowMs: 110_000 - 20_000 - COPY_MARGIN_MS,
    });
  });

  it("refuses one that does not, saying how long it needs and how long is left", () => {
    expect(checkBudget(100 * RATE, 110_000, 20_000)).toEqual({
      ok: false,
      needSeconds: 100,
      leftSeconds: 70,
    });
  });

  it("lets a volume of unknown size start (under the abort signal), unless no time is left at all", () => {
    expect(checkBudget(null, 110_000, 20_000)).toMatchObject({ ok: true });
    expect(checkBudget(null, 30_000, 20_000)).toEqual({ ok: false, needSeconds: 0, leftSeconds: 0 });
  });

  it("gives whole milliseconds, as AbortSignal.timeout takes", () => {
    const fit = checkBudget(0, 100_000.7, 20_000);
    expect(fit.ok && Number.isInteger(fit.allowMs)).toBe(true);
  });
});

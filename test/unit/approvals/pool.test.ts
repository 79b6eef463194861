// Unit tests of src/approvals/pool.ts, forEachLimited over p-limit: at most `limit` at once in
// the items' order, no new start once stop() is true or an item failed, and the first failure
// thrown only after the items already started have settled.
import { describe, expect, it } from "vitest";
import { forEachLimited } from "../../../src/approvals/pool.js";

/** A promise and its resolver, to finish items in the order a test chooses. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const turns = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("forEachLimited", () => {
  it("runs every item, at most `limit` at once, started in the items' order", async () => {
    const started: number[] = [];
    let active = 0;
    let peak = 0;
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      started.push(n);
      peak = Math.max(peak, ++active);
      await turns();
      active--;
    });
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });

  it("starts nothing more once stop() is true", async () => {
    const started: number[] = [];
    await forEachLimited(
      [1, 2, 3, 4, 5],
      1,
      async (n) => {
        started.push(n);
      },
      () => started.length >= 2,
    );
    expect(started).toEqual([1, 2]);
  });

  it("throws the first failure once the items already started have settled, and starts no more", async () => {
    const slow = gate();
    const started: number[] = [];
    let slowDone = false;
    const run = forEachLimited([1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      if (n === 1) {
        await slow.promise;
        slowDone = true;
      }
      if (n === 2) throw new Error("two failed");
    });
    let settled = false;
    run.catch(() => {}).finally(() => (settled = true));
    await turns();
    expect(settled).toBe(false);
    slow.open();
    await expect(run).rejects.toThrow("two failed");
    expect(slowDone).toBe(true);
    expect(started).toEqual([1, 2]);
  });

  it("does nothing for no items", async () => {
    await forEachLimited([], 4, async () => {
      throw new Error("never called");
    });
  });
});

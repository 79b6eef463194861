// Unit tests of src/cached.ts: one attempt shared by concurrent first calls, failures not kept,
// a fixed value in place of making one, and the same per key.
import { describe, expect, it } from "vitest";
import { cached, cachedBy } from "../../src/cached.js";

describe("cached", () => {
  it("makes once, for concurrent and later calls alike", async () => {
    let made = 0;
    const get = cached(async () => ++made);
    expect(await Promise.all([get(), get(), get()])).toEqual([1, 1, 1]);
    expect(await get()).toBe(1);
    expect(made).toBe(1);
  });

  it("does not keep a failed attempt: the next call tries again", async () => {
    let made = 0;
    const get = cached(async () => {
      if (++made === 1) throw new Error("not yet");
      return made;
    });
    await expect(get()).rejects.toThrow("not yet");
    expect(await get()).toBe(2);
    expect(await get()).toBe(2);
  });

  it("answers a fixed value without making one", async () => {
    const get = cached<number>(async () => {
      throw new Error("never made");
    }, 7);
    expect(await get()).toBe(7);
  });
});

describe("cachedBy", () => {
  it("makes once per key, with the make of the key's first call", async () => {
    const get = cachedBy<string>();
    const calls: string[] = [];
    const make = (v: string) => async () => {
      calls.push(v);
      return v;
    };
    expect(await Promise.all([get("a", make("a1")), get("a", make("a2")), get("b", make("b1"))])).toEqual([
      "a1",
      "a1",
      "b1",
    ]);
    expect(await get("a", make("a3"))).toBe("a1");
    expect(calls).toEqual(["a1", "b1"]);
  });

  it("forgets a key whose attempt failed: its next call makes it with its own make", async () => {
    const get = cachedBy<string>();
    await expect(
      get("k", async () => {
        throw new Error("first");
      }),
    ).rejects.toThrow("first");
    expect(await get("k", async () => "second")).toBe("second");
    expect(await get("k", async () => "third")).toBe("second");
  });
});

// Unit tests of src/format.ts: sizes, bars, times, tables, counts and clipped text as users read them.
import { describe, expect, it } from "vitest";
import { bar, clip, humanSize, num, plural, shortTime, table } from "../../src/format.js";

describe("humanSize", () => {
  it.each<[number | null, string]>([
    [0, "0 B"],
    [1, "1 B"],
    [999, "999 B"],
    [1000, "1.0 kB"],
    [1536, "1.5 kB"],
    [5242880, "5.2 MB"],
    [12_345_678, "12.3 MB"],
    [123_456_789, "123 MB"],
    [1_000_000_000, "1.0 GB"],
    [2.5e12, "2.5 TB"],
    [3e15, "3.0 PB"],
    [4e18, "4000 PB"],
    [null, "?"],
  ])("%s → %s", (bytes, text) => {
    expect(humanSize(bytes)).toBe(text);
  });
});

describe("bar", () => {
  it("is always as wide as asked", () => {
    for (const share of [0, 0.01, 0.33, 0.5, 0.99, 1, 2, -1]) {
      expect([...bar(share)]).toHaveLength(10);
      expect([...bar(share, 4)]).toHaveLength(4);
      expect([...bar(share, 25)]).toHaveLength(25);
    }
  });

  it("is empty for nothing and full for everything", () => {
    expect(bar(0)).toBe(" ".repeat(10));
    expect(bar(1)).toBe("█".repeat(10));
  });

  it("fills in proportion to the share", () => {
    expect(bar(0.5)).toBe(`${"█".repeat(5)}${" ".repeat(5)}`);
    expect(bar(0.25, 4)).toBe("█   ");
  });

  it("shows eighths of a cell with partial blocks", () => {
    expect(bar(0.05)).toBe(`▌${" ".repeat(9)}`);
    expect(bar(0.0125)).toBe(`▏${" ".repeat(9)}`);
    expect(bar(0.1875, 4)).toBe("▊   ");
  });

  it("clamps shares outside 0..1", () => {
    expect(bar(3)).toBe(bar(1));
    expect(bar(-0.5)).toBe(bar(0));
  });

  it("grows with the share", () => {
    const filled = (s: number) => bar(s).trimEnd().length;
    expect(filled(0.2)).toBeLessThan(filled(0.6));
  });
});

describe("shortTime", () => {
  it("shows an ISO time as date and minutes", () => {
    expect(shortTime("2026-11-29T13:51:07Z")).toBe("2026-11-29 13:51");
  });

  it("shows ? for an unknown time", () => {
    expect(shortTime(null)).toBe("?");
  });
});

describe("table", () => {
  it("aligns every column on its widest cell, two spaces apart", () => {
    expect(
      table([
        ["NAME", "SIZE", "REFS"],
        ["a", "5.2 MB", "1"],
        ["longer_name", "0 B", "12"],
      ]),
    ).toEqual(["NAME         SIZE    REFS", "a            5.2 MB  1", "longer_name  0 B     12"]);
  });

  it("does not pad the last column, so lines have no trailing blanks", () => {
    const lines = table([
      ["A", "last column"],
      ["bbbbbb", "x"],
    ]);
    for (const l of lines) expect(l).toBe(l.trimEnd());
    expect(lines).toEqual(["A       last column", "bbbbbb  x"]);
  });

  it("drops the trailing blanks of an empty last cell", () => {
    expect(table([["abc", ""]])).toEqual(["abc"]);
  });

  it("starts each column at the same offset on every line", () => {
    const lines = table([
      ["x", "yy", "z"],
      ["xxxx", "y", "zzz"],
    ]);
    expect(lines.map((l) => l.indexOf(l.split(/\s{2,}/)[1] ?? ""))).toEqual([6, 6]);
  });

  it("returns nothing for no rows", () => {
    expect(table([])).toEqual([]);
  });
});

describe("num, plural and clip", () => {
  it("writes counts with thousands separators, and the word with an s unless the count is 1", () => {
    expect(num(1234567)).toBe("1,234,567");
    expect(plural(0, "volume")).toBe("0 volumes");
    expect(plural(1, "volume")).toBe("1 volume");
    expect(plural(1200, "host")).toBe("1,200 hosts");
  });

  it("cuts text to at most max characters, the last one an ellipsis", () => {
    expect(clip("abcdef", 6)).toBe("abcdef");
    expect(clip("abcdefg", 6)).toBe("abcde…");
    expect(clip("abcdefg", 6)).toHaveLength(6);
  });
});

// normaliseTime (src/docker/parse.ts): its fast path (a time already in UTC seconds is returned as
// it is) gives what the general path (Date.parse, then toISOString) gives, including where
// Date.parse rolls a field over.
import { describe, expect, it } from "vitest";
import { normaliseTime } from "../../../src/docker/parse.js";

function general(v: string): string | null {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return null;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

describe("normaliseTime on times already in UTC seconds", () => {
  it.each([
    "2026-12-01T21:30:39Z",
    "2024-02-29T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "1900-02-29T12:00:00Z",
    "2000-02-29T12:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-04-31T10:00:00Z",
    "2026-12-01T24:00:00Z",
    "2026-12-01T23:59:60Z",
    "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z",
    "2026-12-00T10:00:00Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
  ])("%s as Date.parse and toISOString read it", (v) => {
    expect(normaliseTime(v)).toBe(general(v));
  });

  it("returns every real instant's own text", () => {
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor(Math.random() * 253_402_300_799_000);
      const s = new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
      expect(normaliseTime(s)).toBe(s);
    }
  });
});

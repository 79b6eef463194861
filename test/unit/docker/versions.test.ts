// Unit tests of src/docker/versions.ts: Engine API version negotiation.
import { describe, expect, it } from "vitest";
import {
  compareVersions,
  MAX_API_VERSION,
  MIN_API_VERSION,
  negotiateApiVersion,
} from "../../../src/docker/versions.js";
import { HostError } from "../../../src/errors.js";

function hostError(fn: () => unknown): HostError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(HostError);
  return err as HostError;
}

describe("compareVersions", () => {
  it("compares the minor part as a number, not as text", () => {
    expect(compareVersions("1.9", "1.10")).toBeLessThan(0);
    expect(compareVersions("1.10", "1.9")).toBeGreaterThan(0);
  });

  it("says equal versions are equal", () => {
    expect(compareVersions("1.41", "1.41")).toBe(0);
  });

  it("orders by the major part first", () => {
    expect(compareVersions("2.0", "1.99")).toBeGreaterThan(0);
    expect(compareVersions("1.52", "2.1")).toBeLessThan(0);
  });

  it("sorts a list of versions numerically", () => {
    expect(["1.52", "1.9", "1.41", "1.100", "1.10"].sort(compareVersions)).toEqual([
      "1.9",
      "1.10",
      "1.41",
      "1.52",
      "1.100",
    ]);
  });
});

describe("negotiateApiVersion", () => {
  it("supports Docker 20.10 (1.41) up to 1.52", () => {
    expect(MIN_API_VERSION).toBe("1.41");
    expect(MAX_API_VERSION).toBe("1.52");
  });

  it.each([
    ["1.41", "1.41"],
    ["1.42", "1.42"],
    ["1.51", "1.51"],
    ["1.52", "1.52"],
    ["1.53", MAX_API_VERSION],
    ["1.60", MAX_API_VERSION],
  ])("speaks to an engine at %s with %s", (engine, chosen) => {
    expect(negotiateApiVersion("h", engine, "1.24")).toBe(chosen);
  });

  it("accepts an engine that does not give its minimum", () => {
    expect(negotiateApiVersion("h", "1.41", undefined)).toBe("1.41");
    expect(negotiateApiVersion("h", "1.45", null)).toBe("1.45");
  });

  it.each(["1.40", "1.24", "1.9"])("refuses an engine at %s, below Docker 20.10", (engine) => {
    const err = hostError(() => negotiateApiVersion("old-host", engine, "1.12"));
    expect(err.host).toBe("old-host");
    expect(err.failure).toBe("api");
    expect(err.message).toMatch(/^old-host: /);
    expect(err.message).toContain(engine);
    expect(err.message).toContain("1.41");
    expect(err.hint).toMatch(/Upgrade Docker/);
  });

  it("refuses an engine whose minimum is above the version dvol would use", () => {
    const err = hostError(() => negotiateApiVersion("new-host", "1.60", "1.53"));
    expect(err.host).toBe("new-host");
    expect(err.failure).toBe("api");
    expect(err.message).toContain("1.53");
    expect(err.hint).toMatch(/Upgrade dvol/);
  });

  it("accepts an engine whose minimum is exactly the version dvol would use", () => {
    expect(negotiateApiVersion("h", "1.60", "1.52")).toBe("1.52");
    expect(negotiateApiVersion("h", "1.44", "1.44")).toBe("1.44");
  });

  it("compares the minimum numerically (1.9 is below 1.41)", () => {
    expect(negotiateApiVersion("h", "1.41", "1.9")).toBe("1.41");
  });
});

// Unit tests of src/config/validate.ts: the bounds of the config's numbers and rules (issue 10),
// each error naming its key, and the worker's timeout agreeing with serverless.yml.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  MAX_HOST_TIMEOUT_SECONDS,
  MAX_SIZES_TIMEOUT_SECONDS,
  MAX_TTL_HOURS,
  REPORT_FUNCTION_TIMEOUT_SECONDS,
  REPORT_MARGIN_SECONDS,
  validateConfig,
  WORKER_FUNCTION_TIMEOUT_SECONDS,
  WORKER_MARGIN_SECONDS,
} from "../../../src/config/validate.js";
import { ConfigError } from "../../../src/errors.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");

function validate(doc: Record<string, unknown>, host: Record<string, unknown> = {}) {
  return validateConfig({ hosts: [{ name: "a", socket: "/s", ...host }], ...doc }, "/etc/dvol.yaml", "/etc");
}

function errorOf(f: () => unknown): ConfigError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("host timeoutSeconds: positive, and within the worker function's timeout", () => {
  it.each([
    [0, /expected a positive number, got number 0/],
    [-5, /expected a positive number/],
    [Number.POSITIVE_INFINITY, /expected a positive number/],
    ["20", /expected a positive number, got string "20"/],
    [
      MAX_HOST_TIMEOUT_SECONDS + 0.5,
      /is more than 52, the most allowed: half of the worker function's timeout \(120 s/,
    ],
    [600, /600 is more than 52/],
  ])("refuses %s", (value, message) => {
    const err = errorOf(() => validate({}, { timeoutSeconds: value }));
    expect(err.key).toBe("hosts[0] (a).timeoutSeconds");
    expect(err.message).toMatch(/^config: hosts\[0\] \(a\)\.timeoutSeconds: /);
    expect(err.message).toMatch(message);
  });

  it.each([
    [0.5, 500],
    [20, 20_000],
    [MAX_HOST_TIMEOUT_SECONDS, MAX_HOST_TIMEOUT_SECONDS * 1000],
  ])("accepts %s (a deadline of %d ms)", (value, ms) => {
    expect(validate({}, { timeoutSeconds: value }).hosts[0]?.timeoutMs).toBe(ms);
  });

  it("names the host of the bad entry", () => {
    const err = errorOf(() =>
      validateConfig(
        {
          hosts: [
            { name: "ok", socket: "/s" },
            { name: "slow", socket: "/t", timeoutSeconds: 300 },
          ],
        },
        null,
        "/",
      ),
    );
    expect(err.key).toBe("hosts[1] (slow).timeoutSeconds");
  });

  it("the bound is serverless.yml's worker timeout less the margin, and the two files agree", () => {
    // CloudFormation's tags (!Ref, !GetAtt…) are left unresolved: only the functions are read.
    const sls = parse(readFileSync(path.join(ROOT, "serverless.yml"), "utf8"), { logLevel: "error" }) as {
      functions: Record<string, { timeout?: number }>;
    };
    expect(sls.functions.worker?.timeout).toBe(WORKER_FUNCTION_TIMEOUT_SECONDS);
    // A deletion stops starting volumes at (host deadline + margin) before the end: at least as
    // long must be left to work in.
    expect(2 * MAX_HOST_TIMEOUT_SECONDS + WORKER_MARGIN_SECONDS).toBeLessThanOrEqual(
      WORKER_FUNCTION_TIMEOUT_SECONDS,
    );
    expect(WORKER_MARGIN_SECONDS).toBeGreaterThan(0);
    // The report function asks the hosts too, with more time than the worker.
    expect(sls.functions.report?.timeout).toBeGreaterThanOrEqual(WORKER_FUNCTION_TIMEOUT_SECONDS);
  });
});

describe("requests.ttlHours: positive, at most a year", () => {
  it.each([
    [0, /expected a positive number/],
    [-1, /expected a positive number/],
    [Number.NaN, /expected a positive number/],
    [MAX_TTL_HOURS + 1, /8761 is more than 8760, the most allowed: a year/],
    [100_000, /is more than 8760/],
  ])("refuses %s", (value, message) => {
    const err = errorOf(() => validate({ requests: { ttlHours: value } }));
    expect(err.key).toBe("requests.ttlHours");
    expect(err.message).toMatch(/^config: requests\.ttlHours: /);
    expect(err.message).toMatch(message);
  });

  it.each([0.5, 24, MAX_TTL_HOURS])("accepts %s", (value) => {
    expect(validate({ requests: { ttlHours: value } }).requests.ttlHours).toBe(value);
  });

  it("is 24 when not given", () => {
    expect(validate({}).requests.ttlHours).toBe(24);
    expect(MAX_TTL_HOURS).toBe(8760);
  });
});

// --- sizes (issue 12) ---
describe("sizes.timeoutSeconds: positive, within the report function's timeout", () => {
  it.each([
    [0, /expected a positive number/],
    [-5, /expected a positive number/],
    ["600", /expected a positive number/],
    [MAX_SIZES_TIMEOUT_SECONDS + 1, /781 is more than 780, the most allowed: the report function's timeout/],
  ])("refuses %s", (value, message) => {
    const err = errorOf(() => validate({ sizes: { timeoutSeconds: value } }));
    expect(err.key).toBe("sizes.timeoutSeconds");
    expect(err.message).toMatch(/^config: sizes\.timeoutSeconds: /);
    expect(err.message).toMatch(message);
  });

  it("refuses an unknown key under sizes, naming it", () => {
    expect(errorOf(() => validate({ sizes: { timeout: 5 } })).message).toMatch(/sizes/);
  });

  it.each([1, 30, 600, MAX_SIZES_TIMEOUT_SECONDS])("accepts %s", (value) => {
    expect(validate({ sizes: { timeoutSeconds: value } }).sizes?.timeoutMs).toBe(value * 1000);
  });

  it("is 600 s when not given, and the bound is serverless.yml's report timeout less the margin", () => {
    expect(validate({}).sizes?.timeoutMs).toBe(600_000);
    const sls = parse(readFileSync(path.join(ROOT, "serverless.yml"), "utf8"), { logLevel: "error" }) as {
      functions: Record<string, { timeout?: number }>;
    };
    expect(sls.functions.report?.timeout).toBe(REPORT_FUNCTION_TIMEOUT_SECONDS);
    expect(MAX_SIZES_TIMEOUT_SECONDS).toBe(REPORT_FUNCTION_TIMEOUT_SECONDS - REPORT_MARGIN_SECONDS);
  });
});

describe("protect.labels: every entry has a key", () => {
  it.each([
    [["=v"], "protect.labels[0]"],
    [["dvol.protect=true", "=true"], "protect.labels[1]"],
    [[" =x"], "protect.labels[0]"],
    [["="], "protect.labels[0]"],
    [[""], "protect.labels[0]"],
    [["a", 5], "protect.labels[1]"],
  ])("refuses %j (%s)", (labels, key) => {
    const err = errorOf(() => validate({ protect: { labels } }));
    expect(err.key).toBe(key);
    expect(err.message).toMatch(new RegExp(`^config: ${key.replace(/[[\]]/g, "\\$&")}: `));
  });

  it("says a key is missing", () => {
    expect(errorOf(() => validate({ protect: { labels: ["=v"] } })).message).toBe(
      'config: protect.labels[0]: "=v" has no label key: write KEY or KEY=VALUE',
    );
  });

  it.each([
    ["dvol.protect", { key: "dvol.protect", value: undefined }],
    ["dvol.protect=true", { key: "dvol.protect", value: "true" }],
    ["k=", { key: "k", value: "" }],
    ["k=a=b", { key: "k", value: "a=b" }],
  ])("accepts %j", (label, rule) => {
    expect(validate({ protect: { labels: [label] } }).protect.labels).toEqual([rule]);
  });
});

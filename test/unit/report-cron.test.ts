// Unit tests of the local report schedule's cron (src/report/cron.ts).
import { describe, expect, it } from "vitest";
import { parseCron, scheduleCron } from "../../src/report/cron.js";
import { startServer } from "../../src/server.js";
import { writeConfig } from "../support/dvol.js";

const at = (iso: string) => new Date(iso);

describe("parseCron", () => {
  it("matches minute, hour, day, month and weekday in UTC", () => {
    const daily = parseCron("0 8 * * *");
    expect(daily(at("2026-11-29T08:00:00Z"))).toBe(true);
    expect(daily(at("2026-11-29T08:01:00Z"))).toBe(false);
    expect(daily(at("2026-11-29T09:00:00Z"))).toBe(false);
    const weekdays = parseCron("30 7 * * 1-5");
    expect(weekdays(at("2026-11-30T07:30:00Z"))).toBe(true); // Monday
    expect(weekdays(at("2026-11-29T07:30:00Z"))).toBe(false); // Sunday
    expect(parseCron("*/15 * * * *")(at("2026-11-29T10:45:00Z"))).toBe(true);
    expect(parseCron("*/15 * * * *")(at("2026-11-29T10:46:00Z"))).toBe(false);
    expect(parseCron("0 0 1,15 * *")(at("2026-11-15T00:00:00Z"))).toBe(true);
    expect(parseCron("0 0 * * 7")(at("2026-11-29T00:00:00Z"))).toBe(true);
    // Both day fields restricted: either is enough.
    const either = parseCron("0 0 1 * 1");
    expect(either(at("2026-11-30T00:00:00Z"))).toBe(true);
    expect(either(at("2026-12-01T00:00:00Z"))).toBe(true);
    expect(either(at("2026-12-02T00:00:00Z"))).toBe(false);
  });

  it("refuses what it does not understand", () => {
    for (const bad of [
      "",
      "0 8 * *",
      "60 * * * *",
      "* 24 * * *",
      "a * * * *",
      "5-1 * * * *",
      "*/0 * * * *",
    ]) {
      expect(() => parseCron(bad), bad).toThrow(/cron/);
    }
  });
});

describe("scheduleCron", () => {
  it("runs the job at matching minutes and stops", async () => {
    let runs = 0;
    const s = scheduleCron(
      () => true,
      async () => {
        runs++;
      },
      { now: () => 59_990 },
    );
    await new Promise((r) => setTimeout(r, 200));
    s.stop();
    expect(runs).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(runs).toBe(1);
  });
});

describe("npm start with DVOL_REPORT_CRON", () => {
  it("refuses to start with an expression it cannot read", async () => {
    const config = writeConfig([{ name: "host1", socket: "/nonexistent/docker.sock" }], {
      report: { channel: "C0REPORT" },
    });
    await expect(
      startServer({
        env: {
          SLACK_SIGNING_SECRET: "s",
          SLACK_BOT_TOKEN: "xoxb-test",
          DVOL_CONFIG: config,
          DVOL_REPORT_CRON: "0 25 * * *",
        },
        port: 0,
        host: "127.0.0.1",
        logger: { info() {}, warn() {}, error() {} },
      }),
    ).rejects.toThrow(/cron: hour/);
  });
});

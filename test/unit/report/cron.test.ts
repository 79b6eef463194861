// Unit tests of the local report schedule's cron (src/report/cron.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseCron, scheduleCron } from "../../../src/report/cron.js";
import { startServer } from "../../../src/server.js";
import { writeConfig } from "../../support/dvol.js";

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
  // On vitest's fake timers: scheduleCron's setTimeout and Date.now (its default clock) are both
  // the fake ones, so minutes pass without waiting for them.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 59_990 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs the job at matching minutes and stops", async () => {
    const ran: string[] = [];
    const odd = (at: Date) => at.getUTCMinutes() % 2 === 1;
    const s = scheduleCron(odd, async () => {
      ran.push(new Date(Date.now()).toISOString());
    });
    await vi.advanceTimersByTimeAsync(4 * 60_000);
    expect(ran).toEqual(["1970-01-01T00:01:00.050Z", "1970-01-01T00:03:00.050Z"]);
    s.stop();
    await vi.advanceTimersByTimeAsync(4 * 60_000);
    expect(ran).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("runs once in a minute, even when its timer fires twice in it (a clock that stands still)", async () => {
    let runs = 0;
    const s = scheduleCron(
      () => true,
      async () => {
        runs++;
      },
      { now: () => 59_990 },
    );
    await vi.advanceTimersByTimeAsync(200);
    s.stop();
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(runs).toBe(1);
  });

  it("does not start a run while the last one is still going", async () => {
    let runs = 0;
    let finish = () => {};
    const s = scheduleCron(
      () => true,
      () => {
        runs++;
        return new Promise<void>((r) => {
          finish = r;
        });
      },
    );
    await vi.advanceTimersByTimeAsync(3 * 60_000);
    expect(runs).toBe(1);
    finish();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toBe(2);
    s.stop();
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

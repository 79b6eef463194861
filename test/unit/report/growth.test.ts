// Unit tests of growth in the daily report (src/report/growth.ts through postDailyReport) on the
// fake engine, two reports a day apart with an injected clock.
import { describe, expect, it } from "vitest";
import type { Config } from "../../../src/config/types.js";
import { postDailyReport } from "../../../src/jobs/run-report.js";
import { reportJson } from "../../../src/report/dangling.js";
import { GROWERS } from "../../../src/report/growth.js";
import { SizeKeeper } from "../../../src/sizes/keeper.js";
import type { SlackOutbox } from "../../../src/slack/post.js";
import { MemoryStore } from "../../../src/store/memory.js";
import { manualClock } from "../../support/clock.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";

const config: Config = { ...fakeConfig(), report: { channel: "C0REPORT" } };

describe("growth in the daily report", () => {
  it("compares each dangling volume and the host's dangling space with the previous report, and names the biggest growers", async () => {
    const clock = manualClock("2026-12-01T08:00:00Z");
    const store = new MemoryStore({ now: clock.ms });
    const engine = new FakeEngine()
      .addVolume({ name: "cache", sizeBytes: 1_000_000, createdAt: "2026-11-01T00:00:00Z" })
      .addVolume({ name: "db", sizeBytes: 5_000_000, createdAt: "2026-11-01T00:00:00Z" })
      .addVolume({ name: "logs", sizeBytes: 100, createdAt: "2026-11-01T00:00:00Z" })
      .addContainer({ name: "db-1", state: "running", volumes: ["db"] });
    const posts: string[] = [];
    const slack: SlackOutbox = {
      async post(channel, msg) {
        posts.push(JSON.stringify(msg.blocks));
        return { channel, ts: `${posts.length}.0`, fileId: null };
      },
      async respond() {},
    };
    const report = () =>
      postDailyReport({
        config: async () => config,
        connect: () => engine.factory(),
        slack,
        store: async () => store,
        now: clock.now,
        sizeKeeper: new SizeKeeper(),
        logger: { info() {}, warn() {}, error() {} },
      });
    const day1 = await report();
    if (day1.status !== "posted") throw new Error(JSON.stringify(day1));
    expect(reportJson(day1.result).hosts[0]).toMatchObject({ growth: null, sizesLate: null });

    clock.advance(86_400_000);
    engine.addVolume({ name: "cache", sizeBytes: 3_100_000, createdAt: "2026-11-01T00:00:00Z" });
    engine.addVolume({ name: "db", sizeBytes: 5_500_000, createdAt: "2026-11-01T00:00:00Z" });
    engine.addVolume({ name: "new", sizeBytes: 7_000, createdAt: "2026-12-01T12:00:00Z" });
    const day2 = await report();
    if (day2.status !== "posted") throw new Error(JSON.stringify(day2));
    const h = reportJson(day2.result).hosts[0];
    if (!h?.ok) throw new Error(JSON.stringify(h));
    expect(h.volumes.map((v) => [v.name, v.sizeBytes, v.growthBytes])).toEqual([
      ["cache", 3_100_000, 2_100_000],
      ["new", 7_000, null],
      ["logs", 100, 0],
    ]);
    expect(h.growth).toEqual({
      since: "2026-12-01",
      danglingBytesBefore: 1_000_100,
      // The volume in use grew too: growers are among all of the host's volumes.
      growers: [
        { name: "cache", sizeBytes: 3_100_000, growthBytes: 2_100_000 },
        { name: "db", sizeBytes: 5_500_000, growthBytes: 500_000 },
      ],
    });
    expect(GROWERS).toBe(5);
    expect(posts[1]).toContain("(+2.1 MB since yesterday)");
    expect(posts[1]).toContain("grew most since yesterday: cache +2.1 MB, db +500 kB");
    expect((await store.getSizes("host1", "reported"))?.history).toEqual([
      {
        day: "2026-12-01",
        measuredAt: "2026-12-01T08:00:00.000Z",
        totalBytes: 6_000_100,
        danglingBytes: 1_000_100,
        volumeCount: 3,
      },
      {
        day: "2026-12-02",
        measuredAt: "2026-12-02T08:00:00.000Z",
        totalBytes: 8_607_100,
        danglingBytes: 3_107_100,
        volumeCount: 4,
      },
    ]);
  });
});

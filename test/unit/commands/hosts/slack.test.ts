// Unit tests of `hosts` in Slack (src/commands/hosts/slack.ts), on results built by hand: what a user
// reads in the channel, within Slack's limits.
import { describe, expect, it } from "vitest";
import type { HostsResult } from "../../../../src/commands/hosts/run.js";
import { renderHostsSlack } from "../../../../src/commands/hosts/slack.js";
import { down, hostRow, shown } from "../../../support/read-results.js";
import { expectWithinSlackLimits } from "../../../support/slack-limits.js";

describe("renderHostsSlack", () => {
  const result: HostsResult = {
    command: "hosts",
    hosts: [
      { host: "host1", ok: true, error: null, ...hostRow() },
      down(
        "host2",
        "connection refused (tcp://10.0.0.6:2376)",
        "Check that dockerd listens on that address.",
      ),
      {
        host: "old",
        ok: true,
        error: null,
        ...hostRow({
          engineVersion: "20.10.24",
          apiVersion: "1.41",
          engineApiVersion: "1.41",
          storageDriver: "vfs",
          volumeCount: 1,
        }),
      },
    ],
  };

  it("has one line per host, in order: ✅ with engine, API, storage driver and volume count", () => {
    const msg = renderHostsSlack(result);
    expectWithinSlackLimits(msg);
    const lines = shown(msg).split("\n");
    const h1 = lines.find((l) => l.includes("*host1*")) ?? "";
    expect(h1).toMatch(/^✅ /);
    expect(h1).toContain("Docker 28.0.1");
    expect(h1).toContain("API 1.51");
    expect(h1).toContain("overlay2");
    expect(h1).toContain("42 volumes");
    const old = lines.find((l) => l.includes("*old*")) ?? "";
    expect(old).toMatch(/^✅ .*Docker 20\.10\.24.*API 1\.41.*vfs.*1 volume\b/);
    const order = ["*host1*", "*host2*", "*old*"].map((n) => shown(msg).indexOf(n));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("shows an unreachable host with ❌, the reason and the hint", () => {
    const msg = renderHostsSlack(result);
    const text = shown(msg);
    expect(text).toMatch(/❌ \*host2\* unreachable: connection refused \(tcp:\/\/10\.0\.0\.6:2376\)/);
    expect(text).toContain("Check that dockerd listens on that address.");
    expect(msg.text).toContain("unreachable: host2");
    expect(shown(msg)).toContain("2 reachable, 1 unreachable");
  });

  it("attaches the whole list when there are too many hosts for one message", () => {
    const many: HostsResult = {
      command: "hosts",
      hosts: Array.from({ length: 400 }, (_, i) =>
        i % 10 === 9
          ? down(`host-${i}`, "timed out after 10 s")
          : { host: `host-${i}`, ok: true, error: null, ...hostRow() },
      ),
    };
    const msg = renderHostsSlack(many);
    expectWithinSlackLimits(msg);
    expect(msg.file?.filename).toBe("dvol-hosts-400-hosts.txt");
    for (let i = 0; i < 400; i++) expect(msg.file?.content).toContain(`host-${i} `);
    expect(shown(msg)).toContain("attached as dvol-hosts-400-hosts.txt");
    expect(shown(msg)).toContain("the rest is in dvol-hosts-400-hosts.txt");
  });
});

// Unit tests of `ls` in Slack (src/commands/ls/slack.ts), on results built by hand: what a user
// reads in the channel, within Slack's limits.
import { describe, expect, it } from "vitest";
import { MAX_SECTION_TEXT } from "../../../../src/blocks/limits.js";
import { type LsResult, lsTotals } from "../../../../src/commands/ls/run.js";
import { renderLsSlack } from "../../../../src/commands/ls/slack.js";
import {
  blockTexts,
  codeLines,
  down,
  largest,
  lsHost,
  MB,
  manyVolumes,
  raw,
  sectionsOf,
  shown,
  vol,
} from "../../../support/read-results.js";
import { expectWithinSlackLimits } from "../../../support/slack-limits.js";

describe("renderLsSlack", () => {
  it("shows a host's count, total and dangling, then its volumes in the command's order", () => {
    const volumes = [
      vol("big", { sizeBytes: 2_500_000_000, refCount: 0 }),
      vol("app_data", { sizeBytes: 5_242_880, project: "app" }),
      vol("anon", { sizeBytes: null, refCount: null }),
    ];
    const msg = renderLsSlack({ command: "ls", hosts: [lsHost("host1", volumes)] });
    expectWithinSlackLimits(msg);
    expect(msg.file).toBeUndefined();
    const text = shown(msg);
    expect(text).toContain("*host1* · 3 volumes · 2.5 GB (size unknown for 1) · 1 dangling (2.5 GB)");
    const code = codeLines(msg);
    expect(code[0]).toMatch(/^NAME +SIZE +REFS +PROJECT +CREATED +DANGLING$/);
    expect(code.slice(1).map((l) => l.split(/ +/)[0])).toEqual(["big", "app_data", "anon"]);
    expect(code[1]).toMatch(/^big +2\.5 GB +0 +- +2026-11-29 13:51 +yes$/);
    expect(code[2]).toMatch(/^app_data +5\.2 MB +1 +app +2026-11-29 13:51 +no$/);
    expect(code[3]).toMatch(/^anon +\? +\? +- +2026-11-29 13:51 +\?$/);
    expect(raw(msg)).not.toContain("5242880");
    expect(msg.text).toBe("dvol ls host1: 3 volumes, 2.5 GB, 1 dangling");
  });

  it("with --limit: the host's totals (count, size, dangling, share), and how many rows are shown of how many", () => {
    // host1: 40 volumes of 10 MB, 30 dangling; --limit 2 shows 2 of them. host2: 1 of 1, 100 MB.
    const all = Array.from({ length: 40 }, (_, i) =>
      vol(`v${i}`, { sizeBytes: 10 * MB, refCount: i < 30 ? 0 : 1 }),
    );
    const msg = renderLsSlack({
      command: "ls",
      hosts: [
        lsHost("host1", all.slice(0, 2), 40, lsTotals(all)),
        lsHost("host2", [vol("b", { sizeBytes: 100 * MB })]),
      ],
    });
    expectWithinSlackLimits(msg);
    expect(shown(msg)).toContain("*host1* · 40 volumes (showing 2 of 40) · 400 MB · 30 dangling (300 MB)");
    expect(shown(msg)).toContain("*host2* · 1 volume · 100 MB · none dangling");
    // The share is of the host's 400 MB, not of the 20 MB shown: 80% against 20%.
    const code = codeLines(msg);
    expect(code.find((l) => l.startsWith("host1"))).toMatch(/^host1 +40 +400 MB +30 \(300 MB\) +█+ +80%$/);
    expect(code.find((l) => l.startsWith("host2"))).toMatch(/^host2 +1 +100 MB +0 +█+ +20%$/);
    expect(JSON.stringify(msg.blocks[0])).toContain("41 volumes · 500 MB");
  });

  it("shows each host's share with a bar across several hosts, and a failed host with its error", () => {
    const msg = renderLsSlack({
      command: "ls",
      hosts: [
        lsHost("host1", [vol("a", { sizeBytes: 750 * MB })]),
        lsHost("host2", [vol("b", { sizeBytes: 250 * MB, refCount: 0 })]),
        down("host3", "connection refused", "Is dockerd running on host3?"),
        lsHost("empty", []),
      ],
    });
    expectWithinSlackLimits(msg);
    const code = codeLines(msg);
    expect(code).toContain("host1        1  750 MB           0  ███████▌   75%");
    expect(code).toContain("host2        1  250 MB  1 (250 MB)  ██▌        25%");
    expect(code.find((l) => l.startsWith("host3"))).toMatch(/unavailable$/);
    expect(shown(msg)).toContain("❌ *host3* unavailable: connection refused");
    expect(shown(msg)).toContain("Is dockerd running on host3?");
    expect(shown(msg)).toContain("*empty* · no volumes");
    expect(msg.text).toContain("unavailable: host3");
  });

  it("adds a DRIVER column only when a volume is not local", () => {
    const msg = renderLsSlack({ command: "ls", hosts: [lsHost("h", [vol("nfs-share", { driver: "nfs" })])] });
    expect(codeLines(msg)[0]).toMatch(/^NAME +DRIVER +SIZE/);
    expect(codeLines(msg)[1]).toMatch(/^nfs-share +nfs +5\.2 MB/);
  });

  it("splits a long table over several sections, each within 3,000 characters, none left out", () => {
    const volumes = Array.from({ length: 70 }, (_, i) =>
      vol(`${String(i).padStart(3, "0")}${"f".repeat(61)}`, { sizeBytes: i * MB }),
    );
    const msg = renderLsSlack({ command: "ls", hosts: [lsHost("host1", volumes)] });
    expectWithinSlackLimits(msg);
    expect(msg.file).toBeUndefined();
    const tables = sectionsOf(msg).filter((b) => blockTexts(b).join("").includes("```"));
    expect(tables.length).toBeGreaterThan(1);
    for (const b of tables) expect(blockTexts(b).join("").length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
    const names = codeLines(msg).map((l) => l.split(" ")[0]);
    expect(names.filter((n) => n !== "NAME")).toEqual(volumes.map((v) => v.name));
    // every block of the table starts with its header row
    expect(names.filter((n) => n === "NAME")).toHaveLength(tables.length);
  });

  it("escapes <, > and & in volume names, projects and errors: a label never pings anyone", () => {
    const msg = renderLsSlack({
      command: "ls",
      hosts: [
        lsHost("host1", [vol("data", { project: "<@U123> & <!channel>" })]),
        down("host2", "engine said <!here> & left"),
      ],
    });
    expectWithinSlackLimits(msg);
    const text = raw(msg);
    expect(text).toContain("&lt;@U123&gt; &amp; &lt;!channel&gt;");
    expect(text).toContain("engine said &lt;!here&gt; &amp; left");
    expect(text).not.toMatch(/<[@!]/);
    expect(text.replace(/&(amp|lt|gt);/g, "")).not.toMatch(/[<>&]/);
    expect(shown(msg)).toContain("<@U123> & <!channel>");
  });

  it("keeps a code block closed whatever a value contains", () => {
    const msg = renderLsSlack({ command: "ls", hosts: [lsHost("h", [vol("v", { project: "a```b" })])] });
    expect(codeLines(msg)[1]).toMatch(/^v .*a`\u200b`\u200b`b/);
  });

  it("one host with 5,000 volumes: a summary naming the largest, the whole list attached", () => {
    const volumes = manyVolumes("vol", 5000);
    const result: LsResult = { command: "ls", hosts: [lsHost("host1", volumes)] };
    const msg = renderLsSlack(result);
    expectWithinSlackLimits(msg);
    expect(msg.file).toBeDefined();
    expect(msg.file?.filename).toBe("dvol-ls-host1.txt");
    for (const v of volumes) expect(msg.file?.content).toContain(`${v.name} `);
    const text = shown(msg);
    expect(text).toContain("Full list attached as dvol-ls-host1.txt");
    expect(text).toContain("*host1* · 5,000 volumes");
    expect(text).toContain("1,667 dangling");
    const top = largest(volumes, 5);
    const listed = codeLines(msg)
      .filter((l) => !l.startsWith("NAME"))
      .map((l) => l.split(" ")[0]);
    expect(listed).toEqual(top.map((v) => v.name));
    expect(msg.text).toContain("5,000 volumes");
  });

  it("20 hosts × 500 volumes: each host's totals and largest volumes, the whole list attached", () => {
    const hosts = Array.from({ length: 20 }, (_, h) => lsHost(`web-${h}`, manyVolumes(`web${h}-data`, 500)));
    const msg = renderLsSlack({ command: "ls", hosts });
    expectWithinSlackLimits(msg);
    expect(msg.file?.filename).toBe("dvol-ls-20-hosts.txt");
    const content = msg.file?.content ?? "";
    for (const h of hosts) for (const v of h.ok ? h.volumes : []) expect(content).toContain(`${v.name} `);
    const text = shown(msg);
    expect(text).toContain("Full list attached as dvol-ls-20-hosts.txt");
    expect(text).toContain("10,000 volumes on 20 hosts");
    for (const h of hosts) {
      expect(text).toContain(`*${h.host}* · 500 volumes`);
      if (h.ok) expect(text).toContain(largest(h.volumes, 1)[0]?.name);
    }
    // the share of each host, as a bar
    expect(codeLines(msg).filter((l) => /^web-\d+ .*5%$/.test(l))).toHaveLength(20);
  });

  it("never leaves data out silently: all in the blocks, or all in the file and the message says so", () => {
    for (const count of [1, 40, 120, 300, 2000]) {
      const volumes = manyVolumes("v", count);
      const msg = renderLsSlack({ command: "ls", hosts: [lsHost("h", volumes), down("x", "timed out")] });
      expectWithinSlackLimits(msg);
      expect(shown(msg)).toContain("❌ *x* unavailable: timed out");
      if (msg.file) {
        expect(shown(msg)).toContain(`Full list attached as ${msg.file.filename}`);
        for (const v of volumes) expect(msg.file.content).toContain(v.name);
        expect(msg.file.content).toContain("x: unavailable: timed out");
      } else {
        const names = new Set(codeLines(msg).map((l) => l.split(" ")[0]));
        for (const v of volumes) expect(names.has(v.name)).toBe(true);
      }
    }
  });

  it("stays within limits with hundreds of hosts, telling where the rest is", () => {
    const hosts = Array.from({ length: 300 }, (_, h) => lsHost(`node-${h}`, manyVolumes(`n${h}`, 20)));
    const msg = renderLsSlack({ command: "ls", hosts });
    expectWithinSlackLimits(msg);
    expect(msg.file?.filename).toBe("dvol-ls-300-hosts.txt");
    for (const h of hosts) expect(msg.file?.content).toContain(`${h.host}: 20 volumes`);
    expect(shown(msg)).toContain("dvol-ls-300-hosts.txt");
  });
});

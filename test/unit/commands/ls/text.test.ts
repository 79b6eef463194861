// Unit tests of `ls` as text (src/commands/ls/text.ts).
import { describe, expect, it } from "vitest";
import { type LsResult, lsTotals, selectVolumes, toRow } from "../../../../src/commands/ls/run.js";
import { renderLsText } from "../../../../src/commands/ls/text.js";
import type { Volume } from "../../../../src/docker/model.js";
import { lsHost } from "../../../support/read-results.js";
import { cmd, VOLUMES, vol } from "../../../support/volumes.js";

describe("renderLsText", () => {
  const one = (over: Partial<Volume>[]): LsResult => ({
    command: "ls",
    hosts: [
      lsHost(
        "host1",
        over.map((o, i) => toRow(vol(`v${i}x`, o))),
      ),
    ],
  });

  it("shows a header per host and a row per volume with human sizes", () => {
    const data = selectVolumes(VOLUMES, cmd());
    const text = renderLsText({ command: "ls", hosts: [{ host: "host1", ok: true, error: null, ...data }] });
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^host1: 6 volumes, /);
    expect(lines[1]).toMatch(/^NAME\s+DRIVER\s+SIZE\s+REFS\s+PROJECT\s+CREATED\s+DANGLING$/);
    const row = lines.find((l) => l.startsWith("shop_db-data"));
    expect(row).toMatch(/shop_db-data\s+local\s+5\.2 MB\s+1\s+shop\s+2026-11-29 13:51\s+no$/);
    expect(lines.find((l) => l.startsWith("nfs-share"))).toMatch(/nfs-share\s+nfs\s+\?\s+\?\s+-\s+\?\s+\?$/);
    expect(lines.find((l) => l.startsWith("shop_cache"))).toMatch(/\s0 B\s.*\syes$/);
  });

  it("totals the known sizes in the header", () => {
    expect(
      renderLsText(one([{ sizeBytes: 5_000_000 }, { sizeBytes: 242_880 }, { sizeBytes: null }])),
    ).toMatch(/^host1: 3 volumes, 5\.2 MB$/m);
  });

  it("with --limit: the host's totals, and how many rows are shown of how many", () => {
    // 6 volumes, 905,284,880 bytes known in all (two of unknown size); --limit 2 shows the 2 largest.
    const data = selectVolumes(VOLUMES, cmd("--sort", "size", "--limit", "2"));
    const lines = renderLsText({
      command: "ls",
      hosts: [{ host: "host1", ok: true, error: null, ...data }],
    }).split("\n");
    expect(lines[0]).toBe("host1: 6 volumes, 905 MB; showing 2 of 6");
    expect(lines.slice(2).map((l) => l.split(/ +/)[0])).toEqual(["Old-Cache", "shop_db-data"]);
  });

  it("says 1 volume, and shows no table for none", () => {
    expect(renderLsText(one([{}])).split("\n")[0]).toBe("host1: 1 volume, 1.0 kB");
    expect(renderLsText(one([]))).toBe("host1: 0 volumes, 0 B");
  });

  it("aligns the columns", () => {
    const lines = renderLsText(one([{ driver: "local" }, { driver: "a-much-longer-driver" }]))
      .split("\n")
      .slice(1);
    const sizeAt = lines.map((l) => l.search(/SIZE|1\.0 kB/));
    expect(new Set(sizeAt).size).toBe(1);
  });

  it("reports an unreachable host with its error and hint, and still shows the others", () => {
    const text = renderLsText({
      command: "ls",
      hosts: [
        lsHost("host1", [toRow(VOLUMES[0] as Volume)]),
        {
          host: "host2",
          ok: false,
          error: "host2: connection refused (tcp://10.0.0.6:2376)",
          hint: "Is the engine running and listening on that address and port?",
        },
      ],
    });
    expect(text).toContain("shop_db-data");
    expect(text).toContain("host2: unavailable: connection refused (tcp://10.0.0.6:2376)");
    expect(text).toContain("  Is the engine running");
  });

  it("adds a share bar per host when several hosts answered", () => {
    const text = renderLsText({
      command: "ls",
      hosts: [
        lsHost("big", [toRow(vol("a1", { sizeBytes: 3000 }))]),
        lsHost("small", [toRow(vol("b1", { sizeBytes: 1000 }))]),
      ],
    });
    const lines = text.split("\n");
    expect(lines).toContain("HOST   SIZE    SHARE");
    expect(lines.find((l) => l.startsWith("big "))).toBe(`big    3.0 kB  ${"█".repeat(7)}▌`);
    expect(lines.find((l) => l.startsWith("small "))).toBe("small  1.0 kB  ██▌");
  });

  it("shows no summary for a single host", () => {
    expect(renderLsText(one([{}]))).not.toContain("SHARE");
  });

  it("with --limit across hosts: each host's share is of its totals, not of the rows shown", () => {
    // big: 1 row shown of 3 (1 kB shown, 9 kB in all); small: 1 of 1 (3 kB). 9 : 3 is 75% : 25%.
    const big = [4000, 4000, 1000].map((size, i) => toRow(vol(`a${i}`, { sizeBytes: size })));
    const text = renderLsText({
      command: "ls",
      hosts: [
        lsHost("big", big.slice(2), 3, lsTotals(big)),
        lsHost("small", [toRow(vol("b1", { sizeBytes: 3000 }))]),
      ],
    });
    const lines = text.split("\n");
    expect(lines[0]).toBe("big: 3 volumes, 9.0 kB; showing 1 of 3");
    expect(lines.find((l) => l.startsWith("big "))).toBe(`big    9.0 kB  ${"█".repeat(7)}▌`);
    expect(lines.find((l) => l.startsWith("small "))).toBe("small  3.0 kB  ██▌");
  });
});

// Unit tests of src/commands/ls.ts: filters, sort orders, limit, the JSON rows and the text rendering.
import { describe, expect, it } from "vitest";
import { type LsCommand, type LsResult, selectVolumes, toRow } from "../../../src/commands/ls.js";
import { renderLsText } from "../../../src/commands/ls-text.js";
import { parseCommand } from "../../../src/commands/parse.js";
import type { Volume } from "../../../src/docker/model.js";

const PROJECT = "com.docker.compose.project";

function vol(name: string, over: Partial<Volume> = {}): Volume {
  return {
    name,
    driver: "local",
    mountpoint: `/var/lib/docker/volumes/${name}/_data`,
    scope: "local",
    createdAt: "2026-01-01T00:00:00Z",
    labels: {},
    options: {},
    sizeBytes: 1000,
    refCount: 0,
    ...over,
  };
}

const VOLUMES: Volume[] = [
  vol("shop_db-data", {
    labels: { [PROJECT]: "shop", "com.docker.compose.volume": "db-data", env: "prod" },
    sizeBytes: 5_242_880,
    refCount: 1,
    createdAt: "2026-11-29T13:51:00Z",
  }),
  vol("shop_cache", {
    labels: { [PROJECT]: "shop", env: "dev" },
    sizeBytes: 0,
    refCount: 0,
    createdAt: "2026-03-01T00:00:00Z",
  }),
  vol("blog_uploads", {
    labels: { [PROJECT]: "blog", backup: "" },
    sizeBytes: 42_000,
    refCount: 2,
    createdAt: "2025-12-24T18:00:00Z",
  }),
  vol("nfs-share", { driver: "nfs", sizeBytes: null, refCount: null, createdAt: null }),
  vol("Old-Cache", { sizeBytes: 900_000_000, refCount: 0, createdAt: "2024-06-01T00:00:00Z" }),
  vol("scratch", {
    labels: { env: "prod" },
    sizeBytes: null,
    refCount: 0,
    createdAt: "2026-05-05T05:05:05Z",
  }),
];

/** The command exactly as a user would type it. */
function cmd(...options: string[]): LsCommand {
  const c = parseCommand(["ls", "host1", ...options]);
  if (c.name !== "ls") throw new Error("not ls");
  return c;
}

const namesOf = (...options: string[]) => selectVolumes(VOLUMES, cmd(...options)).volumes.map((v) => v.name);

describe("selectVolumes: filters", () => {
  it("lists every volume when no filter is given", () => {
    expect(selectVolumes(VOLUMES, cmd()).matched).toBe(VOLUMES.length);
  });

  it("--dangling keeps the volumes no container uses, not those whose use is unknown", () => {
    expect(namesOf("--dangling")).toEqual(["Old-Cache", "scratch", "shop_cache"]);
  });

  it("--project keeps the volumes of that compose project", () => {
    expect(namesOf("--project", "shop")).toEqual(["shop_cache", "shop_db-data"]);
    expect(namesOf("--project", "sho")).toEqual([]);
  });

  it("--label K keeps the volumes that have the label, whatever its value (even empty)", () => {
    expect(namesOf("--label", "env")).toEqual(["scratch", "shop_cache", "shop_db-data"]);
    expect(namesOf("--label", "backup")).toEqual(["blog_uploads"]);
  });

  // Found in review: --label K tested `K in labels`, which is true of names every object inherits
  // (constructor, toString, ...), so such a K matched volumes without the label.
  it("--label K does not match a volume without K when K is an Object.prototype name", () => {
    const plain = [vol("plain", { labels: { env: "prod" } })];
    for (const key of ["constructor", "toString", "__proto__"]) {
      expect(selectVolumes(plain, cmd("--label", key)).volumes, key).toEqual([]);
    }
  });

  it("--label K=V keeps the volumes whose label has exactly that value", () => {
    expect(namesOf("--label", "env=prod")).toEqual(["scratch", "shop_db-data"]);
    expect(namesOf("--label", "env=pro")).toEqual([]);
    expect(namesOf("--label", "backup=")).toEqual(["blog_uploads"]);
  });

  it("repeated --label options must all match", () => {
    expect(namesOf("--label", "env=prod", "--label", PROJECT)).toEqual(["shop_db-data"]);
    expect(namesOf("--label", "env=prod", "--label", "env=dev")).toEqual([]);
  });

  it("--driver keeps the volumes of that driver", () => {
    expect(namesOf("--driver", "nfs")).toEqual(["nfs-share"]);
    expect(namesOf("--driver", "local")).not.toContain("nfs-share");
  });

  it("--name keeps the volumes whose name contains the text, ignoring case", () => {
    expect(namesOf("--name", "cache")).toEqual(["Old-Cache", "shop_cache"]);
    expect(namesOf("--name", "SHOP")).toEqual(["shop_cache", "shop_db-data"]);
  });

  it("combines filters", () => {
    expect(namesOf("--project", "shop", "--dangling")).toEqual(["shop_cache"]);
    expect(namesOf("--dangling", "--name", "cache", "--driver", "local")).toEqual([
      "Old-Cache",
      "shop_cache",
    ]);
  });
});

describe("selectVolumes: sort orders", () => {
  it("sorts by name by default", () => {
    expect(namesOf()).toEqual([
      "Old-Cache",
      "blog_uploads",
      "nfs-share",
      "scratch",
      "shop_cache",
      "shop_db-data",
    ]);
  });

  it("--sort size puts the largest first and unknown sizes last, ties by name", () => {
    expect(namesOf("--sort", "size")).toEqual([
      "Old-Cache",
      "shop_db-data",
      "blog_uploads",
      "shop_cache",
      "nfs-share",
      "scratch",
    ]);
  });

  it("--sort created puts the newest first and unknown times last", () => {
    expect(namesOf("--sort", "created")).toEqual([
      "shop_db-data",
      "scratch",
      "shop_cache",
      "blog_uploads",
      "Old-Cache",
      "nfs-share",
    ]);
  });

  it("does not reorder the engine's list in place", () => {
    const copy = [...VOLUMES];
    selectVolumes(VOLUMES, cmd("--sort", "size"));
    expect(VOLUMES).toEqual(copy);
  });
});

describe("selectVolumes: limit", () => {
  it("--limit keeps the first N after sorting and reports how many matched", () => {
    const data = selectVolumes(VOLUMES, cmd("--sort", "size", "--limit", "2"));
    expect(data.matched).toBe(6);
    expect(data.volumes.map((v) => v.name)).toEqual(["Old-Cache", "shop_db-data"]);
  });

  it("counts matches after the filters, before the limit", () => {
    const data = selectVolumes(VOLUMES, cmd("--dangling", "--limit", "1"));
    expect(data.matched).toBe(3);
    expect(data.volumes).toHaveLength(1);
  });

  it("a limit above the number of matches changes nothing", () => {
    expect(selectVolumes(VOLUMES, cmd("--limit", "100")).volumes).toHaveLength(6);
  });
});

describe("toRow: the JSON row of SPEC §2", () => {
  it("has exactly the documented keys", () => {
    for (const v of VOLUMES) {
      expect(Object.keys(toRow(v)).sort()).toEqual(
        ["createdAt", "dangling", "driver", "labels", "name", "project", "refCount", "sizeBytes"].sort(),
      );
    }
  });

  it("matches the SPEC's example", () => {
    const row = toRow(
      vol("app_data", {
        sizeBytes: 5242880,
        refCount: 1,
        createdAt: "2026-11-29T13:51:00Z",
        labels: { [PROJECT]: "app" },
      }),
    );
    expect(JSON.parse(JSON.stringify(row))).toEqual({
      name: "app_data",
      driver: "local",
      sizeBytes: 5242880,
      refCount: 1,
      dangling: false,
      createdAt: "2026-11-29T13:51:00Z",
      project: "app",
      labels: { "com.docker.compose.project": "app" },
    });
  });

  it("has null size, ref count and dangling where the engine does not know", () => {
    expect(toRow(VOLUMES[3] as Volume)).toMatchObject({
      sizeBytes: null,
      refCount: null,
      dangling: null,
      project: null,
    });
  });

  it("is dangling exactly when no container refers to the volume", () => {
    expect(toRow(vol("a1", { refCount: 0 })).dangling).toBe(true);
    expect(toRow(vol("a1", { refCount: 3 })).dangling).toBe(false);
  });
});

describe("renderLsText", () => {
  const one = (over: Partial<Volume>[], matched?: number): LsResult => {
    const rows = over.map((o, i) => toRow(vol(`v${i}x`, o)));
    return {
      command: "ls",
      hosts: [{ host: "host1", ok: true, error: null, matched: matched ?? rows.length, volumes: rows }],
    };
  };

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

  it("says how many are shown when --limit cut the list", () => {
    expect(renderLsText(one([{}, {}], 7)).split("\n")[0]).toBe("host1: 7 volumes (showing 2), 2.0 kB");
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
        { host: "host1", ok: true, error: null, matched: 1, volumes: [toRow(VOLUMES[0] as Volume)] },
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
        { host: "big", ok: true, error: null, matched: 1, volumes: [toRow(vol("a1", { sizeBytes: 3000 }))] },
        {
          host: "small",
          ok: true,
          error: null,
          matched: 1,
          volumes: [toRow(vol("b1", { sizeBytes: 1000 }))],
        },
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
});

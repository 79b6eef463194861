// Unit tests of ls's filters, sort orders, limit and JSON rows (src/commands/ls/run.ts).
import { describe, expect, it } from "vitest";
import { selectVolumes, toRow } from "../../../../src/commands/ls/run.js";
import type { Volume } from "../../../../src/docker/model.js";
import { cmd, namesOf, PROJECT, VOLUMES, vol } from "../../../support/volumes.js";

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

  it("the totals are of every volume that matched, not of the rows shown; --json says shown of matched", () => {
    const data = selectVolumes(VOLUMES, cmd("--sort", "size", "--limit", "1"));
    // Shown: Old-Cache alone (900 MB). Matched: all 6, 2 of unknown size; dangling: Old-Cache,
    // shop_cache (0 B) and scratch (size unknown).
    expect(JSON.parse(JSON.stringify({ ...data, volumes: undefined }))).toEqual({
      matched: 6,
      shown: 1,
      totals: { sizeBytes: 905_284_880, sizeUnknown: 2, dangling: 3, danglingBytes: 900_000_000 },
    });
    expect(selectVolumes(VOLUMES, cmd("--dangling", "--limit", "1")).totals).toEqual({
      sizeBytes: 900_000_000,
      sizeUnknown: 1,
      dangling: 3,
      danglingBytes: 900_000_000,
    });
    const none = selectVolumes(VOLUMES, cmd("--name", "nothing-has-this"));
    expect(none).toEqual({
      matched: 0,
      shown: 0,
      totals: { sizeBytes: 0, sizeUnknown: 0, dangling: 0, danglingBytes: 0 },
      volumes: [],
    });
  });
});

describe("toRow: the JSON row of SPEC §2", () => {
  it("has exactly the documented keys", () => {
    for (const v of VOLUMES) {
      expect(Object.keys(toRow(v)).sort()).toEqual(
        [
          "createdAt",
          "dangling",
          "driver",
          "labels",
          "name",
          "project",
          "refCount",
          "sizeBytes",
          "sizeMeasuredAt",
        ].sort(),
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
      sizeMeasuredAt: null,
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

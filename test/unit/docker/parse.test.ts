// Unit tests of src/docker/parse.ts: from the engine's JSON (every supported API version) to dvol's model.
import { describe, expect, it } from "vitest";
import {
  dfVolumes,
  normaliseTime,
  parseContainerUses,
  parseDiskUsage,
  parseStorageInfo,
  parseVolume,
} from "../../../src/docker/parse.js";

/** A Volume object as the engine returns it in /system/df (same shape before and after API 1.52). */
function rawVolume(name: string, size: number, refCount: number, extra: Record<string, unknown> = {}) {
  return {
    Name: name,
    Driver: "local",
    Mountpoint: `/var/lib/docker/volumes/${name}/_data`,
    CreatedAt: "2026-11-29T13:51:00Z",
    Labels: {},
    Scope: "local",
    Options: null,
    UsageData: { Size: size, RefCount: refCount },
    ...extra,
  };
}

/**
 * A /system/df answer as released engines of API 1.52+ spell it: `VolumesDiskUsage` with
 * `TotalCount` and `ActiveCount`. (The `VolumeUsage` with `TotalVolumes` of the other tests is
 * how development builds of 1.52 spelt it.)
 */
const RELEASED_1_52 = {
  ImagesDiskUsage: { TotalCount: 3, ActiveCount: 1, TotalSize: 900, Reclaimable: 100 },
  ContainersDiskUsage: { TotalCount: 2, ActiveCount: 1, TotalSize: 50, Reclaimable: 20 },
  VolumesDiskUsage: {
    TotalCount: 2,
    ActiveCount: 1,
    TotalSize: 70,
    Reclaimable: 20,
    Items: [rawVolume("used", 50, 1), rawVolume("idle", 20, 0)],
  },
  BuildCacheDiskUsage: { TotalCount: 0, ActiveCount: 0, TotalSize: 0, Reclaimable: 0 },
};

const APP_DATA = rawVolume("app_data", 5242880, 1, {
  Labels: { "com.docker.compose.project": "app", "com.docker.compose.volume": "data" },
  Options: { type: "tmpfs", device: "tmpfs" },
});

describe("normaliseTime", () => {
  it("turns an offset time with nanoseconds into UTC seconds", () => {
    expect(normaliseTime("2026-11-29T15:51:00.123456789+02:00")).toBe("2026-11-29T13:51:00Z");
  });

  it("keeps a UTC time without fraction as it is", () => {
    expect(normaliseTime("2026-11-29T13:51:00Z")).toBe("2026-11-29T13:51:00Z");
  });

  it("truncates the fraction rather than rounding to the next second", () => {
    expect(normaliseTime("2026-11-29T13:51:00.999999999Z")).toBe("2026-11-29T13:51:00Z");
  });

  it("moves across the date line when the offset says so", () => {
    expect(normaliseTime("2026-01-01T01:30:00-05:00")).toBe("2026-01-01T06:30:00Z");
    expect(normaliseTime("2026-01-01T01:30:00+05:00")).toBe("2025-12-31T20:30:00Z");
  });

  it.each([undefined, null, "", "yesterday", 1732888260])("is null for %j", (v) => {
    expect(normaliseTime(v)).toBeNull();
  });
});

describe("parseVolume", () => {
  it("reads every field of an engine Volume", () => {
    expect(parseVolume({ ...APP_DATA, CreatedAt: "2026-11-29T15:51:00.5+02:00" })).toEqual({
      name: "app_data",
      driver: "local",
      mountpoint: "/var/lib/docker/volumes/app_data/_data",
      scope: "local",
      createdAt: "2026-11-29T13:51:00Z",
      labels: { "com.docker.compose.project": "app", "com.docker.compose.volume": "data" },
      options: { type: "tmpfs", device: "tmpfs" },
      sizeBytes: 5242880,
      refCount: 1,
    });
  });

  it("has null size and ref count when the engine does not give UsageData (GET /volumes)", () => {
    const v = parseVolume({ Name: "x1", Driver: "local", Labels: null, Options: null });
    expect(v.sizeBytes).toBeNull();
    expect(v.refCount).toBeNull();
    expect(v.labels).toEqual({});
    expect(v.options).toEqual({});
    expect(v.createdAt).toBeNull();
  });

  // Found in review: labels were copied with `out[k] = v`, and a label named __proto__ was lost
  // (assigning to __proto__ makes no own key).
  it("keeps a label literally named __proto__ as a label", () => {
    const [v] = dfVolumes(JSON.parse('{"Volumes":[{"Name":"x1","Labels":{"__proto__":"yes"}}]}'));
    expect(Object.hasOwn(v?.labels ?? {}, "__proto__")).toBe(true);
  });

  it("keeps a size of 0 (known empty) apart from -1 (unknown)", () => {
    expect(parseVolume(rawVolume("a1", 0, 0)).sizeBytes).toBe(0);
    expect(parseVolume(rawVolume("a1", -1, -1)).sizeBytes).toBeNull();
  });
});

describe("dfVolumes", () => {
  it("reads the volumes of a pre-1.52 answer (Volumes)", () => {
    const vols = dfVolumes({
      LayersSize: 0,
      Images: [],
      Containers: [],
      Volumes: [APP_DATA, rawVolume("old-cache", 1000, 0)],
      BuildCache: [],
    });
    expect(vols.map((v) => [v.name, v.sizeBytes, v.refCount])).toEqual([
      ["app_data", 5242880, 1],
      ["old-cache", 1000, 0],
    ]);
    expect(vols[0]?.labels["com.docker.compose.project"]).toBe("app");
  });

  it("reads the volumes of a 1.52+ answer (VolumeUsage.Items)", () => {
    const vols = dfVolumes({
      VolumeUsage: {
        ActiveVolumes: 1,
        TotalVolumes: 2,
        TotalSize: 5243880,
        Reclaimable: 1000,
        Items: [APP_DATA, rawVolume("old-cache", 1000, 0)],
      },
    });
    expect(vols.map((v) => [v.name, v.sizeBytes, v.refCount])).toEqual([
      ["app_data", 5242880, 1],
      ["old-cache", 1000, 0],
    ]);
    expect(vols[0]?.options).toEqual({ type: "tmpfs", device: "tmpfs" });
  });

  // Found in review: only the development builds' spelling (VolumeUsage) was read, so a released
  // 1.52+ engine's volumes came out empty.
  it("reads the volumes of a released 1.52+ answer (VolumesDiskUsage.Items)", () => {
    expect(dfVolumes(RELEASED_1_52).map((v) => [v.name, v.sizeBytes, v.refCount])).toEqual([
      ["used", 50, 1],
      ["idle", 20, 0],
    ]);
  });

  it("prefers VolumeUsage.Items over the legacy list when both are present", () => {
    const vols = dfVolumes({ Volumes: [rawVolume("legacy", 1, 0)], VolumeUsage: { Items: [APP_DATA] } });
    expect(vols.map((v) => v.name)).toEqual(["app_data"]);
  });

  it("turns -1 sizes and ref counts into null, in both shapes", () => {
    const unknown = rawVolume("nfs-share", -1, -1, { Driver: "nfs" });
    for (const raw of [{ Volumes: [unknown] }, { VolumeUsage: { Items: [unknown] } }]) {
      const [v] = dfVolumes(raw);
      expect(v?.sizeBytes).toBeNull();
      expect(v?.refCount).toBeNull();
    }
  });

  it("normalises CreatedAt with an offset and nanoseconds to UTC, in both shapes", () => {
    const v = rawVolume("tz", 1, 0, { CreatedAt: "2026-11-29T15:51:00.123456789+02:00" });
    expect(dfVolumes({ Volumes: [v] })[0]?.createdAt).toBe("2026-11-29T13:51:00Z");
    expect(dfVolumes({ VolumeUsage: { Items: [v] } })[0]?.createdAt).toBe("2026-11-29T13:51:00Z");
  });

  it.each([
    ["no volumes", { Volumes: [] }],
    ["Volumes: null", { Volumes: null }],
    ["an empty 1.52 summary", { VolumeUsage: { ActiveVolumes: 0, TotalVolumes: 0 } }],
    ["an empty body", null],
  ])("is empty for %s", (_what, raw) => {
    expect(dfVolumes(raw)).toEqual([]);
  });
});

describe("parseDiskUsage: pre-1.52 answers, computed as `docker system df` does", () => {
  const legacy = {
    LayersSize: 1000,
    Images: [
      { Id: "sha256:a", Size: 600, SharedSize: 100, Containers: 2 },
      { Id: "sha256:b", Size: 300, SharedSize: 100, Containers: 0 },
      { Id: "sha256:c", Size: 200, SharedSize: 0, Containers: 1 },
    ],
    Containers: [
      { Id: "1", State: "running", SizeRw: 10 },
      { Id: "2", State: "exited", SizeRw: 20 },
      { Id: "3", State: "paused", SizeRw: 40 },
      { Id: "4", State: "created", SizeRw: 80 },
    ],
    Volumes: [
      rawVolume("used", 100, 1),
      rawVolume("dangling", 50, 0),
      rawVolume("unknown", -1, -1),
      rawVolume("used-twice", 7, 2),
    ],
    BuildCache: [
      { ID: "c1", Size: 100, InUse: false, Shared: false },
      { ID: "c2", Size: 30, InUse: true, Shared: false },
      { ID: "c3", Size: 500, InUse: false, Shared: true },
    ],
  };

  it("counts images, those used by a container, and what removing the unused would free", () => {
    // used = (600-100) + (200-0) = 700; reclaimable = LayersSize - used = 300
    expect(parseDiskUsage(legacy).images).toEqual({
      count: 3,
      active: 2,
      sizeBytes: 1000,
      reclaimableBytes: 300,
    });
  });

  it("counts running, paused and restarting containers as active; the others are reclaimable", () => {
    expect(parseDiskUsage(legacy).containers).toEqual({
      count: 4,
      active: 2,
      sizeBytes: 150,
      reclaimableBytes: 100,
    });
  });

  it("counts volumes with a container as active; unknown sizes add nothing; dangling ones are reclaimable", () => {
    expect(parseDiskUsage(legacy).volumes).toEqual({
      count: 4,
      active: 2,
      sizeBytes: 157,
      reclaimableBytes: 50,
    });
  });

  it("leaves shared build cache out of the size and in-use cache out of the reclaimable", () => {
    expect(parseDiskUsage(legacy).buildCache).toEqual({
      count: 3,
      active: 1,
      sizeBytes: 130,
      reclaimableBytes: 100,
    });
  });

  it("never reports a negative reclaimable size", () => {
    const du = parseDiskUsage({
      LayersSize: 100,
      Images: [{ Size: 500, SharedSize: 0, Containers: 1 }],
    });
    expect(du.images?.reclaimableBytes).toBe(0);
  });

  it("has null for the types the engine was not asked about (type=volume)", () => {
    const du = parseDiskUsage({ Volumes: [rawVolume("v1", 10, 0)] });
    expect(du.images).toBeNull();
    expect(du.containers).toBeNull();
    expect(du.buildCache).toBeNull();
    expect(du.volumes).toEqual({ count: 1, active: 0, sizeBytes: 10, reclaimableBytes: 10 });
  });

  it("reports zeros, not nulls, for a type that is present but empty", () => {
    expect(
      parseDiskUsage({ LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] }),
    ).toEqual({
      images: { count: 0, active: 0, sizeBytes: 0, reclaimableBytes: 0 },
      containers: { count: 0, active: 0, sizeBytes: 0, reclaimableBytes: 0 },
      volumes: { count: 0, active: 0, sizeBytes: 0, reclaimableBytes: 0 },
      buildCache: { count: 0, active: 0, sizeBytes: 0, reclaimableBytes: 0 },
    });
  });
});

describe("parseDiskUsage: 1.52+ answers, taken as given", () => {
  const modern = {
    ImageUsage: {
      ActiveImages: 2,
      TotalImages: 5,
      TotalSize: 16_430_000,
      Reclaimable: 11_630_000,
      Items: [],
    },
    ContainerUsage: { ActiveContainers: 0, TotalContainers: 2, TotalSize: 212, Reclaimable: 212 },
    VolumeUsage: {
      ActiveVolumes: 1,
      TotalVolumes: 2,
      TotalSize: 36,
      Reclaimable: 0,
      Items: [rawVolume("a1", 36, 1), rawVolume("b1", 0, 0)],
    },
    BuildCacheUsage: {
      ActiveBuildCacheRecords: 1,
      TotalBuildCacheRecords: 4,
      TotalSize: 900,
      Reclaimable: 800,
    },
  };

  it("takes each summary's counts and sizes from the engine", () => {
    expect(parseDiskUsage(modern)).toEqual({
      images: { count: 5, active: 2, sizeBytes: 16_430_000, reclaimableBytes: 11_630_000 },
      containers: { count: 2, active: 0, sizeBytes: 212, reclaimableBytes: 212 },
      volumes: { count: 2, active: 1, sizeBytes: 36, reclaimableBytes: 0 },
      buildCache: { count: 4, active: 1, sizeBytes: 900, reclaimableBytes: 800 },
    });
  });

  // Found in review (with the dfVolumes case above): released engines' *DiskUsage summaries, with
  // TotalCount and ActiveCount, were not read.
  it("reads the summaries as released engines spell them (*DiskUsage, TotalCount, ActiveCount)", () => {
    expect(parseDiskUsage(RELEASED_1_52)).toEqual({
      images: { count: 3, active: 1, sizeBytes: 900, reclaimableBytes: 100 },
      containers: { count: 2, active: 1, sizeBytes: 50, reclaimableBytes: 20 },
      volumes: { count: 2, active: 1, sizeBytes: 70, reclaimableBytes: 20 },
      buildCache: { count: 0, active: 0, sizeBytes: 0, reclaimableBytes: 0 },
    });
  });

  it("does not recompute from the items (the engine's figures win)", () => {
    const du = parseDiskUsage({
      VolumeUsage: { ActiveVolumes: 9, TotalVolumes: 10, TotalSize: 1e9, Reclaimable: 5e8, Items: [] },
    });
    expect(du.volumes).toEqual({ count: 10, active: 9, sizeBytes: 1e9, reclaimableBytes: 5e8 });
  });

  it("has null for the types that are absent, and zeros for omitted (omitempty) fields", () => {
    const du = parseDiskUsage({ VolumeUsage: { TotalVolumes: 3, TotalSize: 10 } });
    expect(du.images).toBeNull();
    expect(du.containers).toBeNull();
    expect(du.buildCache).toBeNull();
    expect(du.volumes).toEqual({ count: 3, active: 0, sizeBytes: 10, reclaimableBytes: 0 });
  });
});

describe("parseStorageInfo", () => {
  const overlay = {
    ServerVersion: "20.10.24+dfsg1",
    Driver: "overlay2",
    DockerRootDir: "/var/lib/docker",
    DriverStatus: [
      ["Backing Filesystem", "extfs"],
      ["Supports d_type", "true"],
      ["Native Overlay Diff", "true"],
      ["userxattr", "false"],
    ],
    OperatingSystem: "Debian GNU/Linux 12 (bookworm)",
    KernelVersion: "6.1.0-28-amd64",
  };

  it("reads the storage facts of `docker info`", () => {
    expect(parseStorageInfo(overlay)).toEqual({
      serverVersion: "20.10.24+dfsg1",
      storageDriver: "overlay2",
      dockerRootDir: "/var/lib/docker",
      driverStatus: [
        ["Backing Filesystem", "extfs"],
        ["Supports d_type", "true"],
        ["Native Overlay Diff", "true"],
        ["userxattr", "false"],
      ],
      containerdSnapshotter: false,
      os: "Debian GNU/Linux 12 (bookworm)",
      kernelVersion: "6.1.0-28-amd64",
    });
  });

  it("detects the containerd snapshotter from DriverStatus", () => {
    const info = parseStorageInfo({
      ServerVersion: "28.5.1",
      Driver: "overlayfs",
      DockerRootDir: "/var/lib/docker",
      DriverStatus: [["driver-type", "io.containerd.snapshotter.v1"]],
    });
    expect(info.containerdSnapshotter).toBe(true);
    expect(info.storageDriver).toBe("overlayfs");
    expect(info.driverStatus).toEqual([["driver-type", "io.containerd.snapshotter.v1"]]);
  });

  it("does not take another driver-type for the containerd snapshotter", () => {
    expect(
      parseStorageInfo({ DriverStatus: [["driver-type", "io.containerd.content.v1"]] }).containerdSnapshotter,
    ).toBe(false);
  });

  it("tolerates a missing or malformed DriverStatus", () => {
    expect(parseStorageInfo({ Driver: "vfs" }).driverStatus).toEqual([]);
    expect(parseStorageInfo({ DriverStatus: null }).driverStatus).toEqual([]);
    expect(parseStorageInfo({ DriverStatus: [["lonely"], "x", ["k", "v"]] }).driverStatus).toEqual([
      ["k", "v"],
    ]);
  });
});

describe("parseContainerUses", () => {
  const containers = [
    {
      Id: "0123456789abcdef0123",
      Names: ["/web"],
      Image: "busybox:latest",
      State: "running",
      Mounts: [
        { Type: "volume", Name: "app_data", Destination: "/data", RW: true },
        { Type: "bind", Source: "/srv/app_data", Destination: "/srv", RW: true },
        { Type: "volume", Name: "other", Destination: "/other", RW: true },
      ],
    },
    {
      Id: "fedcba9876543210fedc",
      Names: ["/backup"],
      Image: "busybox:latest",
      State: "exited",
      Mounts: [{ Type: "volume", Name: "app_data", Destination: "/backup/src", RW: false }],
    },
    {
      Id: "aaaaaaaaaaaaaaaaaaaa",
      Names: ["/unrelated"],
      Image: "busybox:latest",
      State: "running",
      Mounts: [{ Type: "bind", Name: "app_data", Source: "/app_data", Destination: "/x", RW: false }],
    },
    { Id: "bbbbbbbbbbbbbbbbbbbb", Names: ["/no-mounts"], Image: "busybox", State: "created", Mounts: null },
  ];

  it("lists only the containers that mount that volume, sorted by name", () => {
    expect(parseContainerUses(containers, "app_data")).toEqual([
      {
        id: "fedcba987654",
        name: "backup",
        state: "exited",
        image: "busybox:latest",
        mountPath: "/backup/src",
        readOnly: true,
      },
      {
        id: "0123456789ab",
        name: "web",
        state: "running",
        image: "busybox:latest",
        mountPath: "/data",
        readOnly: false,
      },
    ]);
  });

  it("ignores a bind mount whose Name happens to match", () => {
    expect(parseContainerUses(containers, "app_data").map((c) => c.name)).not.toContain("unrelated");
  });

  it("matches the volume name exactly", () => {
    expect(parseContainerUses(containers, "app")).toEqual([]);
    expect(parseContainerUses(containers, "other").map((c) => c.name)).toEqual(["web"]);
  });

  it("counts a mount without RW as read-write", () => {
    const [use] = parseContainerUses(
      [{ Id: "c", Names: ["/x"], Mounts: [{ Type: "volume", Name: "v1", Destination: "/v" }] }],
      "v1",
    );
    expect(use?.readOnly).toBe(false);
  });

  it("lists a container once per mount of the volume", () => {
    const uses = parseContainerUses(
      [
        {
          Id: "c",
          Names: ["/twice"],
          Mounts: [
            { Type: "volume", Name: "v1", Destination: "/a", RW: true },
            { Type: "volume", Name: "v1", Destination: "/b", RW: false },
          ],
        },
      ],
      "v1",
    );
    expect(uses.map((u) => [u.mountPath, u.readOnly])).toEqual([
      ["/a", false],
      ["/b", true],
    ]);
  });

  it("is empty for an empty or malformed answer", () => {
    expect(parseContainerUses([], "v1")).toEqual([]);
    expect(parseContainerUses(null, "v1")).toEqual([]);
    expect(parseContainerUses({ message: "oops" }, "v1")).toEqual([]);
  });
});

// Unit tests of the plans of rm and prune (src/approvals/plan.ts) on a fake engine, of the rm and
// prune grammar, and of --older-than durations.
import { describe, expect, it } from "vitest";
import type { PruneCommand } from "../../../src/approvals/commands.js";
import { parseDuration } from "../../../src/approvals/duration.js";
import {
  buildPlan,
  MAX_PLAN_VOLUMES,
  planPrune,
  planRm,
  volumeIdentity,
} from "../../../src/approvals/plan.js";
import { parseCommand } from "../../../src/commands/parse.js";
import { Engine } from "../../../src/docker/engine.js";
import { InvalidVolumeNameError, UnknownHostError, UsageError } from "../../../src/errors.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";

const NOW = new Date("2026-11-29T12:00:00Z");
const PROJECT = "com.docker.compose.project";

function scenario(): FakeEngine {
  return new FakeEngine()
    .addVolume({ name: "old-cache", sizeBytes: 5_000_000, createdAt: "2026-11-01T00:00:00Z" })
    .addVolume({ name: "fresh", createdAt: "2026-11-29T11:00:00Z" })
    .addVolume({ name: "shop_db", labels: { [PROJECT]: "shop" }, createdAt: "2026-10-01T00:00:00Z" })
    .addVolume({
      name: "shop_cache",
      labels: { [PROJECT]: "shop", env: "dev" },
      createdAt: "2026-10-01T00:00:00Z",
    })
    .addVolume({ name: "web-data", labels: { [PROJECT]: "web" } })
    .addVolume({ name: "app_postgres", createdAt: "2025-01-01T00:00:00Z" })
    .addVolume({ name: "marked", labels: { "dvol.protect": "true" } })
    .addContainer({ name: "web-1", state: "running", volumes: ["web-data"] })
    .addContainer({ name: "shop-db-1", state: "exited", volumes: ["shop_db"] });
}

const protect = fakeConfig({
  protect: { names: ["*postgres*"], labels: [{ key: "dvol.protect", value: "true" }] },
}).protect;

async function engineOf(fake: FakeEngine): Promise<Engine> {
  const conn = await fake.factory()(fakeConfig().hosts[0] as never);
  return Engine.open(conn);
}

function prune(...args: string[]): PruneCommand {
  const c = parseCommand(["prune", "host1", ...args]);
  if (c.name !== "prune") throw new Error("not prune");
  return c;
}

describe("planRm", () => {
  it("plans unused volumes and blocks missing, protected and in-use ones, sorted by name", async () => {
    const e = await engineOf(scenario());
    const p = await planRm(
      e,
      ["web-data", "old-cache", "nope", "app_postgres", "marked", "shop_db", "old-cache"],
      protect,
    );
    expect(p.plan).toEqual([
      {
        name: "old-cache",
        driver: "local",
        sizeBytes: 5_000_000,
        createdAt: "2026-11-01T00:00:00Z",
        project: null,
        identity: volumeIdentity({ driver: "local", options: {}, labels: {} }),
      },
    ]);
    expect(p.blocked).toEqual([
      { name: "app_postgres", reason: "protected", detail: "matches protect rule *postgres*" },
      { name: "marked", reason: "protected", detail: "has protected label dvol.protect=true" },
      { name: "nope", reason: "missing", detail: "no such volume" },
      { name: "shop_db", reason: "in-use", detail: "used by shop-db-1 (exited)" },
      { name: "web-data", reason: "in-use", detail: "used by web-1 (running)" },
    ]);
  });

  it("asks the engine once for every volume, and about containers only for volumes in use", async () => {
    const fake = scenario();
    const e = await engineOf(fake);
    fake.calls.length = 0;
    await planRm(e, ["old-cache", "fresh", "web-data"], protect);
    expect(fake.calls.filter((c) => c.includes("/system/df"))).toHaveLength(1);
    expect(fake.calls.filter((c) => c.includes("/containers/json"))).toHaveLength(1);
    expect(fake.deletes()).toBe(0);
  });

  it("refuses more than 200 volumes and bad names before anything is sent", async () => {
    const fake = scenario();
    const e = await engineOf(fake);
    fake.calls.length = 0;
    const many = Array.from({ length: 201 }, (_, i) => `v${i}`);
    await expect(planRm(e, many, protect)).rejects.toThrow(UsageError);
    await expect(planRm(e, ["ok", "../etc"], protect)).rejects.toThrow(InvalidVolumeNameError);
    expect(fake.calls).toEqual([]);
  });
});

describe("planPrune", () => {
  it("takes the dangling volumes, protected ones blocked, in-use ones not even candidates", async () => {
    const p = await planPrune(await engineOf(scenario()), prune(), protect, NOW);
    expect(p.plan.map((v) => v.name)).toEqual(["fresh", "old-cache", "shop_cache"]);
    expect(p.blocked.map((b) => [b.name, b.reason])).toEqual([
      ["app_postgres", "protected"],
      ["marked", "protected"],
    ]);
    expect(p.leftOut).toBe(0);
  });

  it("filters by project, labels and age", async () => {
    const e = await engineOf(scenario());
    const names = async (...a: string[]) =>
      (await planPrune(e, prune(...a), protect, NOW)).plan.map((v) => v.name);
    expect(await names("--project", "shop")).toEqual(["shop_cache"]);
    expect(await names("--label", "env=dev")).toEqual(["shop_cache"]);
    expect(await names("--label", "env=prod")).toEqual([]);
    expect(await names("--label", PROJECT)).toEqual(["shop_cache"]);
    expect(await names("--older-than", "2h")).toEqual(["old-cache", "shop_cache"]);
    expect(await names("--older-than", "30m")).toEqual(["fresh", "old-cache", "shop_cache"]);
    expect(await names("--older-than", "5w")).toEqual(["shop_cache"]);
  });

  it("leaves out volumes without a creation time when an age is asked", async () => {
    const fake = new FakeEngine().addVolume({ name: "nfs", createdAt: "" });
    const e = await engineOf(fake);
    expect((await planPrune(e, prune("--older-than", "1m"), protect, NOW)).plan).toEqual([]);
    expect((await planPrune(e, prune(), protect, NOW)).plan.map((v) => v.name)).toEqual(["nfs"]);
  });

  it("holds at most MAX_PLAN_VOLUMES and counts the rest", async () => {
    const fake = new FakeEngine();
    for (let i = 0; i < MAX_PLAN_VOLUMES + 5; i++) fake.addVolume({ name: `v${String(i).padStart(5, "0")}` });
    const p = await planPrune(await engineOf(fake), prune(), protect, NOW);
    expect(p.plan).toHaveLength(MAX_PLAN_VOLUMES);
    expect(p.plan.at(-1)?.name).toBe("v00999");
    expect(p.leftOut).toBe(5);
  });
});

describe("buildPlan", () => {
  it("plans on the named host, with the command as text", async () => {
    const fake = scenario();
    const ctx = { config: fakeConfig(), connect: fake.factory(), now: () => NOW };
    const cmd = parseCommand(["rm", "host1", "old-cache", "web-data", "--reason", "project retired"]);
    if (cmd.name !== "rm") throw new Error("not rm");
    const p = await buildPlan(cmd, ctx);
    expect(p).toMatchObject({
      kind: "rm",
      host: "host1",
      command: 'rm host1 old-cache web-data --reason "project retired"',
      reason: "project retired",
    });
    expect(p.plan.map((v) => v.name)).toEqual(["old-cache"]);
    const pr = await buildPlan(prune("--project", "shop", "--older-than", "7d", "--label", "env"), ctx);
    expect(pr.command).toBe("prune host1 --project shop --label env --older-than 7d");
  });

  it("refuses an unknown host before connecting", async () => {
    let connected = false;
    const ctx = {
      config: fakeConfig(),
      connect: async () => {
        connected = true;
        throw new Error("no");
      },
      now: () => NOW,
    };
    const cmd = parseCommand(["rm", "nohost", "a1"]);
    if (cmd.name !== "rm") throw new Error("not rm");
    await expect(buildPlan(cmd, ctx)).rejects.toThrow(UnknownHostError);
    expect(connected).toBe(false);
  });
});

describe("rm and prune grammar", () => {
  it("rm takes one to 200 volumes, deduplicated, and a reason", () => {
    const vols = Array.from({ length: 200 }, (_, i) => `vol-${i}`);
    const c = parseCommand(["rm", "host1", ...vols, "vol-0", "--reason", "cleanup"]);
    expect(c).toMatchObject({ name: "rm", host: "host1", reason: "cleanup" });
    if (c.name === "rm") expect(c.volumes).toHaveLength(200);
    expect(() => parseCommand(["rm", "host1"])).toThrow(/missing <volume>/);
    expect(() => parseCommand(["rm", "host1", ...vols, "vol-200"])).toThrow(/201 volumes; at most 200/);
  });

  it("rm refuses a name Docker would refuse, such as one with ../", () => {
    expect(() => parseCommand(["rm", "host1", "ok", "../../etc"])).toThrow(InvalidVolumeNameError);
    expect(() => parseCommand(["rm", "host1", "a/b"])).toThrow(InvalidVolumeNameError);
    expect(() => parseCommand(["rm", "host1", "-x"])).toThrow(InvalidVolumeNameError);
  });

  it("prune takes filters; --older-than must be a duration", () => {
    expect(parseCommand(["prune", "h", "--older-than", "7d", "--label", "a=b", "--label", "c"])).toEqual({
      name: "prune",
      host: "h",
      project: null,
      labels: [
        { key: "a", value: "b" },
        { key: "c", value: undefined },
      ],
      olderThan: { text: "7d", ms: 7 * 86_400_000 },
      noBackup: false,
    });
    expect(() => parseCommand(["prune", "h", "--older-than", "7 days"])).toThrow(/not a duration/);
    expect(() => parseCommand(["prune", "h", "extra"])).toThrow(/unexpected argument/);
    expect(parseCommand(["requests"])).toEqual({ name: "requests", action: null, id: null });
  });
});

describe("parseDuration", () => {
  it("reads m, h, d and w", () => {
    expect(parseDuration("30m")?.ms).toBe(30 * 60_000);
    expect(parseDuration("12h")?.ms).toBe(12 * 3_600_000);
    expect(parseDuration("7d")?.ms).toBe(7 * 86_400_000);
    expect(parseDuration("2w")?.ms).toBe(14 * 86_400_000);
  });

  it("refuses anything else", () => {
    for (const bad of ["", "7", "d", "0d", "-1d", "1.5h", "7D", "1y", "7d2h", "99999w"]) {
      expect(parseDuration(bad)).toBeNull();
    }
  });
});

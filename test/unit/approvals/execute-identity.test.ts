// "The same volume" (SPEC §4.7): same CreatedAt, driver, options and labels. CreatedAt has one
// second's resolution, so a volume deleted and re-created within the same second under the same
// name is told apart by the rest, and execution leaves it alone.
import { describe, expect, it } from "vitest";
import { executeRequest } from "../../../src/approvals/execute.js";
import { buildPlan, volumeIdentity } from "../../../src/approvals/plan.js";
import { approveAsOperator, openRequest } from "../../../src/approvals/requests.js";
import { parseCommand } from "../../../src/commands/parse.js";
import { MemoryStore } from "../../../src/store/memory.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";

const at = () => new Date("2026-12-01T08:00:00Z");

async function approvedRm(fake: FakeEngine, names: string[]) {
  const store = new MemoryStore({ now: () => at().getTime() });
  const config = fakeConfig();
  const cmd = parseCommand(["rm", "host1", ...names]);
  if (cmd.name !== "rm") throw new Error("not rm");
  const plan = await buildPlan(cmd, { config, connect: fake.factory(), now: at });
  const r = await openRequest({ store, now: at }, { plan, requester: "cli:t", channel: null, ttlHours: 24 });
  await approveAsOperator({ store, now: at }, r.id, "cli:t");
  return () => executeRequest({ store, config, connect: fake.factory(), now: at, executor: "test" }, r.id);
}

describe("volumeIdentity", () => {
  it("is the same whatever the order of labels and options, and differs when any of them does", () => {
    const a = volumeIdentity({ driver: "local", options: { o: "1", p: "2" }, labels: { x: "1", y: "2" } });
    expect(volumeIdentity({ driver: "local", options: { p: "2", o: "1" }, labels: { y: "2", x: "1" } })).toBe(
      a,
    );
    expect(
      volumeIdentity({ driver: "nfs", options: { o: "1", p: "2" }, labels: { x: "1", y: "2" } }),
    ).not.toBe(a);
    expect(volumeIdentity({ driver: "local", options: { o: "1" }, labels: { x: "1", y: "2" } })).not.toBe(a);
    expect(
      volumeIdentity({ driver: "local", options: { o: "1", p: "2" }, labels: { x: "1", y: "3" } }),
    ).not.toBe(a);
    // A key and a value are not interchangeable across the boundary between them.
    expect(volumeIdentity({ driver: "local", options: {}, labels: { "a=b": "c" } })).not.toBe(
      volumeIdentity({ driver: "local", options: {}, labels: { a: "b=c" } }),
    );
  });
});

describe("execution", () => {
  it("skips a volume re-created in the same second with other labels, and deletes the unchanged one", async () => {
    const fake = new FakeEngine()
      .addVolume({ name: "cache", createdAt: "2026-11-30T10:00:00Z", labels: { team: "a" } })
      .addVolume({ name: "logs", createdAt: "2026-11-30T10:00:00Z", labels: { team: "a" } });
    const execute = await approvedRm(fake, ["cache", "logs"]);
    // Deleted and made again under the same name, within the same second: only the labels differ.
    fake.addVolume({ name: "cache", createdAt: "2026-11-30T10:00:00Z", labels: { team: "b" } });

    const res = await execute();
    expect(res.status).toBe("done");
    if (res.status !== "done") return;
    const byName = Object.fromEntries(res.request.outcomes.map((o) => [o.name, o]));
    expect(byName.cache).toMatchObject({ result: "skipped" });
    expect(byName.cache?.result === "skipped" && byName.cache.reason).toContain("not the planned volume");
    expect(byName.logs).toMatchObject({ result: "deleted" });
    expect(fake.deletes("cache")).toBe(0);
    expect(fake.deletes("logs")).toBe(1);
    expect([...fake.volumes.keys()]).toEqual(["cache"]);
  });

  it("a plan recorded before dvol kept identities is still executed on CreatedAt alone", async () => {
    const fake = new FakeEngine().addVolume({ name: "old", createdAt: "2026-11-30T10:00:00Z" });
    const store = new MemoryStore({ now: () => at().getTime() });
    const config = fakeConfig();
    const cmd = parseCommand(["rm", "host1", "old"]);
    if (cmd.name !== "rm") throw new Error("not rm");
    const plan = await buildPlan(cmd, { config, connect: fake.factory(), now: at });
    for (const v of plan.plan) delete v.identity;
    const r = await openRequest(
      { store, now: at },
      { plan, requester: "cli:t", channel: null, ttlHours: 24 },
    );
    await approveAsOperator({ store, now: at }, r.id, "cli:t");
    const res = await executeRequest(
      { store, config, connect: fake.factory(), now: at, executor: "t" },
      r.id,
    );
    expect(res.status === "done" && res.request.outcomes).toEqual([
      { name: "old", result: "deleted", freedBytes: 1000 },
    ]);
  });
});

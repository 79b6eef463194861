// Unit tests of the fast listing (src/docker/engine.ts, volumesFast; issue 12) on the fake engine:
// references from the whole container list, or per volume where that list is refused (a dvol gate).
import { describe, expect, it } from "vitest";
import type { HostConfig } from "../../../src/config/types.js";
import { Engine } from "../../../src/docker/engine.js";
import { HostError } from "../../../src/errors.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";

const host = fakeConfig().hosts[0] as HostConfig;

function engine(): FakeEngine {
  return new FakeEngine()
    .addVolume({ name: "db", sizeBytes: 5_000 })
    .addVolume({ name: "cache", sizeBytes: 1_000 })
    .addVolume({ name: "shared", sizeBytes: 10 })
    .addContainer({ name: "db-1", state: "running", volumes: ["db", "shared"] })
    .addContainer({ name: "job", state: "exited", volumes: ["shared"] });
}

const refs = (vs: { name: string; refCount: number | null; sizeBytes: number | null }[]) =>
  vs.map((v) => [v.name, v.refCount, v.sizeBytes]);

describe("Engine.volumesFast", () => {
  it("lists every volume with its references from /volumes and /containers/json, and no size", async () => {
    const e = engine();
    const vs = await Engine.lazy(await e.factory()(host)).volumesFast();
    expect(refs(vs)).toEqual([
      ["db", 1, null],
      ["cache", 0, null],
      ["shared", 2, null],
    ]);
    expect(e.calls.some((c) => c.includes("/system/df"))).toBe(false);
  });

  it("where the whole container list is refused (403, a dvol gate), asks per volume in use: the same references", async () => {
    const e = engine();
    e.beforeAnswer = (req) => {
      if (req.path.endsWith("/containers/json") && req.query?.filters === undefined) {
        throw new HostError(
          "host1",
          "api",
          "engine error 403: containers/json is offered with a volume filter only",
          {
            statusCode: 403,
          },
        );
      }
    };
    const vs = await Engine.lazy(await e.factory()(host)).volumesFast();
    expect(refs(vs)).toEqual([
      ["db", 1, null],
      ["cache", 0, null],
      ["shared", 2, null],
    ]);
    // Not for the dangling one.
    expect(e.calls.filter((c) => c.includes("/containers/json")).length).toBe(3);
  });
});

// The gate's operation table: each request recognised and rebuilt by the gate, or refused.
import { describe, expect, it } from "vitest";
import { checkDoor, type DoorRequest } from "../../../src/gate/door.js";
import {
  buildHelper,
  buildVolume,
  EMPTY_TAR,
  helperTemplate,
  type Planned,
  planRequest,
  volumeMountsOnly,
} from "../../../src/gate/operations.js";

function door(url: string, method = "GET", headers: string[] = []): DoorRequest {
  const out = checkDoor({ method, url, rawHeaders: headers });
  if (!out.ok) throw new Error(`refused at the door: ${out.reason}`);
  return out.request;
}
function planned(url: string, method = "GET", headers: string[] = []): Planned {
  const out = planRequest(door(url, method, headers));
  if (!out.ok) throw new Error(`refused: ${out.reason}`);
  return out.plan;
}
function refused(url: string, method = "GET", headers: string[] = []): string {
  const out = planRequest(door(url, method, headers));
  if (out.ok) throw new Error(`planned: ${out.plan.operation}`);
  return out.reason;
}
const q = (o: unknown) => encodeURIComponent(JSON.stringify(o));

describe("the gate's reads", () => {
  it("rebuilds each read dvol makes, with only the query it knows", () => {
    expect(planned("/_ping").call).toEqual({
      method: "GET",
      path: "/_ping",
      query: [],
      body: { kind: "none" },
    });
    expect(planned("/v1.51/info").allow).toEqual(["read"]);
    expect(planned("/system/df?type=volume&verbose=true").call?.query).toEqual([
      ["type", "volume"],
      ["verbose", "1"],
    ]);
    expect(planned("/v1.41/system/df").call?.query).toEqual([]);
    expect(planned(`/v1.41/volumes?filters=${q({ dangling: ["true"] })}`).call?.query).toEqual([
      ["filters", '{"dangling":["true"]}'],
    ]);
    const ps = planned(`/v1.41/containers/json?all=1&filters=${q({ volume: ["data"] })}`);
    expect(ps.call?.query).toEqual([
      ["all", "1"],
      ["filters", '{"volume":["data"]}'],
    ]);
    // The whole list, rebuilt by the gate (volumeMountsOnly) down to Ids and volume mounts.
    expect(planned("/v1.41/containers/json?all=1")).toMatchObject({
      operation: "container-mounts",
      reshape: "volume-mounts",
      call: { path: "/containers/json", query: [["all", "1"]] },
    });
    const inspect = planned("/v1.41/volumes/my.vol_1");
    expect(inspect).toMatchObject({
      operation: "volume-inspect",
      volume: "my.vol_1",
      allow: ["read", "backup"],
    });
  });

  it("refuses what dvol never asks", () => {
    expect(refused("/v1.41/info?x=1")).toContain('"x" is not offered');
    expect(refused("/system/df?type=image")).toContain("volumes only");
    expect(refused(`/volumes?filters=${q({ dangling: ["true"], dangling2: ["x"] })}`)).toContain("dangling2");
    expect(
      refused(`/volumes?filters=${encodeURIComponent('{"dangling":["true"],"dangling":["false"]}')}`),
    ).toContain("duplicated key");
    expect(refused(`/containers/json?filters=${q({ label: ["a"] })}`)).toContain("label");
    expect(refused("/containers/json?size=1")).toContain("size");
    expect(refused(`/containers/json?filters=${q({})}`)).toBe(
      "containers/json is offered with a volume filter, or none",
    );
    expect(refused("/v1.41/containers/json", "GET", ["Transfer-Encoding", "chunked"])).toContain(
      "a body where none",
    );
    expect(refused("/v1.41/images/json")).toContain("not an operation");
    expect(refused("/v1.41/volumes/-bad")).toContain("not a volume name");
    expect(refused("/v1.41/volumes/prune", "POST")).toContain("not an operation");
  });
});

describe("the gate's delete", () => {
  it("is DELETE /volumes/{name} with no query, checked by the gate first", () => {
    const p = planned("/v1.41/volumes/old", "DELETE");
    expect(p).toMatchObject({ operation: "volume-delete", allow: ["delete", "backup"], volume: "old" });
    expect(p.checks).toEqual([
      { kind: "delete-allowed", volume: "old" },
      { kind: "volume-unused", volume: "old" },
    ]);
    // A backup certificate (a restore removing what it made) deletes only a volume the gate made.
    expect(p.narrowed).toEqual({ backup: [{ kind: "made-volume", volume: "old" }] });
    expect(p.remember).toBe("forget-volume");
    expect(refused("/v1.41/volumes/old?force=1", "DELETE")).toContain("force");
    expect(refused("/v1.41/volumes/old?force=false", "DELETE")).toContain("force");
    expect(refused("/v1.41/volumes/old?v=1", "DELETE")).toContain('"v"');
  });
});

describe("the gate's backups", () => {
  const id = "a".repeat(64);
  it("offers the helper image, and only it", () => {
    const changes = encodeURIComponent('CMD ["/dvol-helper"]');
    const url = `/v1.41/images/create?fromSrc=-&repo=dvol-helper&tag=1&changes=${changes}`;
    const p = planned(url, "POST", ["Content-Type", "application/x-tar", "Content-Length", "1024"]);
    expect(p.call?.body).toEqual({ kind: "bytes", bytes: EMPTY_TAR, contentType: "application/x-tar" });
    expect(refused("/v1.41/images/create?fromImage=evil/root&tag=latest", "POST")).toContain('"fromImage"');
    expect(
      refused(
        `/v1.41/images/create?fromSrc=http%3A%2F%2Fevil%2Fx.tar&repo=dvol-helper&tag=1&changes=${changes}`,
        "POST",
      ),
    ).toContain("helper image only");
    expect(planned("/v1.41/images/dvol-helper:1/json").operation).toBe("helper-image-inspect");
    expect(refused("/v1.41/images/busybox/json")).toContain("not an operation");
  });

  it("creates a helper from its own template only", () => {
    const p = planned("/v1.41/containers/create?name=dvol-helper-0123456789abcdef", "POST", [
      "Content-Type",
      "application/json",
    ]);
    expect(p.body.kind).toBe("json");
    const ok = buildHelper(helperTemplate("data", true), "dvol-helper-0123456789abcdef");
    expect(ok.ok && JSON.parse(ok.call.body.kind === "bytes" ? ok.call.body.bytes.toString() : "")).toEqual(
      helperTemplate("data", true),
    );
    expect(ok.ok && ok.checks).toEqual([{ kind: "volume-exists", volume: "data", made: false }]);
    const rw = buildHelper(helperTemplate("data", false), "dvol-helper-0123456789abcdef");
    expect(rw.ok && rw.writable).toBe(true);
    const privileged = helperTemplate("data", true) as Record<string, unknown> & {
      HostConfig: Record<string, unknown>;
    };
    privileged.HostConfig.Privileged = true;
    expect(buildHelper(privileged, "x")).toEqual({
      ok: false,
      reason: "the helper's body is not the gate's template",
    });
    const image = { ...helperTemplate("data", true), Image: "busybox" };
    expect(buildHelper(image, "x").ok).toBe(false);
    const folded = { ...helperTemplate("data", true), hostConfig: {} } as Record<string, unknown>;
    expect(buildHelper(folded, "x").ok).toBe(false);
    expect(
      refused("/v1.41/containers/create?name=evil", "POST", ["Content-Type", "application/json"]),
    ).toContain("dvol-helper");
    expect(refused("/v1.41/containers/create?name=dvol-helper-0123456789abcdef", "POST")).toContain(
      "application/json",
    );
  });

  it("creates a restore's volume without driver options", () => {
    const ok = buildVolume({ Name: "restored", Driver: "local", DriverOpts: {}, Labels: { a: "b" } });
    expect(ok.ok && ok.checks).toEqual([{ kind: "volume-absent", volume: "restored" }]);
    expect(
      buildVolume({ Name: "x1", Driver: "local", DriverOpts: { o: "bind", device: "/etc", type: "none" } }),
    ).toMatchObject({
      ok: false,
    });
    expect(buildVolume({ Name: "x1", Driver: "evil" })).toMatchObject({ ok: false });
    expect(buildVolume({ Name: "x1", Mountpoint: "/etc" })).toMatchObject({ ok: false });
  });

  it("reads, writes and removes helpers by full ID, checked as its own", () => {
    const get = planned(`/v1.41/containers/${id}/archive?path=%2Fvolume`);
    expect(get.checks).toEqual([{ kind: "own-helper", container: id, writable: false }]);
    const put = planned(`/v1.41/containers/${id}/archive?path=%2F`, "PUT", [
      "Content-Type",
      "application/x-tar",
      "Transfer-Encoding",
      "chunked",
    ]);
    expect(put.checks).toEqual([{ kind: "own-helper", container: id, writable: true }]);
    expect(planned(`/v1.41/containers/${id}`, "DELETE").remember).toBe("forget-helper");
    expect(refused(`/v1.41/containers/${id}?force=1`, "DELETE")).toContain("without v or force");
    expect(refused(`/v1.41/containers/${id}/archive?path=%2Fetc`)).toContain("/volume only");
    expect(refused("/v1.41/containers/abc/archive?path=%2Fvolume")).toContain("full ID");
    expect(refused(`/v1.41/containers/${id}/start`, "POST")).toContain("not an operation");
    expect(refused(`/v1.41/containers/${id}/export`)).toContain("not an operation");
    expect(planned("/v1.41/volumes/logs").volume).toBe("logs");
  });
});

describe("volumeMountsOnly", () => {
  it("keeps each container's Id and its volume mounts' Type and Name, and nothing else", () => {
    const engine = [
      {
        Id: "c1",
        Names: ["/db"],
        Image: "postgres",
        Command: "secret --password x",
        Labels: { team: "a" },
        Mounts: [
          { Type: "volume", Name: "pgdata", Source: "/var/lib/docker/volumes/pgdata/_data", RW: true },
          { Type: "bind", Source: "/etc/shadow", Destination: "/x" },
        ],
      },
      { Id: "c2", Mounts: null },
    ];
    const out = volumeMountsOnly(Buffer.from(JSON.stringify(engine)));
    expect(JSON.parse(String(out))).toEqual([
      { Id: "c1", Mounts: [{ Type: "volume", Name: "pgdata" }] },
      { Id: "c2", Mounts: [] },
    ]);
    expect(volumeMountsOnly(Buffer.from('{"message":"x"}'))).toBeNull();
    expect(volumeMountsOnly(Buffer.from("not json"))).toBeNull();
  });
});

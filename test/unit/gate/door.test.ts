// The gate's door: what any request must be before the operation table reads it.
import { describe, expect, it } from "vitest";
import { checkDoor, type RawRequest } from "../../../src/gate/door.js";

const req = (url: string, headers: string[] = [], method = "GET"): RawRequest => ({
  method,
  url,
  rawHeaders: ["Host", "docker", ...headers],
});

function refused(r: RawRequest): string {
  const out = checkDoor(r);
  if (out.ok) throw new Error(`let through: ${r.method} ${r.url}`);
  return out.reason;
}

describe("the gate's door", () => {
  it("lets a canonical request through, its version and query read", () => {
    const out = checkDoor(req("/v1.41/volumes?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D"));
    expect(out).toEqual({
      ok: true,
      request: {
        method: "GET",
        version: "1.41",
        segments: ["volumes"],
        query: new Map([["filters", '{"dangling":["true"]}']]),
        body: { kind: "none" },
        contentType: null,
      },
    });
    const plain = checkDoor(req("/_ping"));
    expect(plain.ok && plain.request.version).toBe(null);
  });

  it.each([
    ["//volumes", "not canonical"],
    ["/v1.41//volumes", "not canonical"],
    ["/v1.41/./volumes", "not canonical"],
    ["/v1.41/volumes/../containers/json", "not canonical"],
    ["/v1.41/volumes/", "not canonical"],
    ["/v1.41/volumes/a%2Fb", "percent-encoded"],
    ["/v1.41%2Fvolumes", "percent-encoded"],
    ["/v1.45./volumes", "odd version prefix"],
    ["/v01.41/volumes", "odd version prefix"],
    ["/v1/volumes", "odd version prefix"],
    ["/v1.41.0/volumes", "odd version prefix"],
    ["/volumes?a=1&a=2", "given twice"],
    ["/volumes?filters=%E0%A4%A", "bad escape"],
    ["/volumes?", "empty query"],
    ["/volumes?=x", "empty query key"],
    ["/v1.41/containers/abc/exec", "exec is not offered"],
    ["/v1.41/containers/abc/attach", "attach is not offered"],
    ["/grpc", "grpc is not offered"],
    ["/session", "session is not offered"],
    ["/volumes\\x", "not canonical"],
  ])("refuses %s", (url, reason) => {
    expect(refused(req(url))).toContain(reason);
  });

  it("refuses upgrades, both framings, odd lengths, form bodies and unknown methods", () => {
    expect(refused(req("/_ping", ["Upgrade", "h2c", "Connection", "Upgrade"]))).toContain("upgrades");
    expect(refused(req("/_ping", ["Connection", "keep-alive, Upgrade"]))).toContain("upgrades");
    expect(
      refused(req("/volumes/create", ["Content-Length", "5", "Transfer-Encoding", "chunked"], "POST")),
    ).toContain("both Content-Length and Transfer-Encoding");
    expect(refused(req("/volumes/create", ["Transfer-Encoding", "gzip, chunked"], "POST"))).toContain(
      "Transfer-Encoding",
    );
    expect(refused(req("/volumes/create", ["Content-Length", ""], "POST"))).toContain("not a number");
    expect(refused(req("/volumes/create", ["Content-Length", "1", "Content-Length", "1"], "POST"))).toContain(
      "more than one Content-Length",
    );
    expect(
      refused(req("/volumes/create", ["Content-Type", "application/x-www-form-urlencoded"], "POST")),
    ).toContain("form bodies");
    expect(
      refused(req("/volumes/create", ["Content-Type", "multipart/form-data; boundary=x"], "POST")),
    ).toContain("form bodies");
    expect(refused(req("/_ping", [], "HEAD"))).toContain("method HEAD");
    expect(refused(req("/_ping", [], "PATCH"))).toContain("method PATCH");
  });

  it("reads how a body comes", () => {
    const chunked = checkDoor(req("/x", ["Transfer-Encoding", "chunked"], "PUT"));
    expect(chunked.ok && chunked.request.body).toEqual({ kind: "chunked" });
    const sized = checkDoor(req("/x", ["Content-Length", "12"], "PUT"));
    expect(sized.ok && sized.request.body).toEqual({ kind: "length", bytes: 12 });
    const zero = checkDoor(req("/x", ["Content-Length", "0"], "DELETE"));
    expect(zero.ok && zero.request.body).toEqual({ kind: "none" });
  });
});

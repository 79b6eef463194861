// Unit tests of src/config/targets.ts: host names, comma lists, globs and `all`.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { resolveHost, resolveTarget } from "../../../src/config/targets.js";
import { describeError, UnknownHostError, UsageError } from "../../../src/errors.js";

const NAMES = ["web-1", "db1", "web-2", "cache", "web-10", "db2"];
const config = parseConfig(
  `hosts:\n${NAMES.map((n) => `  - name: ${n}\n    socket: /run/${n}.sock\n`).join("")}`,
  "/etc/dvol/dvol.config.yaml",
);

const names = (target: string) => resolveTarget(config, target).map((h) => h.name);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to throw");
}

describe("resolveTarget", () => {
  it("resolves one name to that host", () => {
    expect(names("db1")).toEqual(["db1"]);
    expect(resolveTarget(config, "cache")[0]).toBe(config.hosts[3]);
  });

  it("resolves all to every host, in config order", () => {
    expect(names("all")).toEqual(NAMES);
  });

  it("resolves a comma list in config order, whatever the order typed", () => {
    expect(names("db2,web-1,cache")).toEqual(["web-1", "cache", "db2"]);
  });

  it("resolves a glob to every matching host", () => {
    expect(names("web-*")).toEqual(["web-1", "web-2", "web-10"]);
    expect(names("db?")).toEqual(["db1", "db2"]);
    expect(names("*")).toEqual(NAMES);
  });

  it("matches globs against the whole name", () => {
    expect(names("web-?")).toEqual(["web-1", "web-2"]);
    expect(names("*1")).toEqual(["web-1", "db1"]);
  });

  it("mixes globs and names", () => {
    expect(names("web-*,db1")).toEqual(["web-1", "db1", "web-2", "web-10"]);
  });

  it("lists each host once however many parts match it", () => {
    expect(names("db1,db1,db*,all")).toEqual(NAMES);
    expect(names("web-1,web-*")).toEqual(["web-1", "web-2", "web-10"]);
  });

  it("ignores blanks around the parts of a list", () => {
    expect(names("db1, cache")).toEqual(["db1", "cache"]);
  });

  it("matches names case-sensitively", () => {
    expect(thrown(() => names("DB1"))).toBeInstanceOf(UnknownHostError);
  });

  it("does not treat a dot in a glob as any character", () => {
    const dotted = parseConfig(
      "hosts:\n  - name: a.b\n    socket: /s\n  - name: axb\n    socket: /t\n",
      "/c.yaml",
    );
    expect(resolveTarget(dotted, "a.*").map((h) => h.name)).toEqual(["a.b"]);
  });

  it.each(["nope", "db1,nope", "web-*,nope"])(
    "refuses the unknown host in %s, listing the registered hosts",
    (t) => {
      const err = thrown(() => names(t));
      expect(err).toBeInstanceOf(UnknownHostError);
      expect((err as UnknownHostError).host).toBe("nope");
      expect((err as UnknownHostError).message).toBe('unknown host "nope"');
      expect((err as UnknownHostError).hint).toBe(`Registered hosts: ${NAMES.join(", ")}.`);
    },
  );

  it("refuses a glob that matches nothing, naming the glob and listing the hosts", () => {
    const err = thrown(() => names("mail-*"));
    expect(err).toBeInstanceOf(UnknownHostError);
    expect((err as UnknownHostError).host).toBe("mail-*");
    expect(describeError(err)).toContain("web-1, db1, web-2, cache, web-10, db2");
  });

  it("refuses a list with one glob that matches nothing, even when others match", () => {
    expect(thrown(() => names("web-*,mail-*"))).toBeInstanceOf(UnknownHostError);
  });

  it.each(["a,,b", ",db1", "db1,", " , ", ""])("refuses the empty part in %j as a usage error", (t) => {
    const err = thrown(() => names(t));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toMatch(/empty name/);
  });
});

describe("resolveHost", () => {
  it("finds a registered host by exact name", () => {
    expect(resolveHost(config, "web-2")).toBe(config.hosts[2]);
  });

  it.each(["all", "web-*", "db1,db2", "nope"])("refuses %j: one host, named exactly", (name) => {
    const err = thrown(() => resolveHost(config, name));
    expect(err).toBeInstanceOf(UnknownHostError);
    expect((err as UnknownHostError).hint).toContain("web-1, db1");
  });
});

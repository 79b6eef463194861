// A restore's archive, checked entry by entry while it streams.
import { Readable } from "node:stream";
import { pack } from "tar-stream";
import { describe, expect, it } from "vitest";
import { checkedTar, entryProblem, TarRefusedError } from "../../../src/gate/tar-check.js";

describe("tar entries a restore may carry", () => {
  it.each([
    [{ name: "volume/", type: "directory" as const, mode: 0o755 }, null],
    [{ name: "volume/a.txt", type: "file" as const, mode: 0o644 }, null],
    [{ name: "volume/l", type: "symlink" as const, linkname: "a.txt" }, null],
    [{ name: "volume/d/l", type: "symlink" as const, linkname: "../a.txt" }, null],
    [{ name: "volume/h", type: "link" as const, linkname: "volume/a.txt" }, null],
    [{ name: "volume/dev", type: "character-device" as const }, "character-device"],
    [{ name: "volume/blk", type: "block-device" as const }, "block-device"],
    [{ name: "volume/fifo", type: "fifo" as const }, "fifo"],
    [{ name: "volume/suid", type: "file" as const, mode: 0o4755 }, "setuid"],
    [{ name: "volume/sgid", type: "file" as const, mode: 0o2755 }, "setuid or setgid"],
    [{ name: "/etc/passwd", type: "file" as const }, "absolute"],
    [{ name: "volume/../etc/passwd", type: "file" as const }, ".."],
    [{ name: "etc/passwd", type: "file" as const }, "not under volume/"],
    [{ name: "volume/l", type: "symlink" as const, linkname: "/etc" }, "leads out"],
    [{ name: "volume/l", type: "symlink" as const, linkname: "../../etc" }, "leads out"],
    [{ name: "volume/h", type: "link" as const, linkname: "etc/shadow" }, "leads out"],
    [{ name: "volume/h", type: "link" as const, linkname: "volume/../../x" }, "leads out"],
  ])("%j", (header, problem) => {
    const got = entryProblem({ linkname: "", mode: 0o644, ...header });
    if (problem === null) expect(got).toBeNull();
    else expect(got).toContain(problem);
  });
});

async function tarOf(
  entries: { name: string; type?: "file" | "directory" | "fifo"; body?: string; mode?: number }[],
) {
  const p = pack();
  for (const e of entries)
    p.entry({ name: e.name, type: e.type ?? "file", mode: e.mode ?? 0o644 }, e.body ?? "");
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

describe("checkedTar", () => {
  it("packs a good archive again, entries and contents kept", async () => {
    const input = await tarOf([
      { name: "volume/", type: "directory" },
      { name: "volume/a.txt", body: "hello" },
    ]);
    const { output, entries } = checkedTar(Readable.from([input]));
    const again = await readAll(output);
    const { extract } = await import("tar-stream");
    const ex = extract();
    const seen: string[] = [];
    ex.on("entry", (h, s, next) => {
      let body = "";
      s.on("data", (c: unknown) => {
        body += String(c);
      });
      s.on("end", () => {
        seen.push(`${h.name}:${h.type}:${body}`);
        next();
      });
    });
    await new Promise<void>((resolve) => {
      ex.on("finish", () => resolve());
      ex.end(again);
    });
    expect(seen).toEqual(["volume/:directory:", "volume/a.txt:file:hello"]);
    expect(entries()).toBe(2);
  });

  it("fails at the first entry refused", async () => {
    const input = await tarOf([
      { name: "volume/a.txt", body: "x" },
      { name: "volume/p", type: "fifo" },
    ]);
    const { output } = checkedTar(Readable.from([input]));
    await expect(readAll(output)).rejects.toBeInstanceOf(TarRefusedError);
  });

  it("refused before anyone reads it (the gate still checking the helper), it fails quietly and says why once read", async () => {
    // A refused entry with a body: its stream is destroyed with the refusal. Any error event
    // without a listener would be an uncaught exception: the whole gate process would end.
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.prependListener("uncaughtException", onUncaught);
    try {
      const input = await tarOf([
        { name: "volume/", type: "directory" },
        { name: "volume/a.txt", body: "x".repeat(3000) },
        { name: "volume/su", body: "#!/bin/sh", mode: 0o4755 },
        { name: "volume/after", body: "never" },
      ]);
      const { output, failure, entries } = checkedTar(Readable.from([input]));
      await new Promise((r) => setTimeout(r, 50));
      expect(failure()).toBeInstanceOf(TarRefusedError);
      expect(failure()?.message).toBe('the entry "volume/su" is setuid or setgid');
      expect(entries()).toBe(2);
      expect(output.destroyed).toBe(true);
      expect(uncaught).toEqual([]);
    } finally {
      process.removeListener("uncaughtException", onUncaught);
    }
  });

  it("fails on what is not a tar", async () => {
    const { output } = checkedTar(Readable.from([Buffer.from("x".repeat(600))]));
    await expect(readAll(output)).rejects.toThrow(/not a tar/);
  });
});

// The tar reader of backups and restores: what it keeps of a good archive, and what it refuses.
import { createHash } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pack as tarPack } from "tar-stream";
import { describe, expect, it } from "vitest";
import { TarReader } from "../../../src/backup/tar.js";
import { UnsafeArchiveError } from "../../../src/errors.js";

type Entry = Parameters<ReturnType<typeof tarPack>["entry"]>[0] & { body?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const p = tarPack();
  for (const { body, ...h } of entries) {
    if (body === undefined) p.entry(h);
    else p.entry(h, body);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function read(tar: Buffer, chunkSize = 700) {
  const reader = new TarReader();
  let passed = 0;
  const chunks: Buffer[] = [];
  for (let i = 0; i < tar.length; i += chunkSize) chunks.push(tar.subarray(i, i + chunkSize));
  await pipeline(
    Readable.from(chunks),
    reader,
    new Writable({
      write(c: Buffer, _e, cb) {
        passed += c.length;
        cb();
      },
    }),
  );
  return { summary: await reader.summary, passed };
}

const ROOT: Entry = { name: "volume/", type: "directory", mode: 0o700, uid: 999, gid: 999 };
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("TarReader", () => {
  it("passes the bytes on unchanged and describes every entry", async () => {
    const tar = await tarOf([
      ROOT,
      { name: "volume/dir/", type: "directory", mode: 0o755 },
      { name: "volume/dir/a.txt", mode: 0o640, uid: 1000, gid: 50, body: "hello" },
      { name: "volume/link", type: "symlink", linkname: "dir/a.txt" },
      { name: "volume/hard", type: "link", linkname: "volume/dir/a.txt" },
      { name: "volume/sticky/", type: "directory", mode: 0o1777 },
    ]);
    const { summary, passed } = await read(tar);
    expect(passed).toBe(tar.length);
    expect(summary.tarBytes).toBe(tar.length);
    expect(summary.contentBytes).toBe(5);
    expect(summary.entries).toEqual([
      {
        path: ".",
        type: "directory",
        size: 0,
        mode: 0o700,
        uid: 999,
        gid: 999,
        sha256: null,
        linkTarget: null,
      },
      {
        path: "dir",
        type: "directory",
        size: 0,
        mode: 0o755,
        uid: 0,
        gid: 0,
        sha256: null,
        linkTarget: null,
      },
      {
        path: "dir/a.txt",
        type: "file",
        size: 5,
        mode: 0o640,
        uid: 1000,
        gid: 50,
        sha256: sha("hello"),
        linkTarget: null,
      },
      expect.objectContaining({ path: "link", type: "symlink", linkTarget: "dir/a.txt" }),
      expect.objectContaining({ path: "hard", type: "link", linkTarget: "dir/a.txt" }),
      expect.objectContaining({ path: "sticky", mode: 0o1777 }),
    ]);
  });

  it("reads a large file in small chunks", async () => {
    const body = "x".repeat(300_000);
    const { summary } = await read(await tarOf([ROOT, { name: "volume/big", body }]), 4096);
    expect(summary.entries[1]).toMatchObject({ size: 300_000, sha256: sha(body) });
  });

  const refusals: [string, Entry[], RegExp][] = [
    [
      "a character device",
      [{ name: "volume/null", type: "character-device", devmajor: 1, devminor: 3 }],
      /character-device/,
    ],
    [
      "a block device",
      [{ name: "volume/sda", type: "block-device", devmajor: 8, devminor: 0 }],
      /block-device/,
    ],
    ["a FIFO", [{ name: "volume/pipe", type: "fifo" }], /fifo/],
    ["a setuid file", [{ name: "volume/su", mode: 0o4755, body: "x" }], /setuid/],
    ["a setgid directory", [{ name: "volume/g/", type: "directory", mode: 0o2775 }], /setgid/],
    ["an absolute path", [{ name: "/etc/passwd", body: "x" }], /absolute path/],
    ["a path with ..", [{ name: "volume/../etc/passwd", body: "x" }], /\.\./],
    ["a path outside volume/", [{ name: "other/file", body: "x" }], /outside volume/],
    ["a symlink that escapes", [{ name: "volume/a/esc", type: "symlink", linkname: "../../etc" }], /escapes/],
    [
      "an absolute symlink",
      [{ name: "volume/abs", type: "symlink", linkname: "/etc/shadow" }],
      /absolute path/,
    ],
    [
      "a hard link outside volume/",
      [{ name: "volume/h", type: "link", linkname: "etc/passwd" }],
      /outside volume/,
    ],
    ["a hard link with ..", [{ name: "volume/h", type: "link", linkname: "volume/../x" }], /\.\./],
  ];
  it.each(refusals)("refuses %s", async (_what, entries, why) => {
    const tar = await tarOf([ROOT, ...entries]);
    const err = await read(tar).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeArchiveError);
    expect((err as Error).message).toMatch(why);
  });

  it("refuses an archive cut mid-entry", async () => {
    const tar = await tarOf([ROOT, { name: "volume/f", body: "y".repeat(5000) }]);
    const err = await read(tar.subarray(0, 512 * 4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeArchiveError);
    expect((err as Error).message).toMatch(/cut off mid-entry|truncated/);
  });

  it("refuses an archive cut between entries, before its end marker (the engine's clean 200)", async () => {
    const tar = await tarOf([
      ROOT,
      { name: "volume/f", body: "z".repeat(512) },
      { name: "volume/g", body: "w" },
    ]);
    // root header, f's header and data: a boundary where a parser sees nothing wrong.
    const err = await read(tar.subarray(0, 512 * 3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeArchiveError);
    expect((err as Error).message).toMatch(/end marker/);
  });

  it("refuses an archive whose root is not a directory", async () => {
    const err = await read(await tarOf([{ name: "volume", body: "x" }])).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/root that is not a directory/);
  });
});

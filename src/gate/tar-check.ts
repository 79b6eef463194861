/**
 * A restore's archive, checked entry by entry while it streams (tar-stream reads it) and written
 * again by the gate (tar-stream packs it): each entry's header is checked before a byte of it goes
 * on to the engine. Allowed: regular files, directories, symlinks and hard links, all under
 * `volume/`. Refused: any other type (devices, FIFOs…), setuid or setgid bits, absolute names,
 * `..` components, and links that lead out of `volume/`.
 */
import path from "node:path/posix";
import type { Readable } from "node:stream";
import { extract, type Header, pack } from "tar-stream";

export class TarRefusedError extends Error {}

const TYPES = new Set(["file", "directory", "symlink", "link"]);
const ROOT = "volume";

function insideRoot(name: string): boolean {
  return name === ROOT || name.startsWith(`${ROOT}/`);
}

function cleanName(name: string): string | null {
  if (name.startsWith("/") || name.includes("\0")) return null;
  const parts = name.replace(/\/$/, "").split("/");
  if (parts.some((p) => p === ".." || p === "." || p === "")) return null;
  return parts.join("/");
}

/** Why an entry is refused, or null when it may be restored. */
export function entryProblem(h: Pick<Header, "name" | "type" | "mode" | "linkname">): string | null {
  const show = JSON.stringify(h.name.slice(0, 200));
  const type = h.type ?? "file";
  if (!TYPES.has(type)) return `the entry ${show} is a ${type}`;
  if (((h.mode ?? 0) & 0o6000) !== 0) return `the entry ${show} is setuid or setgid`;
  const name = cleanName(h.name);
  if (name === null) return `the entry ${show} has an absolute name or a . or .. part`;
  if (!insideRoot(name)) return `the entry ${show} is not under volume/`;
  if (type === "symlink") {
    const target = h.linkname ?? "";
    if (target === "" || target.startsWith("/")) return `the symlink ${show} leads out of volume/`;
    const resolved = path.normalize(path.join(path.dirname(name), target));
    if (!insideRoot(resolved)) return `the symlink ${show} leads out of volume/`;
  }
  if (type === "link") {
    const target = cleanName(h.linkname ?? "");
    if (target === null || !insideRoot(target)) return `the hard link ${show} leads out of volume/`;
  }
  return null;
}

/**
 * The archive of `input`, checked and packed again. The stream fails with a TarRefusedError at
 * the first entry refused (nothing of that entry was written), or with tar-stream's error when
 * the input is not a tar; `failure()` says so too, for a consumer that comes after the failure.
 */
export function checkedTar(input: Readable): {
  output: Readable;
  entries: () => number;
  failure: () => Error | null;
} {
  const ex = extract();
  const out = pack();
  let count = 0;
  let failure: Error | null = null;
  // The refusal can come before anyone reads the output (the gate still checking the helper):
  // an error event without a listener would end the whole process.
  out.on("error", (e: Error) => {
    failure ??= e;
  });
  const fail = (err: Error) => {
    failure ??= err;
    out.destroy(err);
    ex.destroy(err);
    // The rest of the client's body is read and dropped, so that the gate can still answer it.
    input.unpipe();
    input.resume();
  };
  ex.on("entry", (header, stream, next) => {
    // Destroying the extractor destroys the entry's stream with the same error: it must be heard.
    stream.on("error", (e: Error) => fail(e));
    const bad = entryProblem(header);
    if (bad) {
      fail(new TarRefusedError(bad));
      return;
    }
    count++;
    const h: Partial<Header> & Pick<Header, "name"> = {
      name: header.name,
      type: header.type,
      mode: header.mode,
      uid: header.uid,
      gid: header.gid,
      uname: header.uname,
      gname: header.gname,
      mtime: header.mtime,
      size: header.type === "file" ? header.size : 0,
      ...(header.linkname ? { linkname: header.linkname } : {}),
    };
    const sink = out.entry(h, (err) => {
      if (err) fail(err);
      else next();
    });
    sink.on("error", (e: Error) => fail(e));
    stream.pipe(sink);
  });
  ex.on("finish", () => out.finalize());
  ex.on("error", (e: Error) =>
    fail(e instanceof TarRefusedError ? e : new TarRefusedError(`not a tar: ${e.message}`)),
  );
  input.on("error", (e: Error) => fail(e));
  input.pipe(ex as unknown as NodeJS.WritableStream);
  return { output: out as unknown as Readable, entries: () => count, failure: () => failure };
}

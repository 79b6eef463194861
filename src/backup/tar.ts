/**
 * The tar reader of backups and restores: the archive the engine streams (GET or PUT
 * /containers/{id}/archive) is parsed as it passes, never held, and each entry is checked and
 * described (path, type, size, mode, owner, sha256). An archive counts only when it reaches its
 * end marker (two zero blocks after the last entry) and every entry's bytes agree with its header:
 * the engine can end a truncated archive with a clean 200.
 *
 * Refused, in a backup as in a restore (the gate refuses them too): devices, FIFOs and any other
 * type but regular files, directories, symlinks and hard links; setuid and setgid bits; paths
 * that are absolute, hold `..`, or are not under `volume/`; links that escape `volume/`.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { type Header, extract as tarExtract } from "tar-stream";
import { UnsafeArchiveError } from "../errors.js";

export type EntryType = "file" | "directory" | "symlink" | "link";

/** One entry of a volume's tree, as the manifest keeps it. */
export interface TreeEntry {
  /** Relative to the volume's root: "." for the root itself, "a/b" below it. */
  path: string;
  type: EntryType;
  /** Bytes of a regular file's content; 0 for the rest. */
  size: number;
  /** Permission bits (with the sticky bit), e.g. 0o755 as 493. */
  mode: number;
  uid: number;
  gid: number;
  /** sha256 of a regular file's content (hex); null for the rest. */
  sha256: string | null;
  /** A symlink's target, or a hard link's entry (relative to the root); null for the rest. */
  linkTarget: string | null;
}

export interface TarSummary {
  entries: TreeEntry[];
  /** Bytes of the tar stream. */
  tarBytes: number;
  /** Bytes of regular files' content. */
  contentBytes: number;
}

const ROOT = "volume";
const TYPES: Record<string, EntryType> = {
  file: "file",
  directory: "directory",
  symlink: "symlink",
  link: "link",
};

/** The entry's path relative to the root, or an UnsafeArchiveError. */
export function relativePath(name: string): string {
  if (name.startsWith("/")) throw new UnsafeArchiveError(name, "an absolute path");
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new UnsafeArchiveError(name, "a path with ..");
  if (parts[0] !== ROOT) throw new UnsafeArchiveError(name, `a path outside ${ROOT}/`);
  return parts.length === 1 ? "." : parts.slice(1).join("/");
}

/** Checks one header; the entry as the manifest keeps it (size and sha256 filled in later). */
export function checkHeader(
  h: Pick<Header, "name" | "type" | "mode" | "uid" | "gid" | "linkname" | "size">,
): TreeEntry {
  const type = TYPES[h.type ?? "file"];
  if (!type)
    throw new UnsafeArchiveError(
      h.name,
      `a ${h.type} entry (only files, directories and links are restored)`,
    );
  const path = relativePath(h.name);
  const mode = (h.mode ?? 0) & 0o7777;
  if (mode & 0o4000) throw new UnsafeArchiveError(h.name, "a setuid entry");
  if (mode & 0o2000) throw new UnsafeArchiveError(h.name, "a setgid entry");
  if (path === "." && type !== "directory")
    throw new UnsafeArchiveError(h.name, "a root that is not a directory");
  let linkTarget: string | null = null;
  if (type === "symlink" || type === "link") {
    const target = h.linkname ?? "";
    if (target === "") throw new UnsafeArchiveError(h.name, "a link without a target");
    if (type === "link") {
      linkTarget = relativePath(target);
    } else {
      if (target.startsWith("/"))
        throw new UnsafeArchiveError(h.name, `a symlink to an absolute path (${target})`);
      // Resolved from the link's own directory, it must stay under the root.
      const resolved = posix.normalize(posix.join(posix.dirname(path), target));
      if (resolved === ".." || resolved.startsWith("../")) {
        throw new UnsafeArchiveError(h.name, `a symlink that escapes ${ROOT}/ (${target})`);
      }
      linkTarget = target;
    }
  }
  return { path, type, size: 0, mode, uid: h.uid ?? 0, gid: h.gid ?? 0, sha256: null, linkTarget };
}

/**
 * A pass-through that reads the tar as it flows: bytes go on unchanged (to gzip, or to the
 * engine), and `summary` settles once the stream ended with every entry checked and the end
 * marker reached; any refusal or truncation fails the stream itself.
 */
export class TarReader extends Transform {
  private readonly extract = tarExtract();
  private readonly entries: TreeEntry[] = [];
  private bytes = 0;
  private content = 0;
  /** Where the last entry's data (padded to a block) ends. */
  private lastEntryEnd = 0;
  /** The last 1024 bytes seen. */
  private tail: Buffer = Buffer.alloc(0);
  private parseError: Error | null = null;
  /** A write waiting for the parser to drain. */
  private waiting: (() => void) | null = null;
  /** The entry being read: its end. */
  private current: Promise<void> = Promise.resolve();
  private readonly finished: Promise<void>;
  private resolveSummary!: (s: TarSummary) => void;
  private rejectSummary!: (e: Error) => void;
  readonly summary: Promise<TarSummary>;

  constructor() {
    super();
    this.summary = new Promise((res, rej) => {
      this.resolveSummary = res;
      this.rejectSummary = rej;
    });
    this.summary.catch(() => {});
    this.finished = new Promise<void>((res) => {
      this.extract.on("finish", () => res());
      this.extract.on("close", () => res());
    });
    this.extract.on("entry", (header, stream, next) => {
      let entry: TreeEntry;
      try {
        entry = checkHeader(header);
      } catch (err) {
        stream.on("error", () => {});
        stream.resume();
        this.extract.destroy(err as Error);
        return;
      }
      const hash = entry.type === "file" ? createHash("sha256") : null;
      let size = 0;
      let done!: () => void;
      this.current = new Promise<void>((res) => {
        done = res;
      });
      stream.on("error", () => done());
      // (The parser's own error is the one reported.)
      stream.on("data", (data: unknown) => {
        const c = data as Buffer;
        size += c.length;
        hash?.update(c);
      });
      stream.on("end", () => {
        done();
        const declared = header.size ?? 0;
        if (size !== declared) {
          this.extract.destroy(
            new UnsafeArchiveError(header.name, `${size} bytes where the header says ${declared}`),
          );
          return;
        }
        if (entry.type === "file") {
          entry.size = size;
          entry.sha256 = hash?.digest("hex") ?? null;
          this.content += size;
        }
        const offset = (header as Header & { byteOffset?: number }).byteOffset ?? 0;
        this.lastEntryEnd = offset + Math.ceil(declared / 512) * 512;
        this.entries.push(entry);
        next();
      });
    });
    this.extract.on("error", (err) => {
      this.parseError ??= err;
      this.release();
    });
    this.extract.on("drain", () => this.release());
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.parseError) {
      cb(this.failure(this.parseError));
      return;
    }
    this.bytes += chunk.length;
    this.tail =
      chunk.length >= 1024
        ? chunk.subarray(chunk.length - 1024)
        : Buffer.concat([this.tail, chunk]).subarray(-1024);
    const go = () => {
      if (this.parseError) cb(this.failure(this.parseError));
      else cb(null, chunk);
    };
    if (this.extract.write(chunk)) go();
    else this.waiting = go;
  }

  private release(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  override _flush(cb: TransformCallback): void {
    if (this.parseError) {
      cb(this.failure(this.parseError));
      return;
    }
    this.extract.end(undefined);
    void this.finished.then(async () => {
      await this.current;
      if (this.parseError) {
        cb(this.failure(this.parseError));
        return;
      }
      const trailing = this.bytes - this.lastEntryEnd;
      if (this.entries.length === 0 || trailing < 1024 || this.tail.some((b) => b !== 0)) {
        cb(
          this.failure(
            new UnsafeArchiveError("(end)", "an archive that ends before its end marker: it is truncated"),
          ),
        );
        return;
      }
      this.resolveSummary({ entries: this.entries, tarBytes: this.bytes, contentBytes: this.content });
      cb();
    });
  }

  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    if (err) this.rejectSummary(err);
    this.extract.destroy(err ?? undefined);
    cb(err);
  }

  private failure(err: Error): Error {
    const e =
      err instanceof UnsafeArchiveError
        ? err
        : new UnsafeArchiveError(
            "(stream)",
            /unexpected end/i.test(err.message)
              ? "an archive cut off mid-entry: it is truncated"
              : err.message,
          );
    this.rejectSummary(e);
    return e;
  }
}

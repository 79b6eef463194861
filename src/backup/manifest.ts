/**
 * A backup's manifest (README "Backups"): what was backed up (host, volume, driver, options,
 * labels, CreatedAt), every entry of the tree (path, type, size, mode, owner, sha256), the archive
 * (size and sha256 of the gzipped file), and who asked, why, when, with which dvol. It is kept
 * beside the archive; the manifests in the store of backups are its index.
 */
import { randomBytes } from "node:crypto";
import type { TreeEntry } from "./tar.js";

export const MANIFEST_FORMAT = "dvol-backup/1";

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  id: string;
  /** complete: verified and restorable; failed: kept as a record only, never restorable. */
  status: "complete" | "failed";
  /** Why it failed (null when complete). */
  error: string | null;
  host: string;
  volume: {
    name: string;
    driver: string;
    driverOpts: Record<string, string>;
    labels: Record<string, string>;
    createdAt: string | null;
  };
  /** Every entry of the volume's tree, in archive order (empty for a failed backup). */
  entries: TreeEntry[];
  archive: {
    /** The archive's name in the store (`<id>.tar.gz`). */
    name: string;
    encoding: "gzip";
    /** Bytes of the stored (gzipped) file, and its sha256. */
    bytes: number;
    sha256: string;
    /** Bytes of the tar stream, and of the files' content. */
    tarBytes: number;
    contentBytes: number;
  } | null;
  /** Who asked (a Slack user ID, or `cli:<user>`), why (--reason), when it started and ended. */
  who: string;
  why: string | null;
  startedAt: string;
  finishedAt: string;
  /** When the store forgets it (backup.keepDays). */
  expiresAt: string;
  dvolVersion: string;
}

/** A backup id: `bk-20261203-061512-0a1b2c3d` (UTC start time, then random). */
export const BACKUP_ID_RE = /^bk-\d{8}-\d{6}-[0-9a-f]{8}$/;

export function newBackupId(at: Date, hex: () => string = () => randomBytes(4).toString("hex")): string {
  const iso = at.toISOString();
  return `bk-${iso.slice(0, 10).replaceAll("-", "")}-${iso.slice(11, 19).replaceAll(":", "")}-${hex()}`;
}

/** What differs between two trees (path by path), at most `max` lines; empty when they agree. */
export function treeDifferences(
  expected: readonly TreeEntry[],
  actual: readonly TreeEntry[],
  max = 10,
): string[] {
  const out: string[] = [];
  const got = new Map(actual.map((e) => [e.path, e]));
  const fields = ["type", "size", "mode", "uid", "gid", "sha256", "linkTarget"] as const;
  for (const e of expected) {
    const a = got.get(e.path);
    got.delete(e.path);
    if (!a) out.push(`${e.path}: missing`);
    else {
      for (const f of fields) {
        // A hard link's pair may come back in the other order: the pair agrees either way.
        if (e.type === "link" || a.type === "link") {
          if (f === "type" || f === "size" || f === "sha256" || f === "linkTarget") continue;
        }
        if (e[f] !== a[f]) {
          const show = (v: unknown) =>
            f === "mode" && typeof v === "number" ? `0${v.toString(8)}` : String(v);
          out.push(`${e.path}: ${f} ${show(a[f])}, expected ${show(e[f])}`);
        }
      }
    }
  }
  for (const p of got.keys()) out.push(`${p}: not in the backup`);
  return out.slice(0, max);
}

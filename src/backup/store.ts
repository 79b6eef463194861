/**
 * The store of backups: archives and their manifests side by side, in a local directory
 * (local.ts) or an S3 bucket (s3.ts). The manifests are the index: `list` reads them, and only a
 * complete one is restorable (a failed backup is recorded as such, never listed as restorable).
 */
import type { Readable, Writable } from "node:stream";
import type { BackupManifest } from "./manifest.js";

/** An archive being written: its bytes go to `sink`; `commit` makes it whole, `abort` drops it. */
export interface ArchiveWriter {
  readonly sink: Writable;
  /** Waits for the last byte to be stored, then makes the archive visible under its name. */
  commit(): Promise<void>;
  /** Drops whatever was written (a temporary file, an incomplete multipart upload). */
  abort(): Promise<void>;
}

export interface BackupStore {
  /** Where the backups are, as people read it: a directory, or s3://bucket/prefix. */
  readonly location: string;
  /** Starts writing the archive of backup `id` (`<id>.tar.gz`), under a temporary name until commit. */
  createArchive(id: string): Promise<ArchiveWriter>;
  /** Writes (or replaces) a manifest, beside its archive. */
  putManifest(m: BackupManifest): Promise<void>;
  /** Every manifest, newest first: complete and failed ones (the caller shows which is which). */
  list(): Promise<BackupManifest[]>;
  get(id: string): Promise<BackupManifest | null>;
  /** The stored (gzipped) archive of a backup. */
  openArchive(id: string): Promise<Readable>;
}

export const archiveName = (id: string) => `${id}.tar.gz`;
export const manifestName = (id: string) => `${id}.json`;

/** Newest first: by start time (ids carry it to the second only), then by id. */
export const newestFirst = (a: BackupManifest, b: BackupManifest) =>
  b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id);

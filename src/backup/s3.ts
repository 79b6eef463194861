/**
 * The store of backups in S3 (`backup.bucket`, on AWS): each archive is a multipart upload
 * (@aws-sdk/lib-storage's Upload) with a bounded part size and queue, so memory stays at a few
 * parts whatever the volume's size; an upload that fails is aborted, so no partial object is
 * left (the bucket's lifecycle rule also aborts any incomplete upload). Every write asks for
 * server-side encryption: SSE-KMS with `backup.kmsKeyId`, else SSE-S3 (AES256). The manifests are
 * JSON objects beside the archives, under the same prefix, and are the index.
 */
import { PassThrough, Readable } from "node:stream";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type ServerSideEncryption,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { BackupStoreError } from "../errors.js";
import { BACKUP_ID_RE, type BackupManifest } from "./manifest.js";
import { type ArchiveWriter, archiveName, type BackupStore, manifestName, newestFirst } from "./store.js";

/** 8 MiB parts, 2 in flight: about 3 parts (24 MiB) held at most. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
export const DEFAULT_QUEUE_SIZE = 2;

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix of archives and manifests (default `backups/`). */
  prefix?: string;
  kmsKeyId: string | null;
  partSize?: number;
  queueSize?: number;
}

const s3Error = (what: string, cause: unknown) =>
  new BackupStoreError(`${what}: ${cause instanceof Error ? cause.message : String(cause)}`, {
    cause,
    hint: "Check backup.bucket, the worker's permissions on it and, with a KMS key, its key policy.",
  });

const notFound = (err: unknown) =>
  err instanceof Error && (err.name === "NoSuchKey" || err.name === "NotFound");

export class S3BackupStore implements BackupStore {
  private readonly prefix: string;

  constructor(private readonly o: S3StoreOptions) {
    this.prefix = o.prefix ?? "backups/";
  }

  get location(): string {
    return `s3://${this.o.bucket}/${this.prefix}`;
  }

  /** The encryption every write asks for. */
  encryption(): { ServerSideEncryption: ServerSideEncryption; SSEKMSKeyId?: string } {
    return this.o.kmsKeyId
      ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: this.o.kmsKeyId }
      : { ServerSideEncryption: "AES256" };
  }

  private key(name: string): string {
    return `${this.prefix}${name}`;
  }

  async createArchive(id: string): Promise<ArchiveWriter> {
    const sink = new PassThrough();
    const key = this.key(archiveName(id));
    const upload = new Upload({
      client: this.o.client,
      params: {
        Bucket: this.o.bucket,
        Key: key,
        Body: sink,
        ContentType: "application/gzip",
        ...this.encryption(),
      },
      partSize: this.o.partSize ?? DEFAULT_PART_SIZE,
      queueSize: this.o.queueSize ?? DEFAULT_QUEUE_SIZE,
      leavePartsOnError: false,
    });
    const done = upload.done();
    done.catch(() => {});
    return {
      sink,
      commit: async () => {
        try {
          await done;
        } catch (err) {
          throw s3Error(`cannot upload ${key}`, err);
        }
      },
      abort: async () => {
        sink.destroy();
        await upload.abort().catch(() => {});
      },
    };
  }

  async putManifest(m: BackupManifest): Promise<void> {
    const key = this.key(manifestName(m.id));
    try {
      await this.o.client.send(
        new PutObjectCommand({
          Bucket: this.o.bucket,
          Key: key,
          Body: `${JSON.stringify(m, null, 1)}\n`,
          ContentType: "application/json",
          ...this.encryption(),
        }),
      );
    } catch (err) {
      throw s3Error(`cannot write ${key}`, err);
    }
  }

  async list(): Promise<BackupManifest[]> {
    const ids: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.o.client.send(
          new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix: this.prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) {
          const name = (o.Key ?? "").slice(this.prefix.length);
          if (name.endsWith(".json") && BACKUP_ID_RE.test(name.slice(0, -5))) ids.push(name.slice(0, -5));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw s3Error(`cannot list ${this.location}`, err);
    }
    const all: BackupManifest[] = [];
    // A few at a time: a bucket of many backups is still read in bounded memory and requests.
    for (let i = 0; i < ids.length; i += 8) {
      const got = await Promise.all(ids.slice(i, i + 8).map((id) => this.get(id)));
      for (const m of got) if (m) all.push(m);
    }
    return all.sort(newestFirst);
  }

  async get(id: string): Promise<BackupManifest | null> {
    if (!BACKUP_ID_RE.test(id)) return null;
    const key = this.key(manifestName(id));
    try {
      const got = await this.o.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: key }));
      return JSON.parse((await got.Body?.transformToString("utf8")) ?? "null") as BackupManifest | null;
    } catch (err) {
      if (notFound(err)) return null;
      throw s3Error(`cannot read ${key}`, err);
    }
  }

  async openArchive(id: string): Promise<Readable> {
    const key = this.key(archiveName(id));
    try {
      const got = await this.o.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: key }));
      if (!(got.Body instanceof Readable)) throw new Error("the answer has no stream");
      return got.Body;
    } catch (err) {
      throw s3Error(`cannot read ${key}`, err);
    }
  }
}

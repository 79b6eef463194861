// Unit tests of src/backup/open.ts: which store of backups a config and environment name, and the
// S3 upload's shape for the function's memory.
import { describe, expect, it } from "vitest";
import { LocalBackupStore } from "../../../src/backup/local.js";
import { openBackupStore, UPLOAD_PART_SIZE, uploadShape } from "../../../src/backup/open.js";
import { S3BackupStore } from "../../../src/backup/s3.js";

const withBucket = (bucket: string | null, kmsKeyId: string | null = null) => ({
  backup: { bucket, kmsKeyId, beforeDelete: "off" as const, maxBytes: null, keepDays: 30 },
});

describe("openBackupStore", () => {
  it("is DVOL_BACKUP_DIR, else backups/ under DVOL_STATE_DIR, without a bucket", async () => {
    const a = await openBackupStore({}, { DVOL_BACKUP_DIR: "bk" }, { cwd: "/srv" });
    expect(a).toBeInstanceOf(LocalBackupStore);
    expect(a.location).toBe("/srv/bk");
    expect((await openBackupStore({}, { DVOL_STATE_DIR: "/var/dvol" }, { cwd: "/srv" })).location).toBe(
      "/var/dvol/backups",
    );
  });

  it("is the config's bucket, else DVOL_BACKUP_BUCKET (the worker's, from serverless.yml), with the KMS key of either", async () => {
    const env = { AWS_REGION: "eu-west-1", DVOL_BACKUP_BUCKET: "from-env", DVOL_BACKUP_KMS_KEY_ID: "k-env" };
    const fromConfig = (await openBackupStore(withBucket("from-config", "k-conf"), env, {
      cwd: "/",
    })) as S3BackupStore;
    expect(fromConfig).toBeInstanceOf(S3BackupStore);
    expect(fromConfig.location).toBe("s3://from-config/backups/");
    expect(fromConfig.encryption()).toEqual({ ServerSideEncryption: "aws:kms", SSEKMSKeyId: "k-conf" });
    const fromEnv = (await openBackupStore({}, env, { cwd: "/" })) as S3BackupStore;
    expect(fromEnv.location).toBe("s3://from-env/backups/");
    expect(fromEnv.encryption()).toEqual({ ServerSideEncryption: "aws:kms", SSEKMSKeyId: "k-env" });
    const plain = (await openBackupStore(
      {},
      { DVOL_BACKUP_BUCKET: "b", DVOL_BACKUP_KMS_KEY_ID: "" },
      { cwd: "/" },
    )) as S3BackupStore;
    expect(plain.encryption()).toEqual({ ServerSideEncryption: "AES256" });
  });
});

describe("uploadShape", () => {
  it.each([128, 256, 512, 1024, 10_240])(
    "holds at most an eighth of %i MB in parts, of at least S3's 5 MiB",
    (mb) => {
      const { partSize, queueSize } = uploadShape(mb);
      expect(partSize).toBeGreaterThanOrEqual(5 * 2 ** 20);
      expect(queueSize).toBeGreaterThanOrEqual(1);
      if (mb >= 128) expect((queueSize + 1) * partSize).toBeLessThanOrEqual((mb * 2 ** 20) / 8);
    },
  );

  it("uses 8 MiB parts, 4 in flight, on the worker's 512 MB; 2 without a memory setting (the CLI)", () => {
    expect(uploadShape(512)).toEqual({ partSize: UPLOAD_PART_SIZE, queueSize: 4 });
    expect(uploadShape(null)).toEqual({ partSize: 8 * 2 ** 20, queueSize: 2 });
  });
});

/**
 * Which store of backups a config and environment name: `backup.bucket` (S3, on AWS), else the
 * local directory DVOL_BACKUP_DIR (default `backups/` under DVOL_STATE_DIR). The S3 client is
 * loaded only here, when a bucket is used.
 */
import { type BackupConfig, backupConfig, type Config } from "../config/types.js";
import { LocalBackupStore, localBackupDir } from "./local.js";
import type { BackupStore } from "./store.js";

export interface OpenBackupStoreOptions {
  cwd: string;
  /** S3 client settings the environment does not give (tests: endpoint, credentials). */
  s3?: Record<string, unknown>;
}

export async function openBackupStore(
  config: Pick<Config, "backup">,
  env: NodeJS.ProcessEnv,
  opts: OpenBackupStoreOptions,
): Promise<BackupStore> {
  const b: BackupConfig = backupConfig(config);
  if (b.bucket === null) return new LocalBackupStore(localBackupDir(env, opts.cwd));
  const [{ S3Client }, { S3BackupStore }] = await Promise.all([
    import("@aws-sdk/client-s3"),
    import("./s3.js"),
  ]);
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  const client = new S3Client({
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...opts.s3,
  });
  return new S3BackupStore({ client, bucket: b.bucket, kmsKeyId: b.kmsKeyId });
}

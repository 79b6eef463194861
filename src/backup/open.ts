/**
 * Which store of backups a config and environment name: `backup.bucket`, else DVOL_BACKUP_BUCKET
 * (the bucket serverless.yml makes, in the worker's environment) for S3; otherwise the local
 * directory DVOL_BACKUP_DIR (default `backups/` under DVOL_STATE_DIR). The KMS key is
 * `backup.kmsKeyId`, else DVOL_BACKUP_KMS_KEY_ID. The S3 client is loaded only here, when a
 * bucket is used, and its upload's part size and queue fit the function's memory.
 */
import { type BackupConfig, backupConfig, type Config } from "../config/types.js";
import { LocalBackupStore, localBackupDir } from "./local.js";
import type { BackupStore } from "./store.js";

export interface OpenBackupStoreOptions {
  cwd: string;
  /** S3 client settings the environment does not give (tests: endpoint, credentials). */
  s3?: Record<string, unknown>;
}

const MIB = 1024 * 1024;
/** S3's smallest part (but the last) is 5 MiB; 8 MiB parts make objects of up to 80 GiB (10,000 parts). */
export const UPLOAD_PART_SIZE = 8 * MIB;

/**
 * The multipart upload's shape for a function of `memoryMb` (Lambda's
 * AWS_LAMBDA_FUNCTION_MEMORY_SIZE): the parts held at once (the queue, and the one being filled)
 * take at most an eighth of the memory, the rest being the runtime's, gzip's and the streams'.
 * 512 MB (the worker's setting): 8 MiB parts, 4 in flight, at most 40 MiB held.
 */
export function uploadShape(memoryMb: number | null): { partSize: number; queueSize: number } {
  if (memoryMb === null || !Number.isFinite(memoryMb) || memoryMb <= 0) {
    return { partSize: UPLOAD_PART_SIZE, queueSize: 2 };
  }
  const parts = Math.floor((memoryMb * MIB) / 8 / UPLOAD_PART_SIZE);
  return { partSize: UPLOAD_PART_SIZE, queueSize: Math.max(1, Math.min(4, parts - 1)) };
}

export async function openBackupStore(
  config: Pick<Config, "backup">,
  env: NodeJS.ProcessEnv,
  opts: OpenBackupStoreOptions,
): Promise<BackupStore> {
  const b: BackupConfig = backupConfig(config);
  const bucket = b.bucket ?? (env.DVOL_BACKUP_BUCKET?.trim() || null);
  if (bucket === null) return new LocalBackupStore(localBackupDir(env, opts.cwd));
  const kmsKeyId = b.kmsKeyId ?? (env.DVOL_BACKUP_KMS_KEY_ID?.trim() || null);
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
  const memory = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ? Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE) : null;
  return new S3BackupStore({ client, bucket, kmsKeyId, ...uploadShape(memory) });
}

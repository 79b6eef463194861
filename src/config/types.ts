/** A reference to secret material: never the secret itself. */
export interface SecretRef {
  scheme: "file" | "env" | "ssm";
  /** Path, variable name or SSM parameter name. */
  target: string;
}

export interface TlsConfig {
  ca: SecretRef;
  cert: SecretRef;
  key: SecretRef;
  /** Name to verify the server certificate against, when the URL holds an address. */
  serverName: string | undefined;
}

export type Endpoint =
  | { kind: "tcp"; host: string; port: number; tls: TlsConfig }
  | { kind: "socket"; path: string };

/** The endpoint as people read it: `tcp://host:port` or `unix:///path`. */
export function describeEndpoint(e: Endpoint): string {
  return e.kind === "tcp" ? `tcp://${e.host}:${e.port}` : `unix://${e.path}`;
}

export interface HostConfig {
  name: string;
  endpoint: Endpoint;
  labels: Record<string, string>;
  /** Deadline of one command on this host: connect, TLS and every answer included. */
  timeoutMs: number;
}

export interface LabelRule {
  key: string;
  /** undefined: any value matches. */
  value: string | undefined;
}

export interface Config {
  /** The file the config came from; null for the built-in default. */
  source: string | null;
  /** Directory that relative `file:` references are resolved from. */
  baseDir: string;
  hosts: HostConfig[];
  access: {
    channels: string[];
    viewers: string[];
    requesters: string[];
    approvers: string[];
    allowSelfApproval: boolean;
  };
  report: { channel: string | null };
  protect: { names: string[]; labels: LabelRule[] };
  requests: { ttlHours: number };
  /** `backup:` (README "Backups"); validateConfig always sets it, literals in tests may leave it out. */
  backup?: BackupConfig;
  /**
   * Sizes on big hosts (issue 12): the deadline of one measurement (`/system/df`), in ms.
   * validateConfig always sets it; absent (a config made in code), sizesTimeoutMs's default.
   */
  sizes?: { timeoutMs: number };
}

/** `backup:`: where backups go on AWS, and how deletions use them. */
export interface BackupConfig {
  /** The S3 bucket of backups; null: a local directory (DVOL_BACKUP_DIR, default under DVOL_STATE_DIR). */
  bucket: string | null;
  /** A KMS key for the bucket's server-side encryption (aws:kms); null: SSE-S3 (AES256). */
  kmsKeyId: string | null;
  /** `required`: deletions back each volume up first (default when `backup:` is given); `off`: never. */
  beforeDelete: "required" | "off";
  /** A volume larger than this is not backed up before a deletion (null: no bound). */
  maxBytes: number | null;
  /** Backups expire after this many days (the bucket's lifecycle rule; `backups` shows the expiry). */
  keepDays: number;
}

export const DEFAULT_KEEP_DAYS = 30;

/** The backup settings of a config (the defaults when it has no `backup:`). */
export function backupConfig(config: Pick<Config, "backup">): BackupConfig {
  return (
    config.backup ?? {
      bucket: null,
      kmsKeyId: null,
      beforeDelete: "off",
      maxBytes: null,
      keepDays: DEFAULT_KEEP_DAYS,
    }
  );
}

export const DEFAULT_SIZES_TIMEOUT_MS = 600_000;

/** The deadline of one measurement of sizes on a host (issue 12). */
export function sizesTimeoutMs(config: Pick<Config, "sizes">): number {
  return config.sizes?.timeoutMs ?? DEFAULT_SIZES_TIMEOUT_MS;
}

export const DEFAULT_TIMEOUT_MS = 20_000;

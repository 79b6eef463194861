import { ConfigError } from "../errors.js";
import { describe, expectObj, onlyKeys, str } from "./checks.js";
import {
  type BackupConfig,
  type Config,
  DEFAULT_KEEP_DAYS,
  DEFAULT_TIMEOUT_MS,
  type Endpoint,
  type HostConfig,
  type LabelRule,
  type SecretRef,
  type TlsConfig,
} from "./types.js";

/** Host names are used in commands, globs and comma lists: keep them to a safe alphabet. */
export const HOST_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const RESERVED_HOST_NAMES = new Set(["all"]);

function optStr(v: unknown, key: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, key);
}

function strList(v: unknown, key: string, fallback: string[]): string[] {
  if (v === undefined || v === null) return fallback;
  if (!Array.isArray(v)) throw new ConfigError(`expected a list of strings, got ${describe(v)}`, { key });
  return v.map((item, i) => str(item, `${key}[${i}]`));
}

function bool(v: unknown, key: string, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean") throw new ConfigError(`expected true or false, got ${describe(v)}`, { key });
  return v;
}

/** A positive number of at most `max` (`why` says where the bound comes from). */
function positive(v: unknown, key: string, fallback: number, max: { value: number; why: string }): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new ConfigError(`expected a positive number, got ${describe(v)}`, { key });
  }
  if (v > max.value) {
    throw new ConfigError(`${v} is more than ${max.value}, the most allowed: ${max.why}`, { key });
  }
  return v;
}

/**
 * The worker function's timeout in seconds: serverless.yml's `functions.worker.timeout`, which
 * must stay equal to this (test/unit/config/validate.test.ts compares them).
 */
export const WORKER_FUNCTION_TIMEOUT_SECONDS = 120;

/**
 * What the worker needs after its longest call to a host, before Lambda stops it: posting the
 * result in Slack and recording the outcome in the store (a deletion's last volume), or handing
 * what is left to a new invocation.
 */
export const WORKER_MARGIN_SECONDS = 15;

/**
 * The longest `timeoutSeconds` a host may have. A command's deadline on a host must end early
 * enough in the worker's invocation that the worker can still say and record what happened; and a
 * deletion stops starting volumes once the time left is that deadline plus the margin (it hands
 * the rest to a fresh invocation, src/jobs/deadline.ts), so at least as much time must remain to
 * work in: half of the function's timeout less the margin (52 s).
 */
export const MAX_HOST_TIMEOUT_SECONDS = Math.floor(
  (WORKER_FUNCTION_TIMEOUT_SECONDS - WORKER_MARGIN_SECONDS) / 2,
);

/** The longest life of a deletion request: a year. */
export const MAX_TTL_HOURS = 24 * 365;

const HOST_TIMEOUT_BOUND = {
  value: MAX_HOST_TIMEOUT_SECONDS,
  why: `half of the worker function's timeout (${WORKER_FUNCTION_TIMEOUT_SECONDS} s, serverless.yml) less ${WORKER_MARGIN_SECONDS} s to post and record the result, so that a deletion has time to work before it hands over`,
};
const TTL_BOUND = { value: MAX_TTL_HOURS, why: "a year" };

// --- sizes (issue 12) ---
/** The report function's timeout in seconds: serverless.yml's `functions.report.timeout`. */
export const REPORT_FUNCTION_TIMEOUT_SECONDS = 900;
/** What the report needs after the hosts' measurements: its store writes and its post in Slack. */
export const REPORT_MARGIN_SECONDS = 120;
/**
 * The longest `sizes.timeoutSeconds`: the daily report waits for each host's measurement, and
 * must still post within its function's timeout.
 */
export const MAX_SIZES_TIMEOUT_SECONDS = REPORT_FUNCTION_TIMEOUT_SECONDS - REPORT_MARGIN_SECONDS;
export const DEFAULT_SIZES_TIMEOUT_SECONDS = 600;
const SIZES_TIMEOUT_BOUND = {
  value: MAX_SIZES_TIMEOUT_SECONDS,
  why: `the report function's timeout (${REPORT_FUNCTION_TIMEOUT_SECONDS} s, serverless.yml) less ${REPORT_MARGIN_SECONDS} s to record and post the report`,
};

export function parseSecretRef(v: unknown, key: string): SecretRef {
  const s = str(v, key);
  const m = /^(file|env|ssm):(.+)$/.exec(s);
  if (!m) {
    throw new ConfigError("expected a reference file:PATH, env:VAR or ssm:/param/name", {
      key,
      hint: "Secrets are never written in the config: point to where they are kept.",
    });
  }
  const scheme = m[1] as SecretRef["scheme"];
  const target = m[2] as string;
  if (scheme === "ssm" && !target.startsWith("/")) {
    throw new ConfigError("an ssm: reference names a parameter path starting with /", { key });
  }
  if (scheme === "env" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(target)) {
    throw new ConfigError(`"${target}" is not an environment variable name`, { key });
  }
  return { scheme, target };
}

function parseTls(v: unknown, key: string): TlsConfig {
  const o = expectObj(v, key);
  onlyKeys(o, ["ca", "cert", "key", "serverName"], key);
  return {
    ca: parseSecretRef(o.ca, `${key}.ca`),
    cert: parseSecretRef(o.cert, `${key}.cert`),
    key: parseSecretRef(o.key, `${key}.key`),
    serverName: optStr(o.serverName, `${key}.serverName`),
  };
}

/** Parses `tcp://host:port`; the port defaults to Docker's TLS port 2376. */
export function parseTcpUrl(url: string, key: string): { host: string; port: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new ConfigError(`"${url}" is not a URL`, { key, cause });
  }
  if (u.protocol !== "tcp:") {
    throw new ConfigError(
      `unsupported scheme "${u.protocol}" (use tcp://HOST:PORT, or socket: for a unix socket)`,
      {
        key,
      },
    );
  }
  if (u.pathname && u.pathname !== "/" && u.pathname !== "") {
    throw new ConfigError(`"${url}" has a path; give tcp://HOST:PORT only`, { key });
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!host) throw new ConfigError(`"${url}" has no host`, { key });
  return { host, port: u.port ? Number(u.port) : 2376 };
}

function parseHost(v: unknown, i: number): HostConfig {
  const at = `hosts[${i}]`;
  const o = expectObj(v, at);
  const name = str(o.name, `${at}.name`);
  if (!HOST_NAME_RE.test(name) || RESERVED_HOST_NAMES.has(name)) {
    throw new ConfigError(
      `"${name}" is not a usable host name: letters, digits, "_", "." and "-", starting with a letter or digit, not "all"`,
      { key: `${at}.name` },
    );
  }
  const hat = `hosts[${i}] (${name})`;
  onlyKeys(o, ["name", "url", "socket", "tls", "labels", "timeoutSeconds"], hat);
  let endpoint: Endpoint;
  if (o.url !== undefined && o.socket !== undefined) {
    throw new ConfigError("give either url or socket, not both", { key: hat });
  } else if (o.url !== undefined) {
    const { host, port } = parseTcpUrl(str(o.url, `${hat}.url`), `${hat}.url`);
    if (o.tls === undefined || o.tls === null) {
      throw new ConfigError(
        "a tcp:// host needs tls (ca, cert, key): dvol only talks to remote engines over mutual TLS",
        {
          key: `${hat}.tls`,
          hint: "See the README section on giving a host a TLS endpoint.",
        },
      );
    }
    endpoint = { kind: "tcp", host, port, tls: parseTls(o.tls, `${hat}.tls`) };
  } else if (o.socket !== undefined) {
    if (o.tls !== undefined) throw new ConfigError("tls applies to tcp:// hosts only", { key: `${hat}.tls` });
    const path = str(o.socket, `${hat}.socket`).replace(/^unix:\/\//, "");
    endpoint = { kind: "socket", path };
  } else {
    throw new ConfigError("each host needs url (tcp://HOST:PORT) or socket (a unix socket path)", {
      key: hat,
    });
  }
  const labels: Record<string, string> = {};
  if (o.labels !== undefined && o.labels !== null) {
    for (const [k, val] of Object.entries(expectObj(o.labels, `${hat}.labels`))) {
      if (typeof val !== "string" && typeof val !== "number" && typeof val !== "boolean") {
        throw new ConfigError(`expected a scalar, got ${describe(val)}`, { key: `${hat}.labels.${k}` });
      }
      labels[k] = String(val);
    }
  }
  const timeoutMs =
    positive(o.timeoutSeconds, `${hat}.timeoutSeconds`, DEFAULT_TIMEOUT_MS / 1000, HOST_TIMEOUT_BOUND) * 1000;
  return { name, endpoint, labels, timeoutMs };
}

export function parseLabelRule(s: string): LabelRule {
  const eq = s.indexOf("=");
  return eq < 0 ? { key: s, value: undefined } : { key: s.slice(0, eq), value: s.slice(eq + 1) };
}

/** A protect rule `KEY` or `KEY=VALUE`: the key is needed (`=v` would protect nothing, silently). */
function protectLabelRule(s: string, key: string): LabelRule {
  const rule = parseLabelRule(s);
  if (rule.key.trim() === "") {
    throw new ConfigError(`${JSON.stringify(s)} has no label key: write KEY or KEY=VALUE`, { key });
  }
  return rule;
}

/** Validates a parsed YAML document; every error names the offending key. */
export function validateConfig(doc: unknown, source: string | null, baseDir: string): Config {
  const o = doc === null || doc === undefined ? {} : expectObj(doc, "");
  onlyKeys(o, ["hosts", "access", "report", "protect", "requests", "backup", "sizes"], "");
  if (!Array.isArray(o.hosts) || o.hosts.length === 0) {
    throw new ConfigError("expected a non-empty list of hosts", { key: "hosts" });
  }
  const hosts = o.hosts.map(parseHost);
  const seen = new Set<string>();
  hosts.forEach((h, i) => {
    if (seen.has(h.name))
      throw new ConfigError(`duplicate host name "${h.name}"`, { key: `hosts[${i}].name` });
    seen.add(h.name);
  });

  const access = o.access === undefined ? {} : expectObj(o.access, "access");
  onlyKeys(access, ["channels", "viewers", "requesters", "approvers", "allowSelfApproval"], "access");
  const report = o.report === undefined ? {} : expectObj(o.report, "report");
  onlyKeys(report, ["channel"], "report");
  const protect = o.protect === undefined ? {} : expectObj(o.protect, "protect");
  onlyKeys(protect, ["names", "labels"], "protect");
  const requests = o.requests === undefined ? {} : expectObj(o.requests, "requests");
  onlyKeys(requests, ["ttlHours"], "requests");
  const sizes = o.sizes === undefined || o.sizes === null ? {} : expectObj(o.sizes, "sizes");
  onlyKeys(sizes, ["timeoutSeconds"], "sizes");

  return {
    source,
    baseDir,
    hosts,
    access: {
      channels: strList(access.channels, "access.channels", []),
      viewers: strList(access.viewers, "access.viewers", ["*"]),
      requesters: strList(access.requesters, "access.requesters", ["*"]),
      approvers: strList(access.approvers, "access.approvers", []),
      allowSelfApproval: bool(access.allowSelfApproval, "access.allowSelfApproval", false),
    },
    report: { channel: optStr(report.channel, "report.channel") ?? null },
    protect: {
      names: strList(protect.names, "protect.names", []),
      labels: strList(protect.labels, "protect.labels", []).map((l, i) =>
        protectLabelRule(l, `protect.labels[${i}]`),
      ),
    },
    requests: { ttlHours: positive(requests.ttlHours, "requests.ttlHours", 24, TTL_BOUND) },
    backup: parseBackup(o.backup),
    sizes: {
      timeoutMs:
        positive(
          sizes.timeoutSeconds,
          "sizes.timeoutSeconds",
          DEFAULT_SIZES_TIMEOUT_SECONDS,
          SIZES_TIMEOUT_BOUND,
        ) * 1000,
    },
  };
}

/** The longest a backup may be kept: ten years. */
export const MAX_KEEP_DAYS = 3650;

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * A size as the config writes it: a whole number of bytes, or a number with a unit (`50GB`,
 * `1.5 TB`, `512MiB`); kB, MB, GB and TB are powers of 1000, as dvol prints sizes, and KiB to TiB
 * powers of 1024. (The npm `bytes` package reads GB as 1024³, which would disagree with every size
 * dvol shows, hence these few lines.) Null when it is not one, or not positive.
 */
function byteSize(v: unknown): number | null {
  if (typeof v === "number") return Number.isSafeInteger(v) && v > 0 ? v : null;
  if (typeof v !== "string") return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$/i.exec(v);
  const unit = SIZE_UNITS[(m?.[2] ?? "b").toLowerCase()];
  if (!m || unit === undefined) return null;
  const bytes = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}

/** `backup:` (README "Backups"): absent, every default and beforeDelete off. */
function parseBackup(v: unknown): BackupConfig {
  const given = v !== undefined && v !== null;
  const b = given ? expectObj(v, "backup") : {};
  onlyKeys(b, ["bucket", "kmsKeyId", "beforeDelete", "maxBytes", "keepDays"], "backup");
  const bucket = optStr(b.bucket, "backup.bucket") ?? null;
  if (bucket !== null && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`"${bucket}" is not an S3 bucket name (3-63 of a-z, 0-9, "." and "-")`, {
      key: "backup.bucket",
    });
  }
  const kmsKeyId = optStr(b.kmsKeyId, "backup.kmsKeyId") ?? null;
  if (kmsKeyId !== null && bucket === null) {
    throw new ConfigError("a KMS key applies to the S3 bucket of backups: set backup.bucket too", {
      key: "backup.kmsKeyId",
    });
  }
  let beforeDelete: BackupConfig["beforeDelete"] = given ? "required" : "off";
  if (b.beforeDelete !== undefined && b.beforeDelete !== null) {
    if (b.beforeDelete !== "required" && b.beforeDelete !== "off") {
      throw new ConfigError(`expected required or off, got ${describe(b.beforeDelete)}`, {
        key: "backup.beforeDelete",
      });
    }
    beforeDelete = b.beforeDelete;
  }
  let maxBytes: number | null = null;
  if (b.maxBytes !== undefined && b.maxBytes !== null) {
    const bytes = byteSize(b.maxBytes);
    if (bytes === null) {
      throw new ConfigError(
        `expected a size (a whole number of bytes, or like 500MB, 50GB, 2TiB), got ${describe(b.maxBytes)}`,
        { key: "backup.maxBytes" },
      );
    }
    maxBytes = bytes;
  }
  const keepDays = positive(b.keepDays, "backup.keepDays", DEFAULT_KEEP_DAYS, {
    value: MAX_KEEP_DAYS,
    why: "ten years",
  });
  if (!Number.isInteger(keepDays)) {
    throw new ConfigError(`expected a whole number of days, got ${keepDays}`, { key: "backup.keepDays" });
  }
  return { bucket, kmsKeyId, beforeDelete, maxBytes, keepDays };
}

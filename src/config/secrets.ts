import { readFile } from "node:fs/promises";
import path from "node:path";
import { cached, cachedBy } from "../cached.js";
import {
  ConfigError,
  DvolError,
  fileErrorText,
  pathAsGiven,
  type SsmFailure,
  SsmParameterError,
  SsmUnavailableError,
} from "../errors.js";
import type { SecretRef } from "./types.js";

/** Reads one SSM parameter, decrypted. Injected so tests need no AWS. */
export type SsmReader = (name: string) => Promise<string>;

export interface SecretResolverOptions {
  baseDir: string;
  env?: NodeJS.ProcessEnv;
  /** Defaults to the AWS SDK's SSM client, loaded only when an ssm: reference is used. */
  ssm?: SsmReader;
}

/**
 * Resolves secret references to their bytes, caching each one. Errors name the reference and the
 * config key, never the secret's value.
 */
export class SecretResolver {
  private readonly cache = cachedBy<Buffer>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly ssm: () => Promise<SsmReader>;

  constructor(private readonly opts: SecretResolverOptions) {
    this.env = opts.env ?? process.env;
    this.ssm = cached(() => defaultSsmReader(), opts.ssm);
  }

  resolve(ref: SecretRef, key: string): Promise<Buffer> {
    return this.cache(`${ref.scheme}:${ref.target}`, () => this.load(ref, key));
  }

  private async load(ref: SecretRef, key: string): Promise<Buffer> {
    switch (ref.scheme) {
      case "file": {
        const file = path.resolve(this.opts.baseDir, ref.target);
        try {
          return await readFile(file);
        } catch (cause) {
          throw new ConfigError(`cannot read ${pathAsGiven(ref.target, file)}: ${fileErrorText(cause)}`, {
            key,
            cause,
          });
        }
      }
      case "env": {
        const value = this.env[ref.target];
        if (!value) throw new ConfigError(`environment variable ${ref.target} is not set`, { key });
        // PEM text in a variable often has its newlines written as \n.
        return Buffer.from(value.includes("-----BEGIN") ? value.replace(/\\n/g, "\n") : value);
      }
      case "ssm": {
        const ssm = await this.ssm();
        try {
          return Buffer.from(await ssm(ref.target));
        } catch (cause) {
          // SSM did not answer, or answered with an error: both name the parameter and say what
          // to check (the config key is added here).
          if (cause instanceof SsmParameterError) throw cause.withKey(key);
          if (cause instanceof DvolError) throw cause;
          throw ssmReadFailure(ref.target, cause).withKey(key);
        }
      }
    }
  }
}

export interface SsmReaderOptions {
  /** Default: the SDK's (AWS_REGION). */
  region?: string;
  /** Another endpoint (tests); default: the SDK's (AWS_ENDPOINT_URL_SSM or AWS). */
  endpoint?: string;
  /** Default: the SDK's credential chain (the Lambda role). */
  credentials?: import("@aws-sdk/client-ssm").SSMClientConfig["credentials"];
  /** Deadline of one HTTP request to SSM, in ms (default 3000). */
  requestTimeoutMs?: number;
  /** Deadline of the TCP (and TLS) connection, in ms (default the smaller of 2000 and requestTimeoutMs). */
  connectTimeoutMs?: number;
  /**
   * Tries per read (default 2). With the defaults a silent SSM fails a read in about 6.5 s, inside
   * the Slack function's 10 s timeout.
   */
  maxAttempts?: number;
}

/**
 * The AWS SDK's SSM client, loaded on first use (it costs start-up time the CLI rarely needs), with
 * connection and request deadlines: an SSM that does not answer (a VPC without a route to it) is an
 * SsmUnavailableError naming the parameter, not a function that hangs until Lambda kills it.
 */
export async function defaultSsmReader(opts: SsmReaderOptions = {}): Promise<SsmReader> {
  const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
  const requestTimeout = opts.requestTimeoutMs ?? 3000;
  const connectionTimeout = opts.connectTimeoutMs ?? Math.min(2000, requestTimeout);
  const client = new SSMClient({
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    maxAttempts: opts.maxAttempts ?? 2,
    requestHandler: { connectionTimeout, requestTimeout, throwOnRequestTimeout: true },
  });
  return async (name) => {
    let out: import("@aws-sdk/client-ssm").GetParameterCommandOutput;
    try {
      out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    } catch (err) {
      const silent = noAnswer(err, connectionTimeout, requestTimeout);
      if (silent) throw new SsmUnavailableError(name, silent, { cause: err });
      throw ssmReadFailure(name, err);
    }
    const value = out.Parameter?.Value;
    if (value === undefined) {
      throw new ConfigError(`SSM parameter ${name} has no value`, { hint: "Give the parameter a value." });
    }
    return value;
  };
}

const ACCESS_HINT =
  "Allow this role ssm:GetParameter on the parameter (and kms:Decrypt on the key of a SecureString).";

/**
 * What an SDK error reading `parameter` means, in words, with what to do (the error is an
 * SsmParameterError already, or one of the SDK's: its "Region is missing", a
 * CredentialsProviderError, or a service exception named by SSM's error type).
 */
function ssmReadFailure(parameter: string, err: unknown): SsmParameterError {
  if (err instanceof SsmParameterError) return err;
  const e = err as { name?: unknown; message?: unknown } | null | undefined;
  const name = typeof e?.name === "string" ? e.name : "Error";
  const message = typeof e?.message === "string" ? e.message : String(err);
  const fail = (failure: SsmFailure, detail: string, hint: string) =>
    new SsmParameterError(parameter, failure, detail, { cause: err, hint });
  if (/^Region is missing/i.test(message)) {
    return fail(
      "no-region",
      "no AWS region is set",
      "Set AWS_REGION (or a region in the AWS profile, AWS_PROFILE); on Lambda it is set for you.",
    );
  }
  if (name === "CredentialsProviderError") {
    return fail(
      "no-credentials",
      "no AWS credentials were found",
      "Give the process AWS credentials: AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a role (on Lambda, the function's role).",
    );
  }
  switch (name) {
    case "ParameterNotFound":
    case "ParameterVersionNotFound":
      return fail(
        "not-found",
        "no such parameter",
        "Check the parameter's name and the region (AWS_REGION), or create it: aws ssm put-parameter --type SecureString --name NAME --value file://FILE",
      );
    case "AccessDeniedException":
      // SSM's own message names the role and the action refused ("User: arn:… is not authorized
      // to perform: ssm:GetParameter on resource: …"); anything else's message is not repeated.
      return fail(
        "access-denied",
        fromSsm(err) ? `access denied (${oneLine(message)})` : "access denied",
        ACCESS_HINT,
      );
    case "InvalidKeyId":
    case "KMSAccessDeniedException":
    case "KMSDisabledException":
    case "KMSNotFoundException":
    case "KMSInvalidStateException":
      return fail(
        "kms",
        `its KMS key cannot be used to decrypt it (${name})`,
        "Allow this role kms:Decrypt on the parameter's KMS key, and check that the key is enabled.",
      );
    case "UnrecognizedClientException":
    case "InvalidClientTokenId":
    case "InvalidSignatureException":
    case "SignatureDoesNotMatch":
    case "ExpiredTokenException":
    case "ExpiredToken":
      return fail(
        "bad-credentials",
        `the AWS credentials were refused (${name})`,
        "Renew or correct the AWS credentials (an expired session token, or a wrong key).",
      );
  }
  // What else was said is not repeated: it could quote what the reader was given.
  return fail(
    "other",
    name,
    "Check that the parameter exists and that this role may call ssm:GetParameter on it.",
  );
}

/** An exception SSM itself answered with (an HTTP status is known), not one from elsewhere. */
function fromSsm(err: unknown): boolean {
  return typeof (err as { $metadata?: { httpStatusCode?: unknown } })?.$metadata?.httpStatusCode === "number";
}

function oneLine(s: string): string {
  const line = s.split("\n")[0]?.trim() ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** Why SSM gave no answer (a timeout, no connection), or null when it answered (with an error). */
function noAnswer(err: unknown, connectMs: number, requestMs: number): string | null {
  const e = err as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  if (e?.$metadata?.httpStatusCode !== undefined) return null;
  const name = String(e?.name ?? "");
  const code = String(e?.code ?? "");
  const message = String(e?.message ?? "");
  if (name === "TimeoutError" || code === "ETIMEDOUT" || /timed? ?out/i.test(message)) {
    return /connection/i.test(message)
      ? `no connection within ${connectMs} ms`
      : `no answer within ${requestMs} ms (connection deadline ${connectMs} ms)`;
  }
  const net = /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)$/;
  if (net.test(code)) return `no connection (${code})`;
  return null;
}

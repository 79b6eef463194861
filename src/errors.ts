/**
 * Every error a user can meet is one of these classes. Each carries a message that says what
 * happened and a hint that says what to do; `cause` keeps the underlying error for debugging.
 *
 * Over 400 lines on purpose: it is one catalogue (one class per kind, each a few lines), read as a
 * whole to see every error a user can meet and the exit code each kind gives; split by topic, a
 * kind's exit code and message would be looked for in several files.
 */
export abstract class DvolError extends Error {
  abstract readonly kind: ErrorKind;
  /** What the user can do about it (one sentence), or undefined when there is nothing to add. */
  readonly hint: string | undefined;

  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** The config file (or a secret it references) is missing or wrong. */
export class ConfigError extends DvolError {
  readonly kind = "config";
  /** The dotted path of the offending key, e.g. `hosts[1].tls.ca`. */
  readonly key: string | undefined;
  constructor(message: string, options: { key?: string; cause?: unknown; hint?: string } = {}) {
    super(options.key ? `config: ${options.key}: ${message}` : `config: ${message}`, options);
    this.key = options.key;
  }
}

/** The command line (or Slack text) does not follow the grammar. */
export class UsageError extends DvolError {
  readonly kind = "usage";
  /** Usage text of the command concerned, shown under the error. */
  readonly usage: string | undefined;
  constructor(message: string, options: { usage?: string; hint?: string } = {}) {
    super(message, options);
    this.usage = options.usage;
  }
}

/** A host name or target that matches no registered host. */
export class UnknownHostError extends DvolError {
  readonly kind = "unknown-host";
  constructor(
    readonly host: string,
    known: readonly string[],
  ) {
    super(`unknown host "${host}"`, {
      hint: known.length ? `Registered hosts: ${known.join(", ")}.` : "No host is registered in the config.",
    });
  }
}

/** A volume name that Docker itself would refuse; nothing was sent to any host. */
export class InvalidVolumeNameError extends DvolError {
  readonly kind = "invalid-volume-name";
  constructor(readonly volume: string) {
    super(`invalid volume name ${JSON.stringify(volume.length > 80 ? `${volume.slice(0, 80)}…` : volume)}`, {
      hint: "Volume names match [a-zA-Z0-9][a-zA-Z0-9_.-]+ (Docker's own rule); nothing was sent to the host.",
    });
  }
}

/** Why a host could not be asked. */
export type HostFailure =
  | "refused"
  | "timeout"
  | "unreachable"
  | "dns"
  | "tls-unknown-ca"
  | "tls-certificate-required"
  | "tls-bad-certificate"
  | "tls-name-mismatch"
  | "tls-expired"
  | "tls"
  | "protocol"
  | "api";

/** A host could not be reached or did not answer as the Docker Engine API does. */
export class HostError extends DvolError {
  readonly kind = "host";
  constructor(
    readonly host: string,
    readonly failure: HostFailure,
    detail: string,
    options: { cause?: unknown; hint?: string; statusCode?: number } = {},
  ) {
    super(`${host}: ${detail}`, options);
    this.statusCode = options.statusCode;
  }
  readonly statusCode: number | undefined;
}

/** The engine answered, but the volume does not exist there. */
export class VolumeNotFoundError extends DvolError {
  readonly kind = "volume-not-found";
  constructor(
    readonly host: string,
    readonly volume: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${host}: no volume named "${volume}"`, {
      ...options,
      hint: `List the volumes with: ls ${host}`,
    });
  }
}

/** A deletion request would delete nothing: every volume asked for is blocked, or none matched. */
export class NothingToDeleteError extends DvolError {
  readonly kind = "nothing-to-delete";
  constructor(
    readonly host: string,
    detail: string,
  ) {
    super(`${host}: nothing to delete: ${detail}`, {
      hint: `No request was opened. See the volumes with: ls ${host}`,
    });
  }
}

/** The store (the DynamoDB table, or the embedded SQLite file) could not be read or written. */
export class StoreError extends DvolError {
  readonly kind = "store";
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(`store: ${message}`, options);
  }
}

/** The person is not allowed to do this (access rules of the config); nothing changed. */
export class NotAllowedError extends DvolError {
  readonly kind = "not-allowed";
  constructor(message: string, hint: string) {
    super(message, { hint });
  }
}

/**
 * The members of a user group (`S…`, in an access list) could not be looked up: Slack did not
 * answer `usergroups.users.list`, or the front end has no way to ask (the CLI has no bot token).
 * The policy counts such a group as having no members, and its refusal says why (`detail`) and
 * what to do (the hint).
 */
export class GroupLookupError extends DvolError {
  readonly kind = "group-lookup";
  constructor(
    readonly group: string,
    /** Why, in a few words: Slack's error code, or what the front end cannot do. */
    readonly detail: string,
    options: { cause?: unknown; hint?: string } = {},
  ) {
    super(`the members of user group ${group} could not be looked up: ${detail}`, options);
  }
}

/**
 * The daily report could not be posted in `report.channel`. Nothing was posted, the claim on the
 * date was released, and the invocation fails so that Lambda retries it.
 */
export class ReportNotPostedError extends DvolError {
  readonly kind = "report-not-posted";
  constructor(
    readonly date: string,
    readonly channel: string,
    /** Slack's error code (`not_in_channel`), or null when the call failed otherwise. */
    readonly slackError: string | null,
    options: { cause?: unknown } = {},
  ) {
    const why = slackError ?? (options.cause instanceof Error ? options.cause.message : "an error");
    super(`the daily report of ${date} could not be posted in ${channel}: ${why}`, {
      ...options,
      hint:
        slackError === "not_in_channel" || slackError === "channel_not_found"
          ? `Invite the bot to ${channel} (report.channel); Lambda retries this invocation, and the next schedule posts the next report.`
          : "Lambda retries this invocation (twice: about 1, then 2 minutes after a failure); if every try fails, the event goes to the report function's failure destination and the missing-report alarm fires.",
    });
  }
}

/**
 * Another invocation holds the claim on this date's report and has not recorded it as posted. This
 * invocation fails rather than succeed, so that Lambda retries it: by then the report is posted
 * (the retry ends at once) or the claim is free (the retry posts it).
 */
export class ReportInProgressError extends DvolError {
  readonly kind = "report-in-progress";
  constructor(readonly date: string) {
    super(
      `the daily report of ${date} is being posted by another invocation and is not recorded as posted yet`,
      {
        hint: "Nothing to do: Lambda retries this invocation, which then finds the report posted, or posts it.",
      },
    );
  }
}

/** SSM Parameter Store did not answer (no connection, or no answer within the deadline). */
export class SsmUnavailableError extends DvolError {
  readonly kind = "ssm-unavailable";
  constructor(
    /** The parameter's name (never its value). */
    readonly parameter: string,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`SSM did not answer when reading parameter ${parameter}: ${detail}`, {
      ...options,
      hint: "Check the function's network path to SSM (in a VPC: a NAT gateway or an SSM interface endpoint) and AWS_REGION; the next invocation tries again.",
    });
  }
}

/** Why SSM answered a read of a parameter with an error, or the SDK could not ask it. */
export type SsmFailure =
  | "no-region"
  | "no-credentials"
  | "bad-credentials"
  | "not-found"
  | "access-denied"
  | "kms"
  | "other";

/**
 * An `ssm:` reference (or a `<NAME>_PARAM` variable) could not be read, for a reason SSM or the
 * SDK gave: no region, no credentials, no such parameter, access denied. Names the parameter
 * (never a value) and, when known, the config key that references it.
 */
export class SsmParameterError extends DvolError {
  readonly kind = "ssm-parameter";
  constructor(
    readonly parameter: string,
    readonly failure: SsmFailure,
    /** The cause in words ("no such parameter"). */
    readonly detail: string,
    options: { cause?: unknown; hint?: string; key?: string } = {},
  ) {
    super(
      `${options.key ? `${options.key}: ` : ""}cannot read SSM parameter ${parameter}: ${detail}`,
      options,
    );
    this.key = options.key;
  }
  /** The config key that references the parameter, when known. */
  readonly key: string | undefined;

  /** The same error, naming the config key that references the parameter. */
  withKey(key: string): SsmParameterError {
    return new SsmParameterError(this.parameter, this.failure, this.detail, {
      key,
      cause: this.cause,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
    });
  }
}

/** `certs/key.pem (/etc/dvol/certs/key.pem)`: a path as written, and where it led when relative. */
export function pathAsGiven(given: string, resolved: string): string {
  return given === resolved ? given : `${given} (${resolved})`;
}

/** A file error's cause in words ("permission denied"), from its errno code; else its message. */
export function fileErrorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const words = code === undefined ? undefined : ERRNO_WORDS[code];
  if (words) return words;
  if (code) return `${code}${err instanceof Error && err.message ? ` (${err.message})` : ""}`;
  return err instanceof Error ? err.message : String(err);
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENOTDIR: "a part of the path is not a directory",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "the name is too long",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  EIO: "input/output error",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EFBIG: "file too large",
  EPIPE: "the reader went away (broken pipe)",
  EAGAIN: "resource temporarily unavailable",
  EBADF: "bad file descriptor",
};

/**
 * Slack did not take what dvol sent in a way dvol can use: a Web API call answered without what it
 * must return (chat.postMessage's ts), a response_url refused the answer (an HTTP error) or did
 * not answer, or the outbox in use cannot do the call at all. Platform errors of the Web API
 * (`not_in_channel`) stay the SDK's own: their code is what the person is told (slackErrorCode).
 */
export class SlackPostError extends DvolError {
  readonly kind = "slack-post";
  constructor(
    /** What was called: `chat.postMessage`, `response_url`, `chat.update`. */
    readonly call: string,
    detail: string,
    options: { cause?: unknown; hint?: string; status?: number } = {},
  ) {
    super(`Slack ${call}: ${detail}`, options);
    this.status = options.status;
  }
  /** The HTTP status of the answer, when it was an HTTP error. */
  readonly status: number | undefined;
}

/**
 * The worker was invoked with an event that is not one of the jobs the Slack handler hands over.
 * Nothing ran; the invocation fails, so the event lands on the worker's on-failure destination.
 */
export class NotAJobError extends DvolError {
  readonly kind = "not-a-job";
  constructor(event: unknown) {
    super(`dvol worker: not a command job, nor a deletion-request job: ${preview(event)}`, {
      hint: "The worker runs only the jobs the Slack handler hands over: check what invoked it (a hand-made test event, or a Slack handler and a worker of different versions).",
    });
  }
}

/**
 * A job failed, and the person who asked could not be told either: neither the channel nor the
 * response_url took the answer. The invocation fails, so the event lands on the worker's
 * on-failure destination (it is not retried: a retry could post twice).
 */
export class UntoldFailureError extends DvolError {
  readonly kind = "untold-failure";
  constructor(
    /** The job as typed or clicked (`ls host1`, `approve DR-0A1B2C3D`). */
    readonly job: string,
    /** Why the job failed, as its outcome says. */
    readonly error: string,
  ) {
    super(`dvol worker: ${job}: ${error} (and the user could not be told)`, {
      hint: "The event is on the worker's on-failure destination; the log lines before this one say why Slack took neither the post nor the response_url's answer.",
    });
  }
}

function preview(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  return (text ?? String(value)).slice(0, 200);
}

/**
 * The worker could not be handed a job: Lambda did not accept the asynchronous invocation (an
 * answer other than 202 Accepted) or did not answer within the dispatch deadline. Nothing ran.
 */
export class JobDispatchError extends DvolError {
  readonly kind = "job-dispatch";
  constructor(
    /** The worker function's name or ARN. */
    readonly functionName: string,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`invoking ${functionName}: ${detail}`, {
      ...options,
      hint: "Try again in a moment; if it persists, check the worker function and the Slack function's permission to invoke it.",
    });
  }
}

/** The request was opened and approved, but its execution did not complete (it can be resumed). */
export class DeletionIncompleteError extends DvolError {
  readonly kind = "deletion-incomplete";
  constructor(
    readonly requestId: string,
    detail: string,
  ) {
    super(`${requestId}: ${detail}`, { hint: "See where it stands with: requests" });
  }
}

/**
 * Every kind of error, and what it means for the CLI's exit status: "usage" when the command
 * could not run as given (nothing was asked of any host: exit 2), "failure" when it ran and
 * something failed (exit 1).
 */
// ---------------------------------------------------------------------------------------------
// backups and restores (src/backup/)

/** A tar entry a backup or restore refuses (a device, setuid, `..`, an escaping link) or a truncated archive. */
export class UnsafeArchiveError extends DvolError {
  readonly kind = "unsafe-archive";
  constructor(
    readonly entry: string,
    readonly why: string,
  ) {
    super(`archive entry ${JSON.stringify(entry)}: ${why}`, {
      hint: 'Nothing was kept or written from this archive; see the README section "Backups" for what dvol refuses.',
    });
  }
}

/** A backup that did not complete (its stream broke, its verification failed, its store refused it). */
export class BackupFailedError extends DvolError {
  readonly kind = "backup-failed";
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options);
  }
}

/**
 * A backup stopped because its archive passed `backup.maxBytes` (counted as the tar streams from
 * the engine, whatever the volume's size was thought to be): nothing restorable was kept.
 */
export class BackupTooBigError extends BackupFailedError {
  constructor(
    message: string,
    readonly maxBytes: number,
    options: { cause?: unknown } = {},
  ) {
    super(message, {
      ...options,
      hint: "Nothing restorable was kept; the volume is untouched. To back it up, raise backup.maxBytes in the config; to delete it without a backup, request the deletion with --no-backup.",
    });
  }
}

/** A restore that did not complete; the half-made volume was removed (the message says so). */
export class RestoreFailedError extends DvolError {
  readonly kind = "restore-failed";
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options);
  }
}

/** No complete backup with that id in the store of backups. */
export class BackupNotFoundError extends DvolError {
  readonly kind = "backup-not-found";
  /** `detail`: why, when known ("it failed: …", "no such backup in s3://…"). */
  constructor(
    readonly id: string,
    detail?: string,
  ) {
    super(`no restorable backup ${JSON.stringify(id)}${detail ? `: ${detail}` : ""}`, {
      hint: "List the backups with: backups (only complete, verified backups can be restored).",
    });
  }
}

/** The store of backups (a local directory, an S3 bucket) is not configured, or failed. */
export class BackupStoreError extends DvolError {
  readonly kind = "backup-store";
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(`backup store: ${message}`, options);
  }
}

/**
 * A backup or restore that cannot finish in the time the worker has left (Lambda's 120 s): refused
 * before anything is written; the CLI has no such limit.
 */
export class OutOfTimeError extends DvolError {
  readonly kind = "out-of-time";
  constructor(message: string, hint: string) {
    super(message, { hint });
  }
}

export const ERROR_KINDS = {
  config: "usage",
  usage: "usage",
  "unknown-host": "usage",
  "invalid-volume-name": "usage",
  host: "failure",
  "volume-not-found": "failure",
  "nothing-to-delete": "failure",
  store: "failure",
  "not-allowed": "failure",
  "group-lookup": "failure",
  "deletion-incomplete": "failure",
  "report-not-posted": "failure",
  "report-in-progress": "failure",
  "ssm-unavailable": "failure",
  "ssm-parameter": "failure",
  "slack-post": "failure",
  "not-a-job": "failure",
  "untold-failure": "failure",
  "job-dispatch": "failure",
  "unsafe-archive": "failure",
  "backup-failed": "failure",
  "restore-failed": "failure",
  "backup-not-found": "failure",
  "backup-store": "failure",
  "out-of-time": "failure",
} as const satisfies Record<string, "usage" | "failure">;

export type ErrorKind = keyof typeof ERROR_KINDS;

/** The kind of any error: a DvolError's own, "internal" for anything else. */
export function errorKind(err: unknown): ErrorKind | "internal" {
  return err instanceof DvolError ? err.kind : "internal";
}

/** Whether an error means the command could not run as given (usage) or failed while running. */
export function errorClass(err: unknown): "usage" | "failure" {
  return err instanceof DvolError ? ERROR_KINDS[err.kind] : "failure";
}

/** Renders any error as the one or two lines a user reads. */
export function describeError(err: unknown): string {
  if (err instanceof DvolError) return err.hint ? `${err.message}\n${err.hint}` : err.message;
  if (err instanceof Error) return `unexpected error: ${err.message}`;
  return `unexpected error: ${String(err)}`;
}

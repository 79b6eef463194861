/**
 * Structured logs (SPEC §7): every function and the local server log through one Powertools
 * Logger. On Lambda each line is one JSON object with the function and the Lambda request ID
 * (`addContext`), plus the job's fields (`withFields`): the job kind and, where they apply, the
 * deletion request ID, the Slack user and the host. Off Lambda the same logger prints readable
 * lines (`time LEVEL message key=value…`).
 *
 * Modules below the handlers take a plain `Logger` (anything with info, warn and error, so tests
 * pass a quiet object); `withFields` adds fields when it is the Powertools one.
 *
 * Nothing secret is logged: messages are dvol's own text, and errors are reduced by `errorFields`
 * to their name, message, hint and causes (an AWS SDK error carries the request's headers, which
 * Powertools' own error formatter would print), with the stack only for unexpected errors.
 */
import { type LogItem, Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import type { ConstructorOptions } from "@aws-lambda-powertools/logger/types";
import type { Context } from "aws-lambda";
import { DvolError } from "./errors.js";

export type Logger = Pick<Console, "info" | "warn" | "error">;

/** The fields a job adds to each of its lines. */
export interface LogFields {
  /** command | open-request | decide | daily-report | … */
  job_kind?: string;
  /** The dvol command of the job (ls, rm, …). */
  command?: string;
  deletion_request_id?: string;
  slack_user?: string;
  host?: string;
  channel?: string;
}

export type LogSink = (level: "info" | "warn" | "error", line: string) => void;

export interface CreateLoggerOptions {
  env?: NodeJS.ProcessEnv;
  /** Readable lines instead of JSON; default: JSON on Lambda (AWS_LAMBDA_FUNCTION_NAME set). */
  readable?: boolean;
  /** Where lines go (tests); default stdout for info, stderr for warn and error. */
  sink?: LogSink;
}

const defaultSink: LogSink = (level, line) => {
  (level === "info" ? process.stdout : process.stderr).write(`${line}\n`);
};

class DvolLogger extends PowertoolsLogger {
  constructor(
    options: ConstructorOptions,
    private readonly readable: boolean,
    private readonly sink: LogSink,
  ) {
    super(options);
  }

  protected override printLog(_level: number, item: LogItem): void {
    item.prepareForPrint();
    const attrs = item.getAttributes();
    const level = String(attrs.level ?? "INFO").toLowerCase();
    const out = level === "error" || level === "critical" ? "error" : level === "warn" ? "warn" : "info";
    // Powertools may log while it is being constructed, before these fields are set.
    const line = this.readable ? readableLine(attrs) : JSON.stringify(attrs, this.getJsonReplacer());
    (this.sink ?? defaultSink)(out, line);
  }

  protected override createLogger(options?: ConstructorOptions): PowertoolsLogger {
    return new DvolLogger(options ?? {}, this.readable, this.sink);
  }
}

/** The process's logger: service from POWERTOOLS_SERVICE_NAME (default "dvol"), level from POWERTOOLS_LOG_LEVEL. */
export function createLogger(opts: CreateLoggerOptions = {}): PowertoolsLogger {
  const env = opts.env ?? process.env;
  const readable = opts.readable ?? !env.AWS_LAMBDA_FUNCTION_NAME;
  return new DvolLogger(
    { serviceName: env.POWERTOOLS_SERVICE_NAME || "dvol" },
    readable,
    opts.sink ?? defaultSink,
  );
}

/** Gives the logger this invocation's function name and request ID (when it is the Powertools one). */
export function addLambdaContext(log: Logger, context: Context | undefined): void {
  if (context && log instanceof PowertoolsLogger) log.addContext(context);
}

/** A logger whose every line also carries `fields` (only the Powertools logger can; others are returned as they are). */
export function withFields(log: Logger, fields: LogFields): Logger {
  if (!(log instanceof PowertoolsLogger)) return log;
  const keys = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== ""));
  return log.createChild({ persistentKeys: keys });
}

/**
 * An error as log fields: name, message, hint and the chain of causes; the stack only when the
 * error is unexpected (not one of dvol's typed errors, whose message says it all).
 */
export function errorFields(err: unknown): { error: Record<string, unknown> } {
  return { error: describe(err, 0) };
}

function describe(err: unknown, depth: number): Record<string, unknown> {
  if (!(err instanceof Error)) return { name: typeof err, message: String(err) };
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if (err instanceof DvolError) {
    if (err.hint) out.hint = err.hint;
  } else if (err.stack) {
    out.stack = err.stack;
  }
  if (err.cause !== undefined && depth < 4) out.cause = describe(err.cause, depth + 1);
  return out;
}

/** Fields Powertools adds that a person at a terminal does not need. */
const QUIET_KEYS = new Set(["level", "message", "timestamp", "service", "sampling_rate", "cold_start"]);

function readableLine(attrs: Record<string, unknown>): string {
  const parts = [
    String(attrs.timestamp ?? new Date().toISOString()),
    String(attrs.level ?? "INFO").padEnd(5),
  ];
  parts.push(String(attrs.message ?? ""));
  let stack = "";
  for (const [k, v] of Object.entries(attrs)) {
    if (QUIET_KEYS.has(k)) continue;
    if (k === "error" && v && typeof v === "object") {
      const e = v as Record<string, unknown>;
      parts.push(`error=${JSON.stringify(`${e.name}: ${e.message}`)}`);
      if (typeof e.stack === "string") stack = `\n${e.stack}`;
      continue;
    }
    parts.push(`${k}=${typeof v === "string" && /^[\w.:/@#|-]+$/.test(v) ? v : JSON.stringify(v)}`);
  }
  return parts.join(" ") + stack;
}

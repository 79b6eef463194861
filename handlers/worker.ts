/**
 * The worker function: runs a job that the Slack handler accepted (invoked asynchronously,
 * `InvocationType: "Event"`), through the same command modules as the CLI, over the TLS
 * connection factory, and posts the result in the channel with the bot token. Jobs (the worker's
 * table, src/jobs/run-request.ts): a command (CommandJob), a deletion request to open
 * (OpenRequestJob), a click on Approve or Reject (DecideJob), a report's cleanup click
 * (CleanupJob) and an execution it handed to itself near its deadline (ContinueJob); all but reads use the store (openStore: DynamoDB when DVOL_TABLE is set), opened
 * once per cold start.
 *
 * It throws only when the job failed AND the person who typed the command could not be told, so
 * that the invocation lands on the function's on-failure destination; everything else is
 * reported in Slack and returns normally (a Lambda retry would post the result twice).
 */
import type { Context } from "aws-lambda";
import { configLoader } from "../src/config/load.js";
import type { SsmReader } from "../src/config/secrets.js";
import type { Config } from "../src/config/types.js";
import type { ConnectionFactory } from "../src/docker/connection.js";
import { NotAJobError, UntoldFailureError } from "../src/errors.js";
import type { WorkerInvocation } from "../src/jobs/deadline.js";
import { lambdaDispatcher } from "../src/jobs/dispatch.js";
import { type ContinueJob, type Job, type JobDispatcher, logFieldsOf } from "../src/jobs/job.js";
import { isJobKind, runWorkerJob, untold, type WorkerOutcome } from "../src/jobs/run-request.js";
import { functionRuntime } from "../src/jobs/runtime.js";
import { addLambdaContext, createLogger, errorFields, type Logger, withFields } from "../src/log.js";
import { SizeKeeper } from "../src/sizes/keeper.js";
import type { SlackOutbox, SlackThreadOutbox } from "../src/slack/post.js";
import type { Store } from "../src/store/store.js";

/**
 * Runs one job. Any kind of job may end in any outcome (a command job may open a request, say),
 * so the outcome is the worker's whole union: narrow it on `status`.
 */
export type WorkerHandler = (job: Job, context?: Context) => Promise<WorkerOutcome>;

export interface WorkerHandlerOptions {
  /** Where SLACK_BOT_TOKEN(_PARAM), DVOL_CONFIG and SLACK_API_URL are read. */
  env?: NodeJS.ProcessEnv;
  ssm?: SsmReader;
  /** Replaces the TLS connection factory (tests with a fake engine). */
  connect?: ConnectionFactory;
  /** Replaces the Web API poster (a SlackThreadOutbox for deletion requests). */
  slack?: SlackOutbox | SlackThreadOutbox;
  /** Replaces the store openStore(env) opens (tests). */
  store?: Store;
  config?: Config;
  /** S3 client settings the environment does not give, for the bucket of backups (tests: credentials). */
  s3?: Record<string, unknown>;
  now?: () => Date;
  /** Default: the JSON logger (createLogger), given each invocation's Lambda context. */
  logger?: Logger;
  /**
   * Replaces the worker's asynchronous invocation of itself (lambdaDispatcher on the context's
   * function name), by which an execution near the deadline is handed over (tests).
   */
  continueWith?: (job: ContinueJob) => Promise<void>;
  /** The keeper of size measurements (tests count what it asked of the engines). */
  sizeKeeper?: SizeKeeper;
}

/** Builds a worker; `handler` below is the one Lambda runs, built on the first job. */
export function createWorkerHandler(opts: WorkerHandlerOptions = {}): WorkerHandler {
  const env = opts.env ?? process.env;
  const baseLog = opts.logger ?? createLogger({ env });
  const getConfig = configLoader(env, opts.config);
  const runtime = functionRuntime({
    env,
    ssm: opts.ssm,
    connect: opts.connect,
    slack: opts.slack,
    store: opts.store,
    s3: opts.s3,
  });

  // Measurements of sizes (issue 12), one per host at a time in this function instance. A command
  // answers within its hosts' deadlines; then, since work left running after the handler returns
  // is frozen, the handler waits for the measurements it started as long as its time allows, so
  // they complete and are remembered; `ls --fresh` waits for them before it answers.
  const keeper = opts.sizeKeeper ?? new SizeKeeper();
  const sizesFor = (context: Context | undefined) => ({
    keeper,
    ...(context ? { freshWaitMs: () => context.getRemainingTimeInMillis() - SIZES_MARGIN_MS } : {}),
  });

  // The worker invokes itself, by its own name, to hand over an execution near its deadline.
  let self: JobDispatcher | undefined;
  const invocationOf = (context: Context): WorkerInvocation => ({
    remainingMs: () => context.getRemainingTimeInMillis(),
    continueWith:
      opts.continueWith ??
      ((next) => {
        self ??= lambdaDispatcher({ functionName: context.functionName });
        return self(next);
      }),
  });

  return async (job, context) => {
    addLambdaContext(baseLog, context);
    // The event is whatever invoked the function, not necessarily what the Slack handler sent.
    if (
      !isJobKind(job?.kind) ||
      (job.kind !== "decide" &&
        job.kind !== "continue" &&
        job.kind !== "restore" &&
        !Array.isArray(job.words))
    ) {
      const err = new NotAJobError(job);
      baseLog.error(err.message, errorFields(err));
      throw err;
    }
    const log = withFields(baseLog, logFieldsOf(job));
    let outcome: WorkerOutcome;
    try {
      outcome = await runWorkerJob(job, {
        config: getConfig,
        connect: (c) => runtime.connect(c),
        slack: runtime.outbox,
        store: runtime.store,
        backups: (c) => runtime.backups(c),
        dvolVersion: env.DVOL_VERSION || "unknown",
        ...(opts.now ? { now: opts.now } : {}),
        ...(context ? { invocation: invocationOf(context) } : {}),
        sizes: sizesFor(context),
        logger: log,
      });
    } catch (err) {
      log.error(`dvol worker: ${job.text}: unexpected failure`, errorFields(err));
      throw err;
    } finally {
      // Without a Lambda context (tests, a local run) nothing is frozen: measurements run on.
      if (context) await keeper.settle(context.getRemainingTimeInMillis() - SIZES_MARGIN_MS);
    }
    const error = untold(outcome);
    if (error !== null) {
      const err = new UntoldFailureError(job.text, error);
      log.error(err.message, errorFields(err));
      throw err;
    }
    return outcome;
  };
}

/** What the worker keeps of its time after sizes: to stop a measurement and return. */
const SIZES_MARGIN_MS = 15_000;

let instance: WorkerHandler | undefined;

export async function handler(job: Job, context?: Context): Promise<WorkerOutcome> {
  instance ??= createWorkerHandler();
  return instance(job, context);
}

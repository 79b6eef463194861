/**
 * The report function: run by the daily schedule (an EventBridge event, serverless.yml), it posts
 * the dangling-volume report of every host in `report.channel`, once per date (SPEC §5). Lambda
 * invokes it asynchronously and retries it (twice) only when it fails, so it fails whenever the
 * report is not posted yet: a failed post, or a date held by another invocation that has not
 * posted (src/jobs/run-report.ts, postDailyReport). Each posted report emits DailyReportPosted.
 */
import type { Context } from "aws-lambda";
import { configLoader } from "../src/config/load.js";
import type { SsmReader } from "../src/config/secrets.js";
import type { Config } from "../src/config/types.js";
import type { ConnectionFactory } from "../src/docker/connection.js";
import { type DailyReportOutcome, postDailyReport } from "../src/jobs/run-report.js";
import { functionRuntime } from "../src/jobs/runtime.js";
import { addLambdaContext, createLogger, type Logger, withFields } from "../src/log.js";
import { type MetricsSink, powertoolsMetrics } from "../src/metrics.js";
import type { SlackOutbox } from "../src/slack/post.js";
import type { Store } from "../src/store/store.js";

export interface ReportHandlerOptions {
  /** Where SLACK_BOT_TOKEN(_PARAM), DVOL_CONFIG, DVOL_TABLE, SLACK_API_URL and POWERTOOLS_* are read. */
  env?: NodeJS.ProcessEnv;
  ssm?: SsmReader;
  connect?: ConnectionFactory;
  slack?: SlackOutbox;
  store?: Store;
  config?: Config;
  /** Default: the Powertools sink (EMF on stdout), made once per cold start. */
  metrics?: MetricsSink;
  now?: () => Date;
  /** Default: the JSON logger (createLogger), given each invocation's Lambda context. */
  logger?: Logger;
}

/**
 * Lambda's context gives the invocation's deadline (getRemainingTimeInMillis) and, for the logs,
 * the function and the request ID; without one (a local run) there is no deadline.
 */
export type ReportHandler = (event?: unknown, context?: Context) => Promise<DailyReportOutcome>;

export function createReportHandler(opts: ReportHandlerOptions = {}): ReportHandler {
  const env = opts.env ?? process.env;
  const getConfig = configLoader(env, opts.config);
  const runtime = functionRuntime({ env, ssm: opts.ssm, connect: opts.connect, store: opts.store });
  const metrics = opts.metrics ?? powertoolsMetrics(env);
  const baseLog = opts.logger ?? createLogger({ env });
  return async (_event, context) => {
    addLambdaContext(baseLog, context);
    const slack = opts.slack ?? (await runtime.poster());
    return postDailyReport({
      config: getConfig,
      connect: (c) => runtime.connect(c),
      slack,
      store: runtime.store,
      metrics,
      ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      logger: withFields(baseLog, { job_kind: "daily-report" }),
    });
  };
}

let instance: ReportHandler | undefined;

export async function handler(event?: unknown, context?: Context): Promise<DailyReportOutcome> {
  instance ??= createReportHandler();
  return instance(event, context);
}

/**
 * The report function: run by the daily schedule (an EventBridge event, serverless.yml), it posts
 * the dangling-volume report of every host in `report.channel`, once per date (SPEC §5): a date
 * recorded as posted is skipped, and a short claim on the date while posting keeps concurrent or
 * retried invocations from posting twice; a failed post is posted by a later retry.
 */
import { configLoader } from "../src/config/load.js";
import type { SsmReader } from "../src/config/secrets.js";
import type { Config } from "../src/config/types.js";
import type { ConnectionFactory } from "../src/docker/connection.js";
import { type DailyReportOutcome, postDailyReport } from "../src/jobs/run-report.js";
import { functionRuntime } from "../src/jobs/runtime.js";
import type { Logger } from "../src/slack/app.js";
import type { SlackOutbox } from "../src/slack/post.js";
import type { Store } from "../src/store/store.js";

export interface ReportHandlerOptions {
  /** Where SLACK_BOT_TOKEN(_PARAM), DVOL_CONFIG, DVOL_TABLE and SLACK_API_URL are read. */
  env?: NodeJS.ProcessEnv;
  ssm?: SsmReader;
  connect?: ConnectionFactory;
  slack?: SlackOutbox;
  store?: Store;
  config?: Config;
  now?: () => Date;
  logger?: Logger;
}

export type ReportHandler = (event?: unknown) => Promise<DailyReportOutcome>;

export function createReportHandler(opts: ReportHandlerOptions = {}): ReportHandler {
  const env = opts.env ?? process.env;
  const getConfig = configLoader(env, opts.config);
  const runtime = functionRuntime({ env, ssm: opts.ssm, connect: opts.connect, store: opts.store });
  return async () => {
    const slack = opts.slack ?? (await runtime.poster());
    return postDailyReport({
      config: getConfig,
      connect: (c) => runtime.connect(c),
      slack,
      store: runtime.store,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  };
}

let instance: ReportHandler | undefined;

export async function handler(event?: unknown): Promise<DailyReportOutcome> {
  instance ??= createReportHandler();
  return instance(event);
}

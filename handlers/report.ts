/**
 * The report function: run by the daily schedule (an EventBridge event, serverless.yml), it posts
 * the dangling-volume report of every host in `report.channel`, once per date (SPEC §5): a date
 * recorded as posted is skipped, and a short claim on the date while posting keeps concurrent or
 * retried invocations from posting twice; a failed post is posted by a later retry.
 */
import { configLoader } from "../src/config/load.js";
import { SecretResolver, type SsmReader } from "../src/config/secrets.js";
import type { Config } from "../src/config/types.js";
import { type ConnectionFactory, tlsConnectionFactory } from "../src/docker/connection.js";
import { type DailyReportOutcome, postDailyReport } from "../src/jobs/run-report.js";
import type { Logger } from "../src/slack/app.js";
import { type SlackOutbox, SlackPoster } from "../src/slack/post.js";
import { SlackSecrets } from "../src/slack/secrets.js";
import { openStore } from "../src/store/open.js";
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
  const ssm = opts.ssm;
  const secrets = new SlackSecrets({ env, ...(ssm ? { ssm } : {}) });
  const getConfig = configLoader(env, opts.config);
  const factories = new Map<string, ConnectionFactory>();
  const connect = (c: Config): ConnectionFactory => {
    if (opts.connect) return opts.connect;
    let f = factories.get(c.baseDir);
    if (!f) {
      f = tlsConnectionFactory(new SecretResolver({ baseDir: c.baseDir, env, ...(ssm ? { ssm } : {}) }));
      factories.set(c.baseDir, f);
    }
    return f;
  };
  let poster: Promise<SlackOutbox> | undefined;
  const getPoster = (): Promise<SlackOutbox> => {
    if (opts.slack) return Promise.resolve(opts.slack);
    if (!poster) {
      poster = secrets.botToken().then((token) => new SlackPoster({ token, slackApiUrl: env.SLACK_API_URL }));
      poster.catch(() => {
        poster = undefined;
      });
    }
    return poster;
  };
  let store: Promise<Store> | undefined;
  const getStore = (): Promise<Store> => {
    if (opts.store) return Promise.resolve(opts.store);
    if (!store) {
      store = openStore(env);
      store.catch(() => {
        store = undefined;
      });
    }
    return store;
  };
  return async () => {
    const slack = await getPoster();
    return postDailyReport({
      config: getConfig,
      connect,
      slack,
      store: getStore,
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

/**
 * The worker function: runs a CommandJob that the Slack handler accepted (invoked asynchronously,
 * `InvocationType: "Event"`), through the same command modules as the CLI, over the TLS
 * connection factory, and posts the result in the channel with the bot token.
 *
 * It throws only when the job failed AND the person who typed the command could not be told, so
 * that the invocation lands on the function's on-failure destination; everything else is
 * reported in Slack and returns normally (a Lambda retry would post the result twice).
 */
import { configLoader } from "../src/config/load.js";
import { SecretResolver, type SsmReader } from "../src/config/secrets.js";
import type { Config } from "../src/config/types.js";
import { type ConnectionFactory, tlsConnectionFactory } from "../src/docker/connection.js";
import type { CommandJob } from "../src/jobs/job.js";
import { type JobOutcome, runJob } from "../src/jobs/run-job.js";
import type { Logger } from "../src/slack/app.js";
import type { SlackMessage } from "../src/slack/message.js";
import { respondEphemeral, type SlackOutbox, SlackPoster } from "../src/slack/post.js";
import { SlackSecrets } from "../src/slack/secrets.js";

export type WorkerHandler = (job: CommandJob) => Promise<JobOutcome>;

export interface WorkerHandlerOptions {
  /** Where SLACK_BOT_TOKEN(_PARAM), DVOL_CONFIG and SLACK_API_URL are read. */
  env?: NodeJS.ProcessEnv;
  ssm?: SsmReader;
  /** Replaces the TLS connection factory (tests with a fake engine). */
  connect?: ConnectionFactory;
  /** Replaces the Web API poster. */
  slack?: SlackOutbox;
  config?: Config;
  now?: () => Date;
  logger?: Logger;
}

/** Builds a worker; `handler` below is the one Lambda runs, built on the first job. */
export function createWorkerHandler(opts: WorkerHandlerOptions = {}): WorkerHandler {
  const env = opts.env ?? process.env;
  const ssm = opts.ssm;
  const secrets = new SlackSecrets({ env, ...(ssm ? { ssm } : {}) });
  const getConfig = configLoader(env, opts.config);
  // One resolver per config folder, kept across invocations: TLS material is read once.
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
  const slack: SlackOutbox = {
    post: async (channel: string, msg: SlackMessage) => (await getPoster()).post(channel, msg),
    respond: (url: string, msg: SlackMessage) => respondEphemeral(url, msg),
  };

  return async (job) => {
    if (job?.kind !== "command" || !Array.isArray(job.words)) {
      throw new Error(`dvol worker: not a command job: ${JSON.stringify(job)?.slice(0, 200)}`);
    }
    const outcome = await runJob(job, {
      config: getConfig,
      connect,
      slack,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    if (outcome.status !== "posted" && !outcome.told) {
      throw new Error(`dvol worker: ${job.text}: ${outcome.error} (and the user could not be told)`);
    }
    return outcome;
  };
}

let instance: WorkerHandler | undefined;

export async function handler(job: CommandJob): Promise<JobOutcome> {
  instance ??= createWorkerHandler();
  return instance(job);
}

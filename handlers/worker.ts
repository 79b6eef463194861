/**
 * The worker function: runs a job that the Slack handler accepted (invoked asynchronously,
 * `InvocationType: "Event"`), through the same command modules as the CLI, over the TLS
 * connection factory, and posts the result in the channel with the bot token. Jobs: a read command
 * (CommandJob), a deletion request to open (OpenRequestJob) and a click on Approve or Reject
 * (DecideJob); the last two use the store (openStore: DynamoDB when DVOL_TABLE is set), opened
 * once per cold start.
 *
 * It throws only when the job failed AND the person who typed the command could not be told, so
 * that the invocation lands on the function's on-failure destination; everything else is
 * reported in Slack and returns normally (a Lambda retry would post the result twice).
 */
import { configLoader } from "../src/config/load.js";
import { SecretResolver, type SsmReader } from "../src/config/secrets.js";
import type { Config } from "../src/config/types.js";
import { type ConnectionFactory, tlsConnectionFactory } from "../src/docker/connection.js";
import type { CommandJob, Job } from "../src/jobs/job.js";
import type { JobOutcome } from "../src/jobs/run-job.js";
import { runWorkerJob, untold, type WorkerOutcome } from "../src/jobs/run-request.js";
import type { Logger } from "../src/slack/app.js";
import type { SlackMessage } from "../src/slack/message.js";
import {
  respondEphemeral,
  type SlackOutbox,
  SlackPoster,
  type SlackThreadOutbox,
} from "../src/slack/post.js";
import { SlackSecrets } from "../src/slack/secrets.js";
import { openStore } from "../src/store/open.js";
import type { Store } from "../src/store/store.js";

export interface WorkerHandler {
  (job: CommandJob): Promise<JobOutcome>;
  (job: Job): Promise<WorkerOutcome>;
}

const JOB_KINDS: ReadonlySet<string> = new Set(["command", "open-request", "decide"]);

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
  let poster: Promise<SlackThreadOutbox> | undefined;
  const getPoster = (): Promise<SlackThreadOutbox> => {
    if (opts.slack) {
      const s = opts.slack;
      if ("postInThread" in s) return Promise.resolve(s);
      return Promise.reject(new Error("dvol worker: this Slack outbox cannot post in threads"));
    }
    if (!poster) {
      poster = secrets.botToken().then((token) => new SlackPoster({ token, slackApiUrl: env.SLACK_API_URL }));
      poster.catch(() => {
        poster = undefined;
      });
    }
    return poster;
  };
  const slack: SlackThreadOutbox = {
    post: async (channel: string, msg: SlackMessage) =>
      opts.slack ? opts.slack.post(channel, msg) : (await getPoster()).post(channel, msg),
    respond: (url: string, msg: SlackMessage) =>
      opts.slack ? opts.slack.respond(url, msg) : respondEphemeral(url, msg),
    postInThread: async (channel, threadTs, msg) => (await getPoster()).postInThread(channel, threadTs, msg),
    update: async (channel, ts, msg) => (await getPoster()).update(channel, ts, msg),
    usergroupMembers: async (groupId) => (await getPoster()).usergroupMembers(groupId),
  };
  // Opened on the first job that needs it and kept (a failed open is tried again next time).
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

  const run = async (job: Job): Promise<WorkerOutcome> => {
    if (!JOB_KINDS.has(job?.kind) || (job.kind !== "decide" && !Array.isArray(job.words))) {
      throw new Error(
        `dvol worker: not a command job, nor a deletion-request job: ${JSON.stringify(job)?.slice(0, 200)}`,
      );
    }
    const outcome = await runWorkerJob(job, {
      config: getConfig,
      connect,
      slack,
      store: getStore,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    const error = untold(outcome);
    if (error !== null) {
      throw new Error(`dvol worker: ${job.text}: ${error} (and the user could not be told)`);
    }
    return outcome;
  };
  return run as WorkerHandler;
}

let instance: WorkerHandler | undefined;

export function handler(job: CommandJob): Promise<JobOutcome>;
export function handler(job: Job): Promise<WorkerOutcome>;
export async function handler(job: Job): Promise<WorkerOutcome> {
  instance ??= createWorkerHandler();
  return instance(job);
}

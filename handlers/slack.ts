/**
 * The HTTP API entry (API Gateway v2, `POST /slack/events`): slash commands and interactivity.
 * Thin: verification and parsing are ApiGatewayReceiver's, routing is src/slack/app.ts's, and work
 * that talks to hosts goes to the worker function (DVOL_WORKER_FUNCTION) as an asynchronous
 * invocation made before this handler returns.
 *
 * Nothing here or below imports src/docker at runtime (only types): the bundle carries no engine
 * client. Secrets and the config are read once per cold start.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { configLoader } from "../src/config/load.js";
import type { SsmReader } from "../src/config/secrets.js";
import type { Config } from "../src/config/types.js";
import { ConfigError } from "../src/errors.js";
import { lambdaDispatcher, workerFunctionName } from "../src/jobs/dispatch.js";
import type { JobDispatcher } from "../src/jobs/job.js";
import { addLambdaContext, createLogger, type Logger } from "../src/log.js";
import { createSlackApp } from "../src/slack/app.js";
import { ApiGatewayReceiver } from "../src/slack/receiver.js";
import { SlackSecrets } from "../src/slack/secrets.js";

export type SlackHandler = (
  event: APIGatewayProxyEventV2,
  context?: Context,
) => Promise<APIGatewayProxyResultV2>;

export interface SlackHandlerOptions {
  /** Where SLACK_SIGNING_SECRET(_PARAM), DVOL_CONFIG, SLACK_API_URL, DVOL_WORKER_FUNCTION are read. */
  env?: NodeJS.ProcessEnv;
  /** Reads SSM parameters (tests); the AWS SDK's client by default. */
  ssm?: SsmReader;
  /** Replaces the Lambda dispatcher (tests; the async invoke is what runs on AWS). */
  dispatch?: JobDispatcher;
  /** A config to use instead of loading DVOL_CONFIG. */
  config?: Config;
  /** Current time in ms (tests). */
  now?: () => number;
  /** Default: the JSON logger (createLogger), given each invocation's Lambda context. */
  logger?: Logger;
}

/** Builds a handler; `handler` below is the one Lambda runs, built on the first event. */
export function createSlackHandler(opts: SlackHandlerOptions = {}): SlackHandler {
  const env = opts.env ?? process.env;
  const logger = opts.logger ?? createLogger({ env });
  const secrets = new SlackSecrets({ env, ssm: opts.ssm });
  const getConfig = configLoader(env, opts.config);
  const receiver = new ApiGatewayReceiver({
    signingSecret: () => secrets.signingSecret(),
    ...(opts.now ? { now: opts.now } : {}),
    logger,
  });
  createSlackApp({
    receiver,
    config: getConfig,
    dispatch: opts.dispatch ?? dispatcherFromEnv(env),
    slackApiUrl: env.SLACK_API_URL,
    logger,
  });
  return (event, context) => {
    addLambdaContext(logger, context);
    return receiver.handle(event);
  };
}

function dispatcherFromEnv(env: NodeJS.ProcessEnv): JobDispatcher {
  const functionName = workerFunctionName(env);
  if (functionName) return lambdaDispatcher({ functionName });
  return async () => {
    throw new ConfigError("DVOL_WORKER_FUNCTION is not set: there is no worker to hand jobs to", {
      hint: "Deploy with serverless.yml, which sets it to the worker function's name.",
    });
  };
}

let instance: SlackHandler | undefined;

export async function handler(
  event: APIGatewayProxyEventV2,
  context?: Context,
): Promise<APIGatewayProxyResultV2> {
  instance ??= createSlackHandler();
  return instance(event, context);
}

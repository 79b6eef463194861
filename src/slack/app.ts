/**
 * The `/dvol` router, shared by the Lambda handler (with ApiGatewayReceiver) and the local server
 * (with Bolt's HTTPReceiver or Socket Mode). Its dependencies are passed in: the config, the job
 * dispatcher, the clock.
 *
 * Everything decidable without a host is answered at once, ephemeral, to the person who typed
 * it: `help`, usage errors, unknown hosts, invalid volume names, access refusals. Anything that
 * talks to hosts is handed to the dispatcher as a CommandJob BEFORE the listener returns (on
 * Lambda, work left running after the handler returns is frozen or lost), then acknowledged with
 * a short ephemeral "Working on `ls host1`…". The worker posts the result in the channel.
 *
 * Only types come from src/docker: the handler's bundle must not carry the engine client.
 */

import type { SlashCommand } from "@slack/bolt";
import { App, type LogLevel, type Receiver, type RespondArguments } from "@slack/bolt";
import { runHelp } from "../commands/help.js";
import { type Command, parseCommand, tokenize } from "../commands/parse.js";
import { resolveHost, resolveTarget } from "../commands/targets.js";
import type { Config } from "../config/types.js";
import { DvolError, describeError } from "../errors.js";
import type { CommandJob, JobDispatcher } from "../jobs/job.js";
import { checkReadAccess } from "./access.js";
import type { SlackMessage } from "./message.js";
import { renderSlack } from "./render.js";
import { renderError } from "./render-error.js";
import { codeSpan, plain } from "./replies.js";

export type Logger = Pick<Console, "info" | "warn" | "error">;

export interface DvolRouterDeps {
  /** The config, loaded once (a rejected promise is answered as a config error and tried again). */
  config: () => Promise<Config>;
  /** Hands a job to the worker; resolves once it is handed over. */
  dispatch: JobDispatcher;
  now?: () => Date;
  logger?: Logger;
}

/** The parts of a slash command dvol reads. */
export type SlashCommandInput = Pick<SlashCommand, "text" | "channel_id" | "user_id" | "response_url"> & {
  command?: string;
};

/** What to do with a slash command: answer at once, or dispatch a job and acknowledge it. */
export type CommandDecision =
  | { kind: "reply"; message: SlackMessage }
  | { kind: "dispatch"; job: CommandJob; ack: SlackMessage };

/** Host names and volume names are checked here, before any job exists. */
function checkTargets(cmd: Command, config: Config): void {
  switch (cmd.name) {
    case "info":
    case "inspect":
      resolveHost(config, cmd.host);
      return;
    case "ls":
      resolveTarget(config, cmd.target);
      return;
    case "help":
    case "hosts":
      return;
  }
}

/** Decides what to do with a slash command; throws nothing a user could cause. */
export async function decideCommand(
  input: SlashCommandInput,
  deps: DvolRouterDeps,
): Promise<CommandDecision> {
  const now = deps.now ?? (() => new Date());
  let config: Config;
  try {
    config = await deps.config();
  } catch (err) {
    (deps.logger ?? console).error(`dvol: config: ${describeError(err)}`);
    return { kind: "reply", message: renderError(err) };
  }
  const access = checkReadAccess(config.access, { channel: input.channel_id, user: input.user_id });
  if (!access.ok) return { kind: "reply", message: plain(`:no_entry: ${access.message}\n${access.hint}`) };

  let words: string[];
  let cmd: Command;
  try {
    words = tokenize(input.text ?? "");
    if (words.length === 0) words = ["help"];
    cmd = parseCommand(words);
    checkTargets(cmd, config);
  } catch (err) {
    if (err instanceof DvolError) return { kind: "reply", message: renderError(err) };
    throw err;
  }
  if (cmd.name === "help") return { kind: "reply", message: renderSlack(runHelp(cmd.topic)) };

  const text = words.join(" ");
  const job: CommandJob = {
    kind: "command",
    words,
    text,
    channel: input.channel_id,
    user: input.user_id,
    responseUrl: input.response_url,
    acceptedAt: now().toISOString(),
  };
  return { kind: "dispatch", job, ack: plain(`:hourglass_flowing_sand: Working on ${codeSpan(text)}…`) };
}

export function ephemeral(msg: SlackMessage): RespondArguments {
  return { response_type: "ephemeral", text: msg.text, blocks: msg.blocks };
}

/** Registers dvol's listeners on a Bolt app. */
export function registerDvol(app: App, deps: DvolRouterDeps): void {
  const log = deps.logger ?? console;

  // Every slash command of the app is dvol's, so a workspace may name it as it likes (/dvol-prod).
  app.command(/^\/.+/, async ({ command, ack, context }) => {
    // Socket Mode says retry_attempt 0 on a first delivery: only 1 and up are retries.
    if (context.retryNum !== undefined && context.retryNum > 0) {
      // Slack sends a retry (X-Slack-Retry-Num) when an earlier delivery of the same request was
      // not acknowledged in time. That delivery reached dvol, which hands the job to the worker
      // BEFORE it acknowledges: it was accepted and dispatched, and running the retry would run
      // the command twice. Without a store there is nothing to look the first delivery up in (the
      // deletion-request issue brings one, keyed by trigger_id), so retries are acknowledged and
      // dropped: at most once, the safe choice for every command and above all for deletions.
      log.info(`dvol: ignored Slack retry ${context.retryNum} (${context.retryReason ?? "no reason"})`);
      await ack();
      return;
    }
    const decision = await decideCommand(command, deps);
    if (decision.kind === "reply") {
      await ack(ephemeral(decision.message));
      return;
    }
    try {
      await deps.dispatch(decision.job);
    } catch (err) {
      log.error(`dvol: could not dispatch ${decision.job.text}: ${(err as Error)?.stack ?? String(err)}`);
      await ack(
        ephemeral(
          plain(
            ":warning: dvol could not hand this command to its worker in time (logged). If no result appears, try again in a moment.",
          ),
        ),
      );
      return;
    }
    await ack(ephemeral(decision.ack));
  });

  // Buttons (link buttons included) must be acknowledged even when there is nothing to do.
  app.action(/.*/, async ({ ack }) => {
    await ack();
  });
}

export interface CreateSlackAppOptions extends DvolRouterDeps {
  receiver: Receiver;
  /** Base URL of the Web API (SLACK_API_URL); Slack's own when undefined. */
  slackApiUrl?: string | undefined;
  /** Only to give listeners a token-bearing client; the handler itself posts nothing. */
  botToken?: string | undefined;
  logLevel?: LogLevel;
}

/**
 * A Bolt App with dvol's listeners, which never calls auth.test: with `tokenVerificationEnabled:
 * false` alone, Bolt defers auth.test to the first event and then calls it on every event, so
 * authorization is given here instead (the app is single-workspace: it needs no lookup).
 */
export function createSlackApp(opts: CreateSlackAppOptions): App {
  const app = new App({
    receiver: opts.receiver,
    authorize: async () => (opts.botToken ? { botToken: opts.botToken } : {}),
    tokenVerificationEnabled: false,
    convoStore: false, // dvol keeps no conversation state in memory
    clientOptions: opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : {},
    ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
  });
  registerDvol(app, opts);
  return app;
}

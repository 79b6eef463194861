/**
 * The `/dvol` router, shared by the Lambda handler (with ApiGatewayReceiver) and the local server
 * (with Bolt's HTTPReceiver or Socket Mode). Its dependencies are passed in: the config, the job
 * dispatcher, the clock.
 *
 * Everything decidable without a host is answered at once, ephemeral, to the person who typed
 * it: `help`, usage errors, unknown hosts, invalid volume names, access refusals (src/approvals/policy.ts,
 * as far as user IDs and "*" tell; user groups are looked up by the worker). Each command's
 * access, checks and answer are its entry of the router's table (src/slack/routes.ts). Anything that
 * talks to hosts is handed to the dispatcher as a CommandJob BEFORE the listener returns (on
 * Lambda, work left running after the handler returns is frozen or lost), then acknowledged with
 * a short ephemeral "Working on `ls host1`…". The worker posts the result in the channel.
 *
 * `rm` and `prune` open deletion requests (SPEC §4): after the same checks (for requesters), they are
 * handed over as OpenRequestJobs. A click on a request's Approve or Reject button is acknowledged
 * with an empty 200 and handed over as a DecideJob: the worker decides, once.
 *
 * Only types come from src/docker: the handler's bundle must not carry the engine client.
 */

import type { BlockButtonAction, SlashCommand } from "@slack/bolt";
import { App, type LogLevel, type Receiver, type RespondArguments } from "@slack/bolt";
import { precheck } from "../approvals/policy.js";
import { plain } from "../blocks/blocks.js";
import type { SlackMessage } from "../blocks/message.js";
import {
  decisionOf,
  parseRestoreValue,
  REQUEST_ID_RE,
  RESTORE_ACTION_ID,
} from "../commands/delete/slack-actions.js";
import { type CommandOf, parseCommand, tokenize } from "../commands/parse.js";
import { CLEANUP_ACTION, parseCleanupValue } from "../commands/report/slack.js";
import type { Config } from "../config/types.js";
import { DvolError, describeError } from "../errors.js";
import {
  type CleanupJob,
  type DecideJob,
  type JobDispatcher,
  logFieldsOf,
  type RestoreJob,
} from "../jobs/job.js";
import { errorFields, type Logger, withFields } from "../log.js";
import { respondEphemeral } from "./post.js";
import { renderError } from "./render-error.js";
import { accessOf, answer, type CommandDecision, checkCommand } from "./routes.js";

export type { Logger } from "../log.js";

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
  trigger_id?: string;
};

export type { CommandDecision } from "./routes.js";

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
    (deps.logger ?? console).error(`dvol: config: ${describeError(err)}`, errorFields(err));
    return { kind: "reply", message: renderError(err) };
  }
  const caller = { user: input.user_id, channel: input.channel_id };
  let words: string[];
  let cmd: CommandOf;
  try {
    words = tokenize(input.text ?? "");
    if (words.length === 0) words = ["help"];
    // Refused before parsing: a refused user learns no host names. The channel first, then
    // requesters for rm/prune and viewers for everything else (the command's route says which).
    // A user the list could name only through a user group is the worker's to decide: it looks
    // the group up with the bot token, and runs the command or says why not.
    const access = precheck(config.access, accessOf(words[0]), caller);
    if (access.ok === false) {
      return { kind: "reply", message: plain(`:no_entry: ${access.message}\n${access.hint}`) };
    }
    cmd = parseCommand(words);
    // Host names are checked (and an unknown one answered with the registered ones) only for a
    // user known to be allowed; for one whose groups the worker looks up, the worker checks them
    // after the access decision.
    if (access.ok === true) checkCommand(cmd, config);
  } catch (err) {
    if (err instanceof DvolError) return { kind: "reply", message: renderError(err) };
    throw err;
  }
  const text = words.join(" ");
  return answer(cmd, {
    words,
    text,
    channel: input.channel_id,
    user: input.user_id,
    responseUrl: input.response_url,
    acceptedAt: now().toISOString(),
    triggerId: input.trigger_id || null,
  });
}

export function ephemeral(msg: SlackMessage): RespondArguments {
  return { response_type: "ephemeral", text: msg.text, blocks: msg.blocks };
}

/** The DecideJob of a click on a request's Approve or Reject button, or null for any other action. */
function decideJobOf(body: unknown, action: unknown, at: Date): DecideJob | null {
  const b = body as Partial<BlockButtonAction> | null;
  const a = action as Partial<BlockButtonAction["actions"][number]> | null;
  if (b?.type !== "block_actions" || a?.type !== "button" || typeof a.action_id !== "string") return null;
  const decision = decisionOf(a.action_id);
  const requestId = typeof a.value === "string" ? a.value : "";
  const user = b.user?.id;
  const channel = b.channel?.id ?? b.container?.channel_id;
  if (!decision || !REQUEST_ID_RE.test(requestId) || !user || !channel || !b.response_url) return null;
  const messageTs = b.container?.message_ts ?? b.message?.ts ?? null;
  const threadTs = b.container?.thread_ts ?? b.message?.thread_ts ?? null;
  return {
    kind: "decide",
    requestId,
    action: decision,
    user,
    channel,
    messageTs: typeof messageTs === "string" ? messageTs : null,
    threadTs: typeof threadTs === "string" ? threadTs : null,
    responseUrl: b.response_url,
    text: `${decision} ${requestId}`,
    acceptedAt: at.toISOString(),
  };
}

/**
 * The RestoreJob of a click on a Restore button under a deletion's outcome, or null for any other
 * action: the worker restores the backup its value names, for the request its value names.
 */
export function restoreJobOf(body: unknown, action: unknown, at: Date): RestoreJob | null {
  const b = body as Partial<BlockButtonAction> | null;
  const a = action as Partial<BlockButtonAction["actions"][number]> | null;
  if (b?.type !== "block_actions" || a?.type !== "button" || typeof a.action_id !== "string") return null;
  if (!a.action_id.startsWith(RESTORE_ACTION_ID)) return null;
  const target = parseRestoreValue(a.value);
  const user = b.user?.id;
  const channel = b.channel?.id ?? b.container?.channel_id;
  if (!target || !user || !channel || !b.response_url) return null;
  const messageTs = b.container?.message_ts ?? b.message?.ts ?? null;
  const threadTs = b.container?.thread_ts ?? b.message?.thread_ts ?? null;
  return {
    kind: "restore",
    ...target,
    user,
    channel,
    messageTs: typeof messageTs === "string" ? messageTs : null,
    threadTs: typeof threadTs === "string" ? threadTs : null,
    responseUrl: b.response_url,
    text: `restore ${target.backupId} of ${target.requestId}`,
    acceptedAt: at.toISOString(),
  };
}

/**
 * The OpenRequestJob of a click on a report's "Request cleanup" button, or null for any other
 * action: the worker opens an rm request, as the clicking user in the report's channel, for
 * exactly the volumes the report listed for that host.
 */
export function cleanupJobOf(body: unknown, action: unknown, at: Date): CleanupJob | null {
  const b = body as (Partial<BlockButtonAction> & { trigger_id?: string }) | null;
  const a = action as
    | (Partial<BlockButtonAction["actions"][number]> & { selected_option?: { value?: unknown } })
    | null;
  if (b?.type !== "block_actions" || typeof a?.action_id !== "string") return null;
  if (!a.action_id.startsWith(CLEANUP_ACTION)) return null;
  const value = a.type === "button" ? a.value : a.type === "static_select" ? a.selected_option?.value : null;
  const list = parseCleanupValue(value);
  const user = b.user?.id;
  const channel = b.channel?.id ?? b.container?.channel_id;
  if (!list || !user || !channel || !b.response_url) return null;
  return {
    kind: "cleanup",
    words: ["rm"],
    text: `cleanup from report ${list.id} (host ${list.index + 1})`,
    channel,
    user,
    responseUrl: b.response_url,
    acceptedAt: at.toISOString(),
    triggerId: typeof b.trigger_id === "string" && b.trigger_id ? b.trigger_id : null,
    reportList: list,
  };
}

/** Registers dvol's listeners on a Bolt app. */
function registerDvol(app: App, deps: DvolRouterDeps): void {
  const log = deps.logger ?? console;
  const now = deps.now ?? (() => new Date());

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
      withFields(log, { slack_user: command.user_id, channel: command.channel_id }).info(
        `dvol: ignored Slack retry ${context.retryNum} (${context.retryReason ?? "no reason"})`,
      );
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
      withFields(log, logFieldsOf(decision.job)).error(
        `dvol: could not dispatch ${decision.job.text}: ${describeError(err)}`,
        errorFields(err),
      );
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

  // Buttons (link buttons included) must be acknowledged even when there is nothing to do. A
  // request's Approve or Reject is acknowledged with an empty 200 (the click's answer, if any, goes
  // through its response_url) and handed to the worker, which decides once: a double click or a
  // replayed payload cannot decide or delete twice.
  app.action(/.*/, async ({ ack, body, action, context }) => {
    const job =
      decideJobOf(body, action, now()) ??
      cleanupJobOf(body, action, now()) ??
      restoreJobOf(body, action, now());
    if (!job) {
      await ack();
      return;
    }
    const jlog = withFields(log, logFieldsOf(job));
    if (context.retryNum !== undefined && context.retryNum > 0) {
      jlog.info(`dvol: ignored Slack retry ${context.retryNum} of ${job.text}`);
      await ack();
      return;
    }
    try {
      await deps.dispatch(job);
    } catch (err) {
      jlog.error(`dvol: could not dispatch ${job.text}: ${describeError(err)}`, errorFields(err));
      await ack();
      await respondEphemeral(
        job.responseUrl,
        plain(
          ":warning: dvol could not hand your click to its worker in time (logged): nothing changed. Try again in a moment.",
        ),
        2000,
      ).catch((e: unknown) =>
        log.error(`dvol: could not tell the clicker: ${describeError(e)}`, errorFields(e)),
      );
      return;
    }
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

/**
 * Delivering a command's result in Slack: a read command's result rendered and posted in the
 * channel (deliverRead), and the pieces every job uses: who asked on top, telling only the person
 * who asked (response_url, ephemeral), why a post failed. What runs which command is the worker's
 * table (src/jobs/run-request.ts).
 *
 * Only types from src/docker: the connection factory is passed in.
 */

import { codeSpan, context } from "../blocks/blocks.js";
import { checkMessage } from "../blocks/limits.js";
import type { SlackMessage } from "../blocks/message.js";
import type { RunContext } from "../commands/entry.js";
import type { CommandOf } from "../commands/parse.js";
import type { CommandResult, ResultOf } from "../commands/results.js";
import { COMMAND_TABLE, runCommand } from "../commands/table.js";
import type { Config } from "../config/types.js";
import type { ConnectionFactory } from "../docker/connection.js";
import { describeError } from "../errors.js";
import { errorFields } from "../log.js";
import { type PostedMessage, type SlackOutbox, slackErrorCode } from "../slack/post.js";
import { renderError } from "../slack/render-error.js";
import type { CommandJob } from "./job.js";

export interface RunJobDeps {
  config: () => Promise<Config>;
  /** The connection factory for a config (the TLS one in production). */
  connect: (config: Config) => ConnectionFactory;
  slack: SlackOutbox;
  now?: () => Date;
  logger?: Pick<Console, "info" | "warn" | "error">;
}

export type JobOutcome =
  | { status: "posted"; posted: PostedMessage; result: CommandResult }
  /** The command could not run; the person who typed it was told through response_url. */
  | { status: "failed"; error: string; told: boolean }
  /** The policy refused the person (a user group looked up here); they were told why, ephemeral. */
  | { status: "refused"; error: string; told: boolean }
  /** It ran, but the bot could not post in the channel; the person was shown the result instead. */
  | { status: "not-posted"; error: string; told: boolean; result: CommandResult }
  /** A request resumed or cancelled: said in its thread and parent message, and to the person. */
  | { status: "changed"; told: boolean; result: CommandResult };

/** The notice above a result: who asked for what. Left out when the message has no room for it. */
export function withAttribution(msg: SlackMessage, job: Pick<CommandJob, "user" | "text">): SlackMessage {
  const withIt: SlackMessage = {
    ...msg,
    blocks: [context(`<@${job.user}> ran ${codeSpan(`/dvol ${job.text}`)}`), ...msg.blocks],
  };
  return checkMessage(withIt).length === 0 ? withIt : msg;
}

/**
 * The message of a result as its Slack rendering made it; one that still breaks a limit is
 * replaced by a notice, with the result's whole text attached as a file.
 */
function messageFor(
  rendered: SlackMessage,
  whole: { command: string; text: () => string },
  job: Pick<CommandJob, "user" | "text">,
): SlackMessage {
  if (checkMessage(rendered).length === 0) return withAttribution(rendered, job);
  const text = `The result of ${codeSpan(job.text)} is too long for a message: it is attached as a file.`;
  return {
    text,
    blocks: [{ type: "section", text: { type: "mrkdwn", text } }],
    file: {
      filename: `dvol-${whole.command}.txt`,
      title: `dvol ${job.text}`.slice(0, 200),
      content: whole.text(),
    },
  };
}

type Log = Pick<Console, "error">;

/** Answers only the person who typed the command (response_url); false when even that failed. */
export function tellPerson(
  job: Pick<CommandJob, "responseUrl">,
  slack: Pick<SlackOutbox, "respond">,
  log: Log,
) {
  return async (msg: SlackMessage): Promise<boolean> => {
    try {
      await slack.respond(job.responseUrl, msg);
      return true;
    } catch (err) {
      log.error(`dvol: could not answer through response_url: ${describeError(err)}`, errorFields(err));
      return false;
    }
  };
}

/** Why posting `what` in the channel failed, logged, and said for the person who asked. */
export function postFailure(
  err: unknown,
  channel: string,
  what: string,
  log: Log,
): { error: string; why: string } {
  const code = slackErrorCode(err);
  log.error(`dvol: could not post in ${channel}: ${code ?? describeError(err)}`, errorFields(err));
  const why =
    code === "not_in_channel" || code === "channel_not_found"
      ? "I am not in this channel: invite me (`/invite @dvol`) and try again."
      : `I could not post ${what} in this channel (${code ?? "an error, logged"}).`;
  return { error: code ?? describeError(err), why };
}

/**
 * The commands whose result is posted as it is, by its Slack rendering: help, the host commands,
 * and backup, backups and restore.
 */
export type ReadName = "help" | "hosts" | "info" | "ls" | "inspect" | "backup" | "backups" | "restore";

/** Runs a read command and posts its result in the channel (the person is told when it cannot). */
export async function deliverRead<K extends ReadName>(
  cmd: CommandOf<K>,
  render: (r: ResultOf<K>) => SlackMessage,
  job: Pick<CommandJob, "user" | "text" | "channel" | "responseUrl">,
  ctx: RunContext,
  deps: Pick<RunJobDeps, "slack" | "logger">,
): Promise<JobOutcome> {
  const log = deps.logger ?? console;
  const tell = tellPerson(job, deps.slack, log);

  let result: ResultOf<K>;
  try {
    result = await runCommand(cmd, ctx);
  } catch (err) {
    // Unknown hosts and usage errors were answered by the handler; what is left here is a config
    // that changed in between or an unexpected failure.
    log.error(`dvol: ${job.text}: ${describeError(err)}`, errorFields(err));
    return { status: "failed", error: describeError(err), told: await tell(renderError(err)) };
  }

  const done = result;
  const text = () => COMMAND_TABLE[cmd.name].text(done);
  const msg = messageFor(render(result), { command: cmd.name, text }, job);
  try {
    const posted = await deps.slack.post(job.channel, msg);
    return { status: "posted", posted, result };
  } catch (err) {
    const failure = postFailure(err, job.channel, "the result", log);
    const why = `${failure.why} Here is the result, only for you:`;
    const notice: SlackMessage = {
      text: why,
      blocks: [context(why), ...msg.blocks].slice(0, 50),
    };
    const told = await tell(checkMessage(notice).length === 0 ? notice : { text: why, blocks: [] });
    return { status: "not-posted", error: failure.error, told, result };
  }
}

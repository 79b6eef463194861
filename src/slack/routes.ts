/**
 * The Slack router's side of the command table: for each command, who may type it (viewers or
 * requesters), which names are checked before anything runs, and how it is answered: at once
 * (help), or handed to the worker as a job (the host commands, requests, report, backup, backups
 * and restore as a CommandJob; rm and prune as an OpenRequestJob). It imports no runner, only grammar and Slack
 * renderings (help's, from the grammar): the Slack handler's bundle holds no engine code.
 */

import type { ListAction } from "../approvals/policy.js";
import { codeSpan, plain } from "../blocks/blocks.js";
import type { SlackMessage } from "../blocks/message.js";
import { renderOpening } from "../commands/delete/slack-replies.js";
import { renderHelpSlack } from "../commands/help/slack.js";
import type { CommandName, CommandOf } from "../commands/parse.js";
import { resolveHost, resolveTarget } from "../config/targets.js";
import type { Config } from "../config/types.js";
import type { CommandJob, OpenRequestJob } from "../jobs/job.js";

/** What to do with a slash command: answer at once, or dispatch a job and acknowledge it. */
export type CommandDecision =
  | { kind: "reply"; message: SlackMessage }
  | { kind: "dispatch"; job: CommandJob | OpenRequestJob; ack: SlackMessage };

/** The job of a command, less its kind: who typed what, where, when. */
export type Typed = Omit<OpenRequestJob, "kind">;

export interface SlackRoute<K extends CommandName> {
  /**
   * The policy's action (src/approvals/policy.ts): rm and prune are "request", backup "backup",
   * restore "restore"; the rest "read".
   */
  access?: ListAction;
  /** Host names (and targets) checked before any job exists: an unknown host throws. */
  check?(cmd: CommandOf<K>, config: Config): void;
  answer(cmd: CommandOf<K>, typed: Typed): CommandDecision;
}

const oneHost = (cmd: { host: string }, config: Config): void => void resolveHost(config, cmd.host);

/** Handed to the worker, which posts the result in the channel. */
function work(_cmd: CommandOf, typed: Typed): CommandDecision {
  const { triggerId: _, ...rest } = typed;
  const job: CommandJob = { kind: "command", ...rest };
  return {
    kind: "dispatch",
    job,
    ack: plain(`:hourglass_flowing_sand: Working on ${codeSpan(typed.text)}…`),
  };
}

/** rm and prune: the worker makes the plan and opens the request, once per trigger_id. */
function open(_cmd: CommandOf<"rm" | "prune">, typed: Typed): CommandDecision {
  return { kind: "dispatch", job: { kind: "open-request", ...typed }, ack: renderOpening(typed.text) };
}

const SLACK_ROUTES: { [K in CommandName]: SlackRoute<K> } = {
  help: { answer: (cmd) => ({ kind: "reply", message: renderHelpSlack(cmd) }) },
  hosts: { answer: work },
  info: { check: oneHost, answer: work },
  ls: { check: (cmd, config) => void resolveTarget(config, cmd.target), answer: work },
  inspect: { check: oneHost, answer: work },
  rm: { access: "request", check: oneHost, answer: open },
  prune: { access: "request", check: oneHost, answer: open },
  requests: { answer: work },
  report: { check: (cmd, config) => void resolveTarget(config, cmd.target ?? "all"), answer: work },
  backup: { access: "backup", check: oneHost, answer: work },
  backups: {
    check: (cmd, config) => void (cmd.target === null || resolveTarget(config, cmd.target)),
    answer: work,
  },
  restore: { access: "restore", check: oneHost, answer: work },
};

function isCommandName(word: string | undefined): word is CommandName {
  return word !== undefined && Object.hasOwn(SLACK_ROUTES, word);
}

/** Who may type the command named by a word (checked before the words are parsed). */
export function accessOf(word: string | undefined): ListAction {
  return (isCommandName(word) && SLACK_ROUTES[word].access) || "read";
}

export function checkCommand<K extends CommandName>(cmd: CommandOf<K>, config: Config): void {
  SLACK_ROUTES[cmd.name].check?.(cmd, config);
}

export function answer<K extends CommandName>(cmd: CommandOf<K>, typed: Typed): CommandDecision {
  return SLACK_ROUTES[cmd.name].answer(cmd, typed);
}

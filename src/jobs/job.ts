import type { RequestDecision } from "../commands/delete/slack-actions.js";
import { COMMANDS } from "../commands/grammar.js";
import type { LogFields } from "../log.js";

/**
 * Work that talks to hosts, handed from the Slack handler (which must acknowledge within 3 s) to
 * the worker: a second Lambda invocation on AWS, in-process when run locally.
 */
export interface CommandJob {
  kind: "command";
  /** The words of the command, already parsed once by the handler. */
  words: string[];
  /** The text as typed, for messages ("`/dvol ls host1`"). */
  text: string;
  channel: string;
  user: string;
  /** Slack's response_url: answers only the person who typed the command. */
  responseUrl: string;
  /** ISO time the handler accepted the command. */
  acceptedAt: string;
}

/**
 * `/dvol rm|prune …`, accepted by the handler (usage, host, names and requester checked as far as
 * they can be without a host): the worker makes the plan, stores the request and posts it.
 */
export interface OpenRequestJob extends Omit<CommandJob, "kind"> {
  kind: "open-request";
  /** Slack's trigger_id of the command: the worker opens one request per command, however often run. */
  triggerId: string | null;
}

/**
 * A report's "Request cleanup" click: the worker reads the host and the volume names the report
 * showed for it (a memo under the report's id and the host's place in it) and opens an rm request
 * for exactly those, as an OpenRequestJob would.
 */
export interface CleanupJob extends Omit<OpenRequestJob, "kind"> {
  kind: "cleanup";
  reportList: { id: string; index: number };
}

/** A click on a request's Approve or Reject button, or Resume or Cancel under a pause (SPEC §4). */
export interface DecideJob {
  kind: "decide";
  requestId: string;
  action: RequestDecision;
  /** Who clicked. */
  user: string;
  /** Where the button was: the request's channel and the plan message in its thread. */
  channel: string;
  messageTs: string | null;
  /** The thread the clicked message is in (the request's parent), when Slack says. */
  threadTs: string | null;
  /** The click's response_url: ephemeral answers to the person who clicked. */
  responseUrl: string;
  /** For logs and messages ("approve DR-0A1B2C3D"). */
  text: string;
  /** ISO time the handler accepted the click. */
  acceptedAt: string;
}

/**
 * An execution handed over near the worker's deadline (src/jobs/deadline.ts): the worker invokes
 * itself with this job, which claims the request and goes on where the last invocation stopped.
 * It carries the click that started the execution, so that the outcome is told the same way.
 */
export interface ContinueJob extends Omit<DecideJob, "kind" | "action"> {
  kind: "continue";
  /** How many invocations came before this one in the same execution (the first continue is 1). */
  hop: number;
}

/**
 * A click on a Restore button under a deletion's outcome: the worker restores that request's
 * backup of a deleted volume under the volume's name (src/jobs/restore-click.ts).
 */
export interface RestoreJob extends Omit<DecideJob, "kind" | "action"> {
  kind: "restore";
  backupId: string;
}

export type Job = CommandJob | OpenRequestJob | DecideJob | CleanupJob | ContinueJob | RestoreJob;

type JobMap = { [J in Job as J["kind"]]: J };
/** The job of kind K (written over each kind, so that a table by kind takes it without a cast). */
export type JobOf<K extends Job["kind"] = Job["kind"]> = { [P in K]: JobMap[P] & { kind: P } }[K];

/** Hands a job over. Resolves once the job is safely handed over, not when it is done. */
export type JobDispatcher = (job: Job) => Promise<void>;

/** What each log line of a job carries: its kind, command, person, channel, and host or request. */
export function logFieldsOf(job: Job): LogFields {
  if (job.kind === "decide" || job.kind === "continue" || job.kind === "restore") {
    return {
      job_kind: job.kind,
      deletion_request_id: job.requestId,
      slack_user: job.user,
      channel: job.channel,
    };
  }
  const [command, first] = job.words;
  const arg = COMMANDS.find((c) => c.name === command)?.args[0];
  const named = arg && (arg.kind === "host" || arg.kind === "target") && first && !first.startsWith("-");
  return {
    job_kind: job.kind,
    command,
    slack_user: job.user,
    channel: job.channel,
    ...(named ? { host: first } : {}),
    ...(job.kind === "cleanup" ? { command: "cleanup" } : {}),
  };
}

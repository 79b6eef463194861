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

export type Job = CommandJob;

/** Hands a job over. Resolves once the job is safely handed over, not when it is done. */
export type JobDispatcher = (job: Job) => Promise<void>;

/**
 * What the deletion-request jobs share (open-request.ts, decide.ts, and the request list of
 * run-request.ts): their dependencies, user-group members looked up with the bot token, telling
 * the person who asked, and keeping a request's Slack messages (parent, plan, thread) up to date.
 */
import type { ExecuteDeps } from "../approvals/execute.js";
import type { GroupResolver } from "../approvals/policy.js";
import type { SlackMessage } from "../blocks/message.js";
import { renderRequestParent } from "../commands/delete/slack-parent.js";
import { renderDecidedPlan } from "../commands/delete/slack-plan.js";
import type { Config } from "../config/types.js";
import type { ConnectionFactory } from "../docker/connection.js";
import { describeError, GroupLookupError } from "../errors.js";
import { errorFields } from "../log.js";
import { type SlackThreadOutbox, slackErrorCode } from "../slack/post.js";
import { renderError } from "../slack/render-error.js";
import { CLOSED_STATUSES, type DeletionRequest } from "../store/records.js";
import type { Store } from "../store/store.js";
import type { CommandJob } from "./job.js";
import { tellPerson } from "./run-job.js";

export interface RequestJobDeps {
  config: () => Promise<Config>;
  connect: (config: Config) => ConnectionFactory;
  slack: SlackThreadOutbox;
  store: () => Promise<Store>;
  now?: () => Date;
  logger?: Pick<Console, "info" | "warn" | "error">;
  /** Passed to the execution (tests: a short lease, a simulated crash). */
  execution?: Pick<ExecuteDeps, "leaseMs" | "concurrency" | "afterDelete">;
}

/** Group members looked up once per job; a failed lookup is the core's "could not be looked up". */
export function groupResolver(slack: Pick<SlackThreadOutbox, "usergroupMembers">): GroupResolver {
  const cache = new Map<string, Promise<string[]>>();
  return (groupId) => {
    let p = cache.get(groupId);
    if (!p) {
      p = slack.usergroupMembers(groupId).catch((err: unknown) => {
        const detail = slackErrorCode(err) ?? (err instanceof Error ? err.message : String(err));
        throw new GroupLookupError(groupId, detail, { cause: err });
      });
      cache.set(groupId, p);
    }
    return p;
  };
}

/** A job that could not run: logged, and told to the person who asked (ephemeral). */
export async function failedJob(
  err: unknown,
  job: Pick<CommandJob, "text" | "responseUrl">,
  deps: Pick<RequestJobDeps, "slack" | "logger">,
): Promise<{ status: "failed"; error: string; told: boolean }> {
  (deps.logger ?? console).error(`dvol: ${job.text}: ${describeError(err)}`, errorFields(err));
  return {
    status: "failed",
    error: describeError(err),
    told: await makeTell(deps, job.responseUrl)(renderError(err)),
  };
}

export function makeTell(deps: Pick<RequestJobDeps, "slack" | "logger">, responseUrl: string) {
  return tellPerson({ responseUrl }, deps.slack, deps.logger ?? console);
}

/** Best effort: a message that cannot be updated or posted is logged, never fatal. */
export async function quietly(
  log: Pick<Console, "error">,
  what: string,
  fn: () => Promise<unknown>,
): Promise<void> {
  try {
    await fn();
  } catch (err) {
    log.error(`dvol: could not ${what}: ${slackErrorCode(err) ?? describeError(err)}`, errorFields(err));
  }
}

/** Brings the parent message (and, once final, the plan without its buttons) up to date. */
export async function showState(
  deps: RequestJobDeps,
  request: DeletionRequest,
  planTs: string | null,
  now: Date,
): Promise<void> {
  const log = deps.logger ?? console;
  const { channel, messageTs } = request;
  const final = CLOSED_STATUSES.includes(request.status);
  await Promise.all([
    channel && messageTs
      ? quietly(log, `update the parent of ${request.id}`, () =>
          deps.slack.update(channel, messageTs, renderRequestParent(request, now)),
        )
      : Promise.resolve(),
    channel && planTs && final
      ? quietly(log, `update the plan of ${request.id}`, () =>
          deps.slack.update(channel, planTs, renderDecidedPlan(request, now)),
        )
      : Promise.resolve(),
  ]);
}

export async function inThread(
  deps: RequestJobDeps,
  request: DeletionRequest,
  msg: SlackMessage,
): Promise<void> {
  const log = deps.logger ?? console;
  const { channel, messageTs } = request;
  if (!channel || !messageTs) return;
  await quietly(log, `post in the thread of ${request.id}`, () =>
    deps.slack.postInThread(channel, messageTs, msg),
  );
}

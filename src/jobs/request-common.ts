/**
 * What the deletion-request jobs share (open-request.ts, decide.ts, and the request list of
 * run-request.ts): their dependencies, user-group members looked up with the bot token, telling
 * the person who asked, and keeping a request's Slack messages (parent, plan, thread) up to date.
 */
import { randomInt } from "node:crypto";
import type { BeforeDeleteBackups } from "../approvals/before-delete.js";
import type { ExecuteDeps } from "../approvals/execute.js";
import type { GroupResolver } from "../approvals/policy.js";
import { audit, auditSeq } from "../approvals/requests.js";
import type { BackupStore } from "../backup/store.js";
import { plain } from "../blocks/blocks.js";
import type { SlackMessage } from "../blocks/message.js";
import { cached } from "../cached.js";
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
import type { WorkerInvocation } from "./deadline.js";
import type { CommandJob, DecideJob } from "./job.js";
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
  /** The Lambda invocation: its deadline and how to hand over (absent locally: no deadline). */
  invocation?: WorkerInvocation;
  /**
   * The store of backups for a config (as run-request.ts's BackupDeps): for deletions that back
   * volumes up first, and the Restore button.
   */
  backups?: (config: Config) => Promise<BackupStore>;
  /** Kept in each manifest. */
  dvolVersion?: string;
}

/** What an execution needs to back volumes up first, from the job's dependencies (none without a store). */
export function beforeDeleteBackups(
  deps: Pick<RequestJobDeps, "backups" | "dvolVersion" | "invocation">,
  config: Config,
): BeforeDeleteBackups | undefined {
  const open = deps.backups;
  if (!open) return undefined;
  return {
    store: cached(() => open(config)),
    dvolVersion: deps.dvolVersion ?? "unknown",
    ...(deps.invocation ? { remainingMs: deps.invocation.remainingMs } : {}),
  };
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

/**
 * Why a click does not belong to the request its button names, or null when it does: it must come
 * from the request's plan message or a message in its thread (the button's value, the message it
 * is in and the request's stored messages agree; the channel is checked by the policy). A
 * refused click changes nothing; it is audited and the person who clicked is told (ephemeral).
 */
export async function refuseMisdirected(
  job: Omit<DecideJob, "kind" | "action"> & { action: string },
  store: Store,
  deps: Pick<RequestJobDeps, "slack" | "logger" | "now">,
): Promise<{ error: string; told: boolean; request: DeletionRequest } | null> {
  const r = await store.getRequest(job.requestId);
  if (!r) return null; // said as "no such request" by the caller
  const fromPlan = job.messageTs !== null && r.planTs != null && job.messageTs === r.planTs;
  const fromThread = job.threadTs !== null && r.messageTs !== null && job.threadTs === r.messageTs;
  // Another channel than the request's is the policy's refusal (checkRequestChannel), with its words.
  if (r.channel !== job.channel) return null;
  const why = fromPlan || fromThread ? null : "it was not clicked in the request's own thread";
  if (why === null) return null;
  const now = (deps.now ?? (() => new Date()))();
  (deps.logger ?? console).warn(`dvol: ${job.text} by ${job.user} refused: ${why}`);
  await audit(store, r, now, auditSeq(r.version, 800 + randomInt(100)), job.user, "refused", {
    tried: job.action,
    reason: "misdirected",
    why,
    channel: job.channel,
    messageTs: job.messageTs,
    threadTs: job.threadTs,
  });
  const error = `This button does not act on ${r.id}: ${why}.`;
  const told = await makeTell(
    deps,
    job.responseUrl,
  )(plain(`:no_entry: ${error} Nothing changed; use the buttons in the request's own thread.`));
  return { error, told, request: r };
}

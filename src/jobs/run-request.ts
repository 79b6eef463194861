/**
 * The worker: a job is "run this command for this person and deliver it there". Its tables: one
 * by job kind (JOBS: a command, a request to open, a click on Approve or Reject, a report's cleanup
 * click) and the worker's side of the command table (DELIVERY: a read posted as it is, rm and prune
 * opened as requests, requests listed, the report posted); every command runs through the command
 * table (src/commands/table.ts), parsed once.
 *
 * The Slack side of deletion requests (SPEC §4): the jobs the handler hands over for
 * `/dvol rm|prune` (OpenRequestJob) and for clicks on Approve or Reject (DecideJob).
 *
 * Open: the requester is checked (user groups resolved here, with the bot token), the plan is made
 * on the host by the approvals core, the request is stored, the parent message is posted in the
 * channel and the plan in its thread, and the parent's ts is stored on the request. One request per
 * slash command, however often the job runs (a claim on Slack's trigger_id).
 *
 * Decide: the core decides once (policy, state machine, conditional writes). Whoever may not
 * decide, or clicks a request already decided or expired, is told so, ephemeral, through the
 * click's response_url, and nothing changes. A rejection is said in the thread; an approval runs
 * the execution (at most one DELETE per volume, whatever arrives twice), then the outcome is posted
 * in the thread; the parent message follows every change, and the plan loses its buttons once the
 * request is final. An approve click on a request that is approved but not done (its executor
 * stopped) resumes the execution once the executor's lease has run out.
 *
 * Only types from src/docker: the connection factory is passed in.
 */

import { type ExecuteDeps, type ExecutionResult, executeRequest } from "../approvals/execute.js";
import { type Actor, type GroupResolver, mayApprove } from "../approvals/policy.js";
import { approveRequest, attachMessage, isExpired, rejectRequest } from "../approvals/requests.js";
import type { SlackMessage } from "../blocks/message.js";
import type { DeletionResult } from "../commands/delete/run.js";
import { renderRejected, renderRequestOutcome } from "../commands/delete/slack-outcome.js";
import { renderRequestParent } from "../commands/delete/slack-parent.js";
import { renderDecidedPlan, renderRequestPlan } from "../commands/delete/slack-plan.js";
import {
  renderAlreadyDecided,
  renderBusy,
  renderNothingToDelete,
  renderRefused,
  renderUnknownRequest,
} from "../commands/delete/slack-replies.js";
import type { RunContext } from "../commands/entry.js";
import { renderHelpSlack } from "../commands/help/slack.js";
import { renderHostsSlack } from "../commands/hosts/slack.js";
import { renderInfoSlack } from "../commands/info/slack.js";
import { renderInspectSlack } from "../commands/inspect/slack.js";
import { renderLsSlack } from "../commands/ls/slack.js";
import { type CommandName, type CommandOf, parseCommand } from "../commands/parse.js";
import type { RequestsResult } from "../commands/requests/run.js";
import { renderRequestList } from "../commands/requests/slack.js";
import type { ResultOf } from "../commands/results.js";
import { COMMAND_TABLE, runCommand } from "../commands/table.js";
import type { Config } from "../config/types.js";
import type { ConnectionFactory } from "../docker/connection.js";
import { describeError, NotAllowedError, StoreError } from "../errors.js";
import { errorFields, type Logger, withFields } from "../log.js";
import { type PostedMessage, type SlackThreadOutbox, slackErrorCode } from "../slack/post.js";
import { renderError } from "../slack/render-error.js";
import { plain } from "../slack/replies.js";
import type { DeletionRequest } from "../store/records.js";
import type { Store } from "../store/store.js";
import type { CleanupJob, CommandJob, DecideJob, Job, JobOf, OpenRequestJob } from "./job.js";
import {
  deliverRead,
  type JobOutcome,
  postFailure,
  type ReadName,
  type RunJobDeps,
  tellPerson,
  withAttribution,
} from "./run-job.js";
import { loadReportList, runReportJob } from "./run-report.js";

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

export type OpenOutcome =
  | { status: "opened"; request: DeletionRequest; parent: PostedMessage; plan: PostedMessage | null }
  /** Not opened; the person who typed the command was told why (through response_url) when `told`. */
  | { status: "refused" | "nothing-to-delete" | "failed"; error: string; told: boolean }
  /** This command was handled by an earlier run of the same job: nothing done. */
  | { status: "duplicate" };

export type DecideOutcome =
  | { status: "rejected"; request: DeletionRequest }
  | { status: "executed"; request: DeletionRequest }
  /** Nothing changed; the person who clicked was told why (ephemeral) when `told`. */
  | {
      status: "refused" | "decided" | "expired" | "not-found" | "busy" | "failed";
      error: string;
      told: boolean;
      request: DeletionRequest | null;
    };

/** How long a trigger_id is remembered: far longer than Slack and Lambda retry. */
const TRIGGER_CLAIM_MS = 24 * 3_600_000;

/** Group members looked up once per job; a failed lookup is the core's "could not be looked up". */
export function groupResolver(slack: Pick<SlackThreadOutbox, "usergroupMembers">): GroupResolver {
  const cache = new Map<string, Promise<string[]>>();
  return (groupId) => {
    let p = cache.get(groupId);
    if (!p) {
      p = slack.usergroupMembers(groupId).catch((err: unknown) => {
        throw new Error(slackErrorCode(err) ?? describeError(err));
      });
      cache.set(groupId, p);
    }
    return p;
  };
}

/** A job that could not run: logged, and told to the person who asked (ephemeral). */
async function failedJob(
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

function makeTell(deps: Pick<RequestJobDeps, "slack" | "logger">, responseUrl: string) {
  return tellPerson({ responseUrl }, deps.slack, deps.logger ?? console);
}

/** `/dvol rm|prune …` accepted by the handler: run through the worker's table (runCommandJob). */
export function runOpenRequest(job: OpenRequestJob, deps: RequestJobDeps): Promise<WorkerOutcome> {
  return runCommandJob(job, deps);
}

/**
 * rm or prune from Slack: the plan made on the host, the request stored and posted. An rm or a
 * prune typed in a command job (no trigger_id) opens a request as well, without the claim.
 */
async function openRequestFor(
  cmd: CommandOf<"rm" | "prune">,
  job: CommandJob | OpenRequestJob,
  config: Config,
  ctx: RunContext,
  deps: RequestJobDeps,
): Promise<OpenOutcome> {
  let log: Logger = deps.logger ?? console;
  const now = deps.now ?? (() => new Date());
  const tell = makeTell(deps, job.responseUrl);
  const triggerId = "triggerId" in job ? job.triggerId : null;

  let store: Store;
  try {
    store = await deps.store();
  } catch (err) {
    log.error(`dvol: ${job.text}: ${describeError(err)}`, errorFields(err));
    return { status: "failed", error: describeError(err), told: await tell(renderError(err)) };
  }

  // One request per slash command: a second run of this job (a duplicate delivery, a retry) stops here.
  if (triggerId) {
    const at = now();
    const first = await store.claim(
      `slack-trigger:${triggerId}`,
      new Date(at.getTime() + TRIGGER_CLAIM_MS).toISOString(),
      at.toISOString(),
    );
    if (!first) {
      log.info(`dvol: ${job.text}: trigger ${triggerId} was already handled; not opening it twice`);
      return { status: "duplicate" };
    }
  }

  // The same path as the CLI: requester checked (groups resolved with the bot token), plan made
  // on the host, request stored.
  const { actor, resolveGroup } = ctx.deletion;
  let result: DeletionResult;
  let request: DeletionRequest | null;
  try {
    result = await runCommand(cmd, ctx);
    request = result.requestId ? await store.getRequest(result.requestId) : null;
  } catch (err) {
    if (err instanceof NotAllowedError) {
      return {
        status: "refused",
        error: err.message,
        told: await tell(plain(`:no_entry: ${err.message}\n${err.hint ?? ""}`.trim())),
      };
    }
    log.error(`dvol: ${job.text}: ${describeError(err)}`, errorFields(err));
    return { status: "failed", error: describeError(err), told: await tell(renderError(err)) };
  }
  if (result.stage === "nothing-to-delete" || !request) {
    return {
      status: "nothing-to-delete",
      error: `${result.host}: nothing to delete`,
      told: await tell(
        renderNothingToDelete({ host: result.host, command: result.request, blocked: result.blocked }),
      ),
    };
  }

  const opened: DeletionRequest = request;
  log = withFields(log, { deletion_request_id: opened.id });
  let parent: PostedMessage;
  try {
    parent = await deps.slack.post(job.channel, renderRequestParent(opened, now()));
  } catch (err) {
    // Nobody could approve a request nobody sees: withdraw it (as its requester) and say why.
    const code = slackErrorCode(err);
    log.error(
      `dvol: ${opened.id}: could not post in ${job.channel}: ${code ?? describeError(err)}`,
      errorFields(err),
    );
    await rejectRequest({ store, now }, opened.id, actor, { access: config.access, resolveGroup }).catch(
      (e: unknown) =>
        log.error(`dvol: ${opened.id}: could not withdraw it: ${describeError(e)}`, errorFields(e)),
    );
    const why =
      code === "not_in_channel" || code === "channel_not_found"
        ? "I am not in this channel: invite me (`/invite @dvol`) and try again."
        : `I could not post it in this channel (${code ?? "an error, logged"}).`;
    return {
      status: "failed",
      error: code ?? describeError(err),
      told: await tell(plain(`:warning: ${opened.id} was withdrawn: ${why} Nothing will be deleted.`)),
    };
  }
  request = (await attachMessage({ store, now }, opened.id, parent.channel, parent.ts)) ?? opened;

  try {
    const planMsg = await deps.slack.postInThread(
      parent.channel,
      parent.ts,
      renderRequestPlan(request, now(), { leftOut: result.leftOut }),
    );
    return { status: "opened", request, parent, plan: planMsg };
  } catch (err) {
    log.error(`dvol: ${request.id}: could not post the plan: ${describeError(err)}`, errorFields(err));
    await tell(
      plain(
        `:warning: ${request.id} was opened, but its plan could not be posted in the thread (logged). It expires unapproved.`,
      ),
    );
    return { status: "opened", request, parent, plan: null };
  }
}

/** Best effort: a message that cannot be updated or posted is logged, never fatal. */
async function quietly(log: Pick<Console, "error">, what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    log.error(`dvol: could not ${what}: ${slackErrorCode(err) ?? describeError(err)}`, errorFields(err));
  }
}

/** Brings the parent message (and, once final, the plan without its buttons) up to date. */
async function showState(
  deps: RequestJobDeps,
  request: DeletionRequest,
  planTs: string | null,
  now: Date,
): Promise<void> {
  const log = deps.logger ?? console;
  const { channel, messageTs } = request;
  const final = request.status === "done" || request.status === "rejected" || request.status === "expired";
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

async function inThread(deps: RequestJobDeps, request: DeletionRequest, msg: SlackMessage): Promise<void> {
  const log = deps.logger ?? console;
  const { channel, messageTs } = request;
  if (!channel || !messageTs) return;
  await quietly(log, `post in the thread of ${request.id}`, () =>
    deps.slack.postInThread(channel, messageTs, msg),
  );
}

export async function runDecide(job: DecideJob, deps: RequestJobDeps): Promise<DecideOutcome> {
  const log = deps.logger ?? console;
  const now = deps.now ?? (() => new Date());
  const tell = makeTell(deps, job.responseUrl);
  const nothing = async (
    status: Extract<DecideOutcome, { error: string }>["status"],
    error: string,
    msg: SlackMessage,
    request: DeletionRequest | null,
  ): Promise<DecideOutcome> => ({ status, error, told: await tell(msg), request });

  let config: Config;
  let store: Store;
  try {
    config = await deps.config();
    store = await deps.store();
  } catch (err) {
    log.error(`dvol: ${job.text}: ${describeError(err)}`, errorFields(err));
    return nothing("failed", describeError(err), renderError(err), null);
  }
  const actor: Actor = { user: job.user, channel: job.channel };
  const policy = { access: config.access, resolveGroup: groupResolver(deps.slack) };
  const core = { store, now };

  const decided =
    job.action === "approve"
      ? await approveRequest(core, job.requestId, actor, policy)
      : await rejectRequest(core, job.requestId, actor, policy);

  if (decided.ok) {
    const request = decided.request;
    if (request.status === "rejected") {
      await inThread(deps, request, renderRejected(request));
      await showState(deps, request, job.messageTs, now());
      return { status: "rejected", request };
    }
    await showState(deps, request, job.messageTs, now());
    return execute(job, deps, config, store, request);
  }

  const current = decided.request;
  switch (decided.reason) {
    case "not-found":
      return nothing("not-found", decided.message, renderUnknownRequest(job.requestId), null);
    case "expired":
      if (current) await showState(deps, current, job.messageTs, now());
      return nothing(
        "expired",
        decided.message,
        renderAlreadyDecided(current as DeletionRequest, now()),
        current,
      );
    case "decided": {
      const r = current as DeletionRequest;
      // Approved but not done: its executor stopped (or is still at work). An approver's click
      // resumes it; the execution itself makes sure nothing is deleted twice.
      if (job.action === "approve" && (r.status === "approved" || r.status === "executing")) {
        const may =
          r.decidedBy === job.user || (await mayApprove(config.access, r, actor, policy.resolveGroup)).ok;
        if (may) return execute(job, deps, config, store, r);
      }
      return nothing("decided", decided.message, renderAlreadyDecided(r, now()), r);
    }
    default:
      // A refusal by the policy: channel, requester, approver, self-approval, rejecter.
      return nothing(
        "refused",
        decided.message,
        renderRefused(job.requestId, job.action, `${decided.message} ${decided.hint}`),
        current,
      );
  }
}

async function execute(
  job: DecideJob,
  deps: RequestJobDeps,
  config: Config,
  store: Store,
  request: DeletionRequest,
): Promise<DecideOutcome> {
  const log = deps.logger ?? console;
  const now = deps.now ?? (() => new Date());
  const tell = makeTell(deps, job.responseUrl);
  let result: ExecutionResult;
  try {
    result = await executeRequest(
      {
        store,
        config,
        connect: deps.connect(config),
        now,
        executor: `slack:${job.user}`,
        ...(deps.execution?.leaseMs !== undefined ? { leaseMs: deps.execution.leaseMs } : {}),
        ...(deps.execution?.concurrency !== undefined ? { concurrency: deps.execution.concurrency } : {}),
        ...(deps.execution?.afterDelete ? { afterDelete: deps.execution.afterDelete } : {}),
      },
      request.id,
    );
  } catch (err) {
    // The host could not be reached (nothing was sent, the claim is released), or a crash.
    log.error(`dvol: ${request.id}: execution failed: ${describeError(err)}`, errorFields(err));
    await inThread(
      deps,
      request,
      plain(
        `:warning: ${request.id} is approved, but could not be executed: ${describeError(err).replace(/\n/g, " ")}\nAn approver may click Approve again to retry; nothing is deleted twice.`,
      ),
    );
    return { status: "failed", error: describeError(err), told: true, request };
  }
  switch (result.status) {
    case "done": {
      if (result.replay) {
        return {
          status: "decided",
          error: "already executed",
          told: await tell(renderAlreadyDecided(result.request, now())),
          request: result.request,
        };
      }
      await inThread(deps, result.request, renderRequestOutcome(result.request));
      await showState(deps, result.request, job.messageTs, now());
      return { status: "executed", request: result.request };
    }
    case "busy":
      return {
        status: "busy",
        error: "being executed",
        told: await tell(renderBusy(result.request)),
        request: result.request,
      };
    case "lost":
      // Another executor took over and reports the outcome itself.
      log.warn(`dvol: ${request.id}: another executor took over`);
      return { status: "busy", error: "taken over", told: false, request: result.request };
    case "not-approved":
      return {
        status: "decided",
        error: "not approved",
        told: await tell(renderAlreadyDecided(result.request, now())),
        request: result.request,
      };
    case "not-found":
      return {
        status: "not-found",
        error: "no such request",
        told: await tell(renderUnknownRequest(result.id)),
        request: null,
      };
  }
}

export type WorkerOutcome = JobOutcome | OpenOutcome | DecideOutcome;
export type WorkerDeps = RunJobDeps & RequestJobDeps;

/** How the worker delivers a command: run for the person who typed it, answered where it was typed. */
type Delivery<K extends CommandName> = (
  cmd: CommandOf<K>,
  job: CommandJob | OpenRequestJob,
  config: Config,
  ctx: RunContext,
  deps: WorkerDeps,
) => Promise<WorkerOutcome>;

/** A read command: its result rendered by its Slack rendering and posted in the channel. */
const postRead =
  <K extends ReadName>(render: (r: ResultOf<K>) => SlackMessage): Delivery<K> =>
  (cmd, job, _config, ctx, deps) =>
    deliverRead(cmd, render, job, ctx, deps);

/** The worker's side of the command table: how each command's result reaches Slack. */
const DELIVERY: { [K in CommandName]: Delivery<K> } = {
  help: postRead(renderHelpSlack),
  hosts: postRead(renderHostsSlack),
  info: postRead(renderInfoSlack),
  ls: postRead(renderLsSlack),
  inspect: postRead(renderInspectSlack),
  rm: openRequestFor,
  prune: openRequestFor,
  requests: (cmd, job, _config, ctx, deps) => runRequestList(cmd, job, ctx, deps),
  report: (cmd, job, _config, ctx, deps) => runReportJob(cmd, job, ctx, deps),
};

function deliver<K extends CommandName>(
  cmd: CommandOf<K>,
  job: CommandJob | OpenRequestJob,
  config: Config,
  ctx: RunContext,
  deps: WorkerDeps,
): Promise<WorkerOutcome> {
  return DELIVERY[cmd.name](cmd, job, config, ctx, deps);
}

/** The command's context in the worker: the person who typed it, in its channel, opening requests. */
function workerContext(config: Config, job: CommandJob | OpenRequestJob, deps: WorkerDeps): RunContext {
  const now = deps.now ?? (() => new Date());
  const connect = deps.connect(config);
  return {
    context: async () => ({ config, connect, now }),
    store: deps.store,
    deletion: {
      mode: "request",
      actor: { user: job.user, channel: job.channel },
      resolveGroup: groupResolver(deps.slack),
    },
  };
}

/** A typed command (a read, rm or prune, requests, report): parsed once, delivered by its entry. */
export async function runCommandJob(
  job: CommandJob | OpenRequestJob,
  deps: WorkerDeps,
): Promise<WorkerOutcome> {
  let config: Config;
  let cmd: CommandOf;
  try {
    config = await deps.config();
    cmd = parseCommand(job.words);
  } catch (err) {
    return failedJob(err, job, deps);
  }
  return deliver(cmd, job, config, workerContext(config, job, deps), deps);
}

/** The jobs the handler hands over, by kind: a command, a request to open, a click. */
const JOBS: { [K in Job["kind"]]: (job: JobOf<K>, deps: WorkerDeps) => Promise<WorkerOutcome> } = {
  command: runCommandJob,
  "open-request": runCommandJob,
  decide: runDecide,
  cleanup: runReportCleanup,
};

/** Whether an event names a job kind the worker runs (anything else is not a job of dvol's). */
export function isJobKind(kind: unknown): kind is Job["kind"] {
  return typeof kind === "string" && Object.hasOwn(JOBS, kind);
}

function runKind<K extends Job["kind"]>(job: JobOf<K>, deps: WorkerDeps): Promise<WorkerOutcome> {
  return JOBS[job.kind](job, deps);
}

/** Runs any job the handler hands over: a command, a request to open, a decision, a cleanup. */
export function runWorkerJob(job: CommandJob, deps: WorkerDeps): Promise<JobOutcome>;
export function runWorkerJob(job: Job, deps: WorkerDeps): Promise<WorkerOutcome>;
export function runWorkerJob(job: Job, deps: WorkerDeps): Promise<WorkerOutcome> {
  return runKind(job, deps);
}

/** No store here: a worker that runs read commands only (tests). */
const noStore = (): Promise<Store> =>
  Promise.reject(new StoreError("this worker has no store", { hint: "Run it with a store." }));

/**
 * A command job in a worker without a store or threads (a read command needs neither): what it
 * would need of them fails as a StoreError or a refused thread call, told to the person.
 */
export function runJob(job: CommandJob, deps: RunJobDeps): Promise<WorkerOutcome> {
  const refused = (): Promise<never> =>
    Promise.reject(new StoreError("this worker cannot post in threads", { hint: "Run it with a store." }));
  return runWorkerJob(job, {
    ...deps,
    slack: { ...deps.slack, postInThread: refused, update: refused, usergroupMembers: refused },
    store: noStore,
  });
}

/**
 * A report's "Request cleanup" click: the names the report listed for the host, read from the
 * store, become an ordinary rm request (checked, planned, stored and posted as any other).
 */
export async function runReportCleanup(job: CleanupJob, deps: WorkerDeps): Promise<WorkerOutcome> {
  const list = job.reportList;
  let saved: { host: string; names: string[] } | null;
  try {
    saved = await loadReportList(await deps.store(), list.id, list.index);
  } catch (err) {
    return failedJob(err, job, deps);
  }
  if (!saved || saved.names.length === 0) {
    const why = `The list behind this button is gone (report ${list.id}): run \`/dvol report\` for a fresh one.`;
    return {
      status: "failed",
      error: "report list gone",
      told: await makeTell(deps, job.responseUrl)(plain(`:warning: ${why}`)),
    };
  }
  const { reportList: _, ...rest } = job;
  const words = ["rm", saved.host, ...saved.names];
  return runCommandJob(
    {
      ...rest,
      kind: "open-request",
      words,
      text: `rm ${saved.host} (${saved.names.length} dangling volumes of report ${list.id})`,
    },
    deps,
  );
}

/** True when the job failed and nobody could be told: the invocation should fail (on-failure destination). */
export function untold(outcome: WorkerOutcome): string | null {
  // "busy" untold: another executor has the request and reports its outcome itself.
  if ("told" in outcome && !outcome.told && outcome.status !== "busy") return outcome.error;
  return null;
}

/** `/dvol requests`: the open requests and the last decided, posted in the channel. */
async function runRequestList(
  cmd: CommandOf<"requests">,
  job: CommandJob | OpenRequestJob,
  ctx: RunContext,
  deps: WorkerDeps,
): Promise<JobOutcome> {
  const log = deps.logger ?? console;
  const now = deps.now ?? (() => new Date());
  const tell = makeTell(deps, job.responseUrl);
  let result: RequestsResult;
  try {
    const store = await deps.store();
    // Listing expires the pending requests past their expiry: their parent messages follow.
    const due = (await store.listRequests({ statuses: ["pending"] })).filter((r) => isExpired(r, now()));
    result = await runCommand(cmd, ctx);
    for (const r of due) {
      const after = await store.getRequest(r.id);
      if (after?.status === "expired") await showState(deps, after, null, now());
    }
  } catch (err) {
    log.error(`dvol: ${job.text}: ${describeError(err)}`, errorFields(err));
    return { status: "failed", error: describeError(err), told: await tell(renderError(err)) };
  }
  const msg = withAttribution(renderRequestList(result, COMMAND_TABLE.requests.text(result)), job);
  try {
    const posted = await deps.slack.post(job.channel, msg);
    return { status: "posted", posted, result };
  } catch (err) {
    const { error, why } = postFailure(err, job.channel, "the list", log);
    return { status: "failed", error, told: await tell(plain(`:warning: ${why}`)) };
  }
}

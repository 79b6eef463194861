/**
 * The worker: a job is "run this command for this person and deliver it there". Its tables: one
 * by job kind (JOBS: a command, a request to open, a click on Approve or Reject, a report's cleanup
 * click) and the worker's side of the command table (DELIVERY: a read posted by its command's
 * Slack rendering, rm and prune opened as requests (open-request.ts), requests listed, the report
 * posted); every command runs through the command table (src/commands/table.ts), parsed once.
 * Clicks on Approve or Reject are decide.ts's.
 *
 * Only types from src/docker: the connection factory is passed in.
 */
import { type Actor, type GroupResolver, mayDo } from "../approvals/policy.js";
import { isExpired } from "../approvals/requests.js";
import type { BackupStore } from "../backup/store.js";
import { plain } from "../blocks/blocks.js";
import type { SlackMessage } from "../blocks/message.js";
import { cached } from "../cached.js";
import { renderBackupSlack } from "../commands/backup/slack.js";
import { renderBackupsSlack } from "../commands/backups/slack.js";
import { renderRequestOutcome } from "../commands/delete/slack-outcome.js";
import type { RunContext } from "../commands/entry.js";
import { renderHelpSlack } from "../commands/help/slack.js";
import { renderHostsSlack } from "../commands/hosts/slack.js";
import { renderInfoSlack } from "../commands/info/slack.js";
import { renderInspectSlack } from "../commands/inspect/slack.js";
import { type CommandName, type CommandOf, parseCommand } from "../commands/parse.js";
import type { RequestsResult } from "../commands/requests/run.js";
import { renderRequestList } from "../commands/requests/slack.js";
import { renderRestoreSlack } from "../commands/restore/slack.js";
import type { ResultOf } from "../commands/results.js";
import { COMMAND_TABLE, runCommand } from "../commands/table.js";
import type { Config } from "../config/types.js";
import { describeError, StoreError } from "../errors.js";
import { errorFields } from "../log.js";
import type { SizesSetting } from "../sizes/view.js";
import { renderError } from "../slack/render-error.js";
import { accessOf } from "../slack/routes.js";
import type { Store } from "../store/store.js";
import { backupBudgetMs, deadlineStop } from "./deadline.js";
import { type ApproveOrRejectJob, type DecideOutcome, runContinue, runDecide } from "./decide.js";
import { deliverFreshLs } from "./fresh-ls.js";
import type { CleanupJob, CommandJob, DecideJob, Job, JobOf, OpenRequestJob } from "./job.js";
import { type OpenOutcome, openRequestFor } from "./open-request.js";
import { type CleanupOutcome, onePerReportAndHost } from "./report-cleanup.js";
import {
  failedJob,
  groupResolver,
  inThread,
  makeTell,
  type RequestJobDeps,
  refuseMisdirected,
  showState,
} from "./request-common.js";
import { type RestoreOutcome, runRestoreClick } from "./restore-click.js";
import {
  deliverRead,
  type JobOutcome,
  postFailure,
  type ReadName,
  type RunJobDeps,
  withAttribution,
} from "./run-job.js";
import { LIST_TTL_MS, loadReportList, runReportJob } from "./run-report.js";

/** `/dvol rm|prune …` accepted by the handler: run through the worker's table (runCommandJob). */
export function runOpenRequest(job: OpenRequestJob, deps: RequestJobDeps): Promise<WorkerOutcome> {
  return runCommandJob(job, deps);
}

export type WorkerOutcome = JobOutcome | OpenOutcome | DecideOutcome | CleanupOutcome | RestoreOutcome;
export type WorkerDeps = RunJobDeps &
  RequestJobDeps &
  BackupDeps & {
    /** How sizes are measured here (issue 12): the function's keeper, settled by the handler. */
    sizes?: SizesSetting;
  };

/** What backup, backups and restore need in the worker (absent: they say no store is set up). */
export interface BackupDeps {
  /** The store of backups for a config (openBackupStore: the bucket on AWS). */
  backups?: (config: Config) => Promise<BackupStore>;
  /** Kept in each manifest. */
  dvolVersion?: string;
}

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
  ls: (cmd, job, config, ctx, deps) => deliverFreshLs(cmd, job, config, ctx, deps),
  inspect: postRead(renderInspectSlack),
  rm: openRequestFor,
  prune: openRequestFor,
  requests: (cmd, job, _config, ctx, deps) => runRequestList(cmd, job, ctx, deps),
  report: (cmd, job, _config, ctx, deps) => runReportJob(cmd, job, ctx, deps),
  backup: postRead(renderBackupSlack),
  backups: postRead(renderBackupsSlack),
  restore: postRead(renderRestoreSlack),
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
function workerContext(
  config: Config,
  actor: Actor,
  resolveGroup: GroupResolver,
  deps: WorkerDeps,
): RunContext {
  const now = deps.now ?? (() => new Date());
  const connect = deps.connect(config);
  const backups = deps.backups;
  return {
    context: async () => ({ config, connect, now }),
    store: deps.store,
    ...(deps.sizes ? { sizes: deps.sizes } : {}),
    ...(backups
      ? {
          backup: {
            store: cached(() => backups(config)),
            dvolVersion: deps.dvolVersion ?? "unknown",
            // On Lambda, a backup or restore must fit in the invocation's time left.
            ...(deps.invocation ? { remainingMs: deps.invocation.remainingMs } : {}),
          },
        }
      : {}),
    deletion: {
      mode: "request",
      actor,
      resolveGroup,
      ...(deps.invocation ? { stopRequested: deadlineStop(deps.invocation, config, false) } : {}),
      // On Lambda a backup before deletion must fit in one invocation; locally there is no deadline.
      ...(deps.invocation ? { backupTimeMs: backupBudgetMs(config) } : {}),
    },
  };
}

/**
 * A typed command (a read, rm or prune, requests, report): parsed once, allowed by the policy
 * (the handler decided what user IDs and "*" tell; user groups are looked up here), delivered by
 * its entry. A refusal is told to the person who typed it, and nothing runs.
 */
/** Wraps a command's delivery once the policy allowed it (a report's cleanup: one request per report and host). */
type AroundDelivery = (deliverIt: () => Promise<WorkerOutcome>) => Promise<WorkerOutcome>;

async function runCommandJob(
  job: CommandJob | OpenRequestJob,
  deps: WorkerDeps,
  around?: AroundDelivery,
): Promise<WorkerOutcome> {
  let config: Config;
  let cmd: CommandOf;
  try {
    config = await deps.config();
    cmd = parseCommand(job.words);
  } catch (err) {
    return failedJob(err, job, deps);
  }
  const actor: Actor = { user: job.user, channel: job.channel };
  const resolveGroup = groupResolver(deps.slack);
  const allowed = await mayDo(config.access, accessOf(cmd.name), actor, resolveGroup);
  if (!allowed.ok) {
    (deps.logger ?? console).info(`dvol: ${job.text}: refused (${allowed.reason}) for ${job.user}`);
    return {
      status: "refused",
      error: allowed.message,
      told: await makeTell(deps, job.responseUrl)(plain(`:no_entry: ${allowed.message}\n${allowed.hint}`)),
    };
  }
  const deliverIt = () => deliver(cmd, job, config, workerContext(config, actor, resolveGroup, deps), deps);
  return around ? around(deliverIt) : deliverIt();
}

/** The jobs the handler hands over, by kind: a command, a request to open, a click. */
const JOBS: { [K in Job["kind"]]: (job: JobOf<K>, deps: WorkerDeps) => Promise<WorkerOutcome> } = {
  command: runCommandJob,
  "open-request": runCommandJob,
  decide: (job, deps) => (isApproveOrReject(job) ? runDecide(job, deps) : runLifeClick(job, deps)),
  continue: runContinue,
  cleanup: runReportCleanup,
  restore: runRestoreClick,
};

const isApproveOrReject = (job: DecideJob): job is ApproveOrRejectJob =>
  job.action === "approve" || job.action === "reject";

/**
 * A click on Resume or Cancel under a paused request: once the click is shown to belong to the
 * request (its channel and thread), the same as typing `/dvol requests resume|cancel DR-…` there.
 */
async function runLifeClick(job: DecideJob, deps: WorkerDeps): Promise<WorkerOutcome> {
  try {
    const misdirected = await refuseMisdirected(job, await deps.store(), deps);
    if (misdirected) return { status: "refused", error: misdirected.error, told: misdirected.told };
  } catch (err) {
    return failedJob(err, job, deps);
  }
  const { requestId, action, user, channel, responseUrl, acceptedAt } = job;
  return runCommandJob(
    {
      kind: "command",
      words: ["requests", action, requestId],
      text: `requests ${action} ${requestId}`,
      channel,
      user,
      responseUrl,
      acceptedAt,
    },
    deps,
  );
}

/** Whether an event names a job kind the worker runs (anything else is not a job of dvol's). */
export function isJobKind(kind: unknown): kind is Job["kind"] {
  return typeof kind === "string" && Object.hasOwn(JOBS, kind);
}

function runKind<K extends Job["kind"]>(job: JobOf<K>, deps: WorkerDeps): Promise<WorkerOutcome> {
  return JOBS[job.kind](job, deps);
}

/** Runs any job the handler hands over: a command, a request to open, a decision, a cleanup. */
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
async function runReportCleanup(job: CleanupJob, deps: WorkerDeps): Promise<WorkerOutcome> {
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
  // One open request per report and host, checked once the clicker may request (report-cleanup.ts).
  const { reportList: _, ...rest } = job;
  const click = { reportId: list.id, host: saved.host, text: job.text, responseUrl: job.responseUrl };
  return runCommandJob(
    {
      ...rest,
      kind: "open-request",
      words: ["rm", saved.host, ...saved.names],
      text: `rm ${saved.host} (${saved.names.length} dangling volumes of report ${list.id})`,
    },
    deps,
    (deliverIt) =>
      onePerReportAndHost(deps, click, LIST_TTL_MS, deliverIt, (o) =>
        o.status === "opened" && "request" in o ? o.request.id : null,
      ),
  );
}

/** True when the job failed and nobody could be told: the invocation should fail (on-failure destination). */
export function untold(outcome: WorkerOutcome): string | null {
  // "busy" untold: another executor has the request and reports its outcome itself.
  if ("told" in outcome && !outcome.told && outcome.status !== "busy") {
    return "error" in outcome ? outcome.error : `${outcome.status}, untold`;
  }
  return null;
}

/**
 * `/dvol requests resume|cancel DR-…`: the policy decides (an approver resumes; the requester or an
 * approver cancels). The thread and the parent message say what happened; the person who typed it
 * is told (ephemeral), and a refusal changes nothing.
 */
async function runRequestChange(
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
    result = await runCommand(cmd, ctx);
  } catch (err) {
    log.error(`dvol: ${job.text}: ${describeError(err)}`, errorFields(err));
    return { status: "failed", error: describeError(err), told: await tell(renderError(err)) };
  }
  const change = result.change;
  if (change === null) return { status: "failed", error: "no change", told: false };
  if (!change.changed) {
    log.info(`dvol: ${job.text}: refused for ${job.user}: ${change.message}`);
    const why = `:no_entry: ${change.message}${change.hint ? `\n${change.hint}` : ""}`;
    return { status: "refused", error: change.message, told: await tell(plain(why)) };
  }
  const r = change.request;
  if (r !== null) {
    const line =
      r.status === "cancelled"
        ? plain(`:no_entry_sign: ${change.message} Cancelled by <@${job.user}>.`)
        : renderRequestOutcome(r);
    await inThread(deps, r, line);
    await showState(deps, r, null, now());
  }
  return { status: "changed", told: await tell(plain(change.message)), result };
}

/** `/dvol requests`: the open requests and the last decided, posted in the channel. */
async function runRequestList(
  cmd: CommandOf<"requests">,
  job: CommandJob | OpenRequestJob,
  ctx: RunContext,
  deps: WorkerDeps,
): Promise<JobOutcome> {
  if (cmd.action !== null) return runRequestChange(cmd, job, ctx, deps);
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

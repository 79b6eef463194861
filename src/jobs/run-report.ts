/**
 * The dangling report in Slack: `/dvol report [target]` (a CommandJob, posted in the channel where
 * it was typed) and the daily report (posted in `report.channel`, once per date: see
 * postDailyReport for the claim on `report#<date>`, the record `report-posted#<date>` and retries).
 */

import { randomBytes } from "node:crypto";
import { MAX_RM_VOLUMES } from "../approvals/commands.js";
import { plain } from "../blocks/blocks.js";
import type { RunContext } from "../commands/entry.js";
import type { CommandOf } from "../commands/parse.js";
import { renderReportSlack } from "../commands/report/slack.js";
import { runCommand } from "../commands/table.js";
import type { Config } from "../config/types.js";
import type { ConnectionFactory } from "../docker/connection.js";
import { describeError, ReportInProgressError, ReportNotPostedError } from "../errors.js";
import { errorFields, type Logger } from "../log.js";
import type { MetricsSink } from "../metrics.js";
import { type ReportResult, rememberReported, reportDate, runReport } from "../report/dangling.js";
import { SizeKeeper } from "../sizes/keeper.js";
import { type PostedMessage, type SlackOutbox, slackErrorCode } from "../slack/post.js";
import { renderError } from "../slack/render-error.js";
import type { Store } from "../store/store.js";
import type { CommandJob } from "./job.js";
import { type JobOutcome, postFailure, tellPerson, withAttribution } from "./run-job.js";

/** How long a report's lists stay behind its "Request cleanup" buttons. */
export const LIST_TTL_MS = 7 * 86_400_000;

export function reportListKey(id: string, index: number): string {
  return `report-list|${id}|${index}`;
}

/**
 * Keeps, under a new report id, the names each host's "Request cleanup" button stands for: the
 * host's dangling volumes as reported, largest first, at most an rm request's worth.
 */
export async function saveReportLists(store: Store, r: ReportResult, now: Date): Promise<string> {
  const id = `RP-${randomBytes(6).toString("hex").toUpperCase()}`;
  const until = new Date(now.getTime() + LIST_TTL_MS).toISOString();
  for (const [i, h] of r.hosts.entries()) {
    if (!h.ok || h.volumes.length === 0) continue;
    const names = h.volumes.slice(0, MAX_RM_VOLUMES).map((v) => v.name);
    await store.putMemo(reportListKey(id, i), JSON.stringify({ date: r.date, host: h.host, names }), until);
  }
  return id;
}

/** The names a report's button stands for, or null when the list is gone (expired) or unknown. */
export async function loadReportList(
  store: Store,
  id: string,
  index: number,
): Promise<{ date: string; host: string; names: string[] } | null> {
  const v = await store.getMemo(reportListKey(id, index));
  if (v === null) return null;
  // Written by postDailyReport; read back as what it is (a memo changed by hand is "gone").
  const parsed: unknown = JSON.parse(v);
  if (typeof parsed !== "object" || parsed === null || !("host" in parsed) || !("names" in parsed))
    return null;
  const { host, names } = parsed;
  const date = "date" in parsed ? parsed.date : undefined;
  if (typeof host !== "string" || !Array.isArray(names)) return null;
  if (!names.every((n): n is string => typeof n === "string")) return null;
  return { date: typeof date === "string" ? date : "", host, names };
}

export interface ReportJobDeps {
  config: () => Promise<Config>;
  connect: (config: Config) => ConnectionFactory;
  slack: SlackOutbox;
  store: () => Promise<Store>;
  now?: () => Date;
  logger?: Logger;
}

/** `/dvol report [target]`: the report posted in the channel where it was typed. */
export async function runReportJob(
  cmd: CommandOf<"report">,
  job: Pick<CommandJob, "user" | "text" | "channel" | "responseUrl">,
  ctx: RunContext,
  deps: ReportJobDeps,
): Promise<JobOutcome> {
  const log = deps.logger ?? console;
  const now = deps.now ?? (() => new Date());
  const tell = tellPerson(job, deps.slack, log);
  let result: ReportResult;
  let reportId: string;
  try {
    result = await runCommand(cmd, ctx);
    reportId = await saveReportLists(await deps.store(), result, now());
  } catch (err) {
    log.error(`dvol: ${job.text}: ${describeError(err)}`, errorFields(err));
    return { status: "failed", error: describeError(err), told: await tell(renderError(err)) };
  }
  const msg = withAttribution(renderReportSlack(result, { reportId }), job);
  try {
    const posted = await deps.slack.post(job.channel, msg);
    return { status: "posted", posted, result };
  } catch (err) {
    const { error, why } = postFailure(err, job.channel, "the report", log);
    return { status: "failed", error, told: await tell(plain(`:warning: ${why}`)) };
  }
}

export type DailyReportOutcome =
  | {
      status: "posted";
      date: string;
      posted: PostedMessage;
      result: ReportResult;
      /**
       * Whether the post was recorded (`report-posted#<date>`). False when the store failed right
       * after the post: the invocation still succeeds (so Lambda does not retry and post again),
       * and the claim on the date keeps other invocations off until it expires.
       */
      recorded: boolean;
    }
  /** This date's report was posted by an earlier invocation. */
  | { status: "already-posted"; date: string }
  /** No `report.channel` in the config. */
  | { status: "no-channel"; date: string };

export interface DailyReportDeps extends ReportJobDeps {
  /** Where DailyReportPosted is emitted (src/metrics.ts); nothing is emitted when absent. */
  metrics?: MetricsSink;
  /**
   * How many ms this invocation has left (Lambda's `context.getRemainingTimeInMillis`): the claim
   * on the date lasts that long (plus a margin), so it ends when its holder can no longer run.
   * Default: POSTING_LEASE_MS.
   */
  remainingMs?: () => number;
  /** The keeper of size measurements (tests count what it asked of the engines). */
  sizeKeeper?: SizeKeeper;
}

/**
 * What the report keeps of its invocation's time after the measurements of sizes: to make the
 * report, record and post it (config's REPORT_MARGIN_SECONDS is the same two minutes).
 */
export const REPORT_AFTER_SIZES_MS = 120_000;

/** How long the record that a date's report was posted is kept: past any retry of that date. */
const POSTED_DAYS = 7;
/**
 * How long one invocation holds a date while it posts, when its deadline is unknown (`npm start`):
 * the report function's timeout (serverless.yml: 120 s). With a deadline, the claim lasts until
 * the deadline plus CLAIM_MARGIN_MS.
 */
export const POSTING_LEASE_MS = 2 * 60_000;
/** Past the deadline, for clocks that differ a little between Lambda hosts. */
export const CLAIM_MARGIN_MS = 5_000;

export function reportClaimKey(date: string): string {
  return `report#${date}`;
}

export function reportPostedKey(date: string): string {
  return `report-posted#${date}`;
}

/**
 * The daily report in `report.channel`, once per date (SPEC §5), for Lambda's asynchronous
 * invocation (at most two retries, about 1 and then 2 minutes after a failure):
 *
 * 1. A date recorded as posted: "already-posted" (success: nothing to retry).
 * 2. The report is made (hosts asked), then the date is claimed until this invocation's deadline.
 *    A date claimed by another invocation that has not recorded it as posted: ReportInProgressError,
 *    so that Lambda retries this one later, by when it is posted or free. A claim never turns a
 *    retry into a silent success.
 * 3. Posted: recorded as posted at once, then DailyReportPosted is emitted. A failed post (or a
 *    failure before it) releases the claim and fails the invocation (ReportNotPostedError), so the
 *    retry posts it; after the last retry the event goes to the failure destination and, with no
 *    DailyReportPosted, the missing-report alarm fires.
 *
 * Posted twice? Only when the invocation dies between Slack's answer and the record's write (a
 * single store write): its claim expires at its deadline and a retry posts again. A post that
 * Slack took but whose answer was lost (a timeout) is also retried, by the poster and by Lambda:
 * dvol prefers a report posted twice to a report lost. A record that cannot be written after a
 * post is logged and the invocation succeeds (the claim keeps others off until it expires).
 */
export async function postDailyReport(deps: DailyReportDeps): Promise<DailyReportOutcome> {
  const log = deps.logger ?? console;
  const now = deps.now ?? (() => new Date());
  const at = now();
  const date = reportDate(at);
  const config = await deps.config();
  const channel = config.report.channel;
  if (!channel) {
    log.warn("dvol: report: no report.channel in the config: nothing posted");
    return { status: "no-channel", date };
  }
  const store = await deps.store();
  const postedKey = reportPostedKey(date);
  const claimKey = reportClaimKey(date);
  const already = () => {
    log.info(`dvol: report: the report of ${date} was already posted`);
    return { status: "already-posted", date } as const;
  };
  if (await store.getMemo(postedKey)) return already();
  // Each host's sizes are measured first, with the long deadline, within this invocation's time.
  const left = deps.remainingMs?.();
  const waitMs =
    left === undefined || !Number.isFinite(left) ? undefined : Math.max(0, left - REPORT_AFTER_SIZES_MS);
  const result = await runReport(null, {
    config,
    connect: deps.connect(config),
    now: () => at,
    store,
    sizes: {
      keeper: deps.sizeKeeper ?? new SizeKeeper(),
      store: async () => store,
      policy: { fresh: true, ...(waitMs === undefined ? {} : { waitMs }) },
    },
  });

  const claimedAt = now();
  const lease = new Date(claimedAt.getTime() + leaseMs(deps.remainingMs)).toISOString();
  if (!(await store.claim(claimKey, lease, claimedAt.toISOString()))) {
    if (await store.getMemo(postedKey)) return already();
    const busy = new ReportInProgressError(date);
    log.warn(`dvol: report: ${busy.message}: this invocation fails, so that Lambda retries it`);
    throw busy;
  }
  // The date is ours. Until Slack has the message, any failure gives it up so that a retry posts.
  const release = async () => {
    try {
      await store.releaseClaim(claimKey, lease);
    } catch (err) {
      log.error(
        `dvol: report: could not release the claim on ${date} (${describeError(err)}): it expires at ${lease}; a retry after that posts the report`,
        errorFields(err),
      );
    }
  };
  let reportId: string;
  try {
    // Posted (and recorded) between the first look and the claim, by an invocation whose claim expired.
    if (await store.getMemo(postedKey)) {
      await release();
      return already();
    }
    reportId = await saveReportLists(store, result, now());
  } catch (err) {
    await release();
    throw err;
  }
  let posted: PostedMessage;
  try {
    posted = await deps.slack.post(channel, renderReportSlack(result, { reportId }));
  } catch (err) {
    await release();
    const failure = new ReportNotPostedError(date, channel, slackErrorCode(err), { cause: err });
    log.error(`dvol: report: ${describeError(failure)}`, errorFields(failure));
    throw failure;
  }
  // Posted: the claim is kept (it expires), and the post is recorded at once; then the sizes it
  // showed are kept for the next report's growth.
  const keep = new Date(Date.parse(`${date}T00:00:00Z`) + POSTED_DAYS * 86_400_000).toISOString();
  let recorded = true;
  try {
    await store.putMemo(postedKey, posted.ts, keep);
  } catch (err) {
    recorded = false;
    log.error(
      `dvol: report: the report of ${date} was posted (${channel} ${posted.ts}) but could not be recorded as posted: ${describeError(err)}. Another invocation for ${date} after ${lease} would post it again.`,
      errorFields(err),
    );
  }
  try {
    await rememberReported(store, result);
  } catch (err) {
    log.error(
      `dvol: report: the sizes of the report of ${date} could not be kept: ${describeError(err)}; the next report shows no growth`,
      errorFields(err),
    );
  }
  try {
    deps.metrics?.count("DailyReportPosted", 1);
  } catch (err) {
    log.error(`dvol: report: could not emit DailyReportPosted: ${describeError(err)}`, errorFields(err));
  }
  log.info(`dvol: report: the report of ${date} was posted in ${channel} (${posted.ts})`);
  return { status: "posted", date, posted, result, recorded };
}

function leaseMs(remainingMs: (() => number) | undefined): number {
  const left = remainingMs?.();
  if (left === undefined || !Number.isFinite(left)) return POSTING_LEASE_MS;
  return Math.max(0, left) + CLAIM_MARGIN_MS;
}

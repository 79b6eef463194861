/**
 * The dangling report in Slack: `/dvol report [target]` (a CommandJob, posted in the channel where
 * it was typed) and the daily report (posted in `report.channel`, once per date: a claim on
 * `report#<date>` is taken before posting, so a retried or repeated schedule posts nothing new).
 */

import { randomBytes } from "node:crypto";
import { MAX_RM_VOLUMES } from "../approvals/plan.js";
import { parseCommand } from "../commands/parse.js";
import type { CommandResult } from "../commands/run.js";
import type { Config } from "../config/types.js";
import type { ConnectionFactory } from "../docker/connection.js";
import { describeError } from "../errors.js";
import { type ReportResult, reportDate, runReport } from "../report/dangling.js";
import type { PostedMessage, SlackOutbox } from "../slack/post.js";
import { renderError } from "../slack/render-error.js";
import { renderReportSlack } from "../slack/render-report.js";
import { plain } from "../slack/replies.js";
import type { Store } from "../store/store.js";
import type { CommandJob } from "./job.js";
import { type JobOutcome, postFailure, tellPerson, withAttribution } from "./run-job.js";

/** How long a report's lists stay behind its "Request cleanup" buttons. */
const LIST_TTL_MS = 7 * 86_400_000;

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
  const parsed = JSON.parse(v) as { date: string; host: string; names: string[] };
  return Array.isArray(parsed.names) && typeof parsed.host === "string" ? parsed : null;
}

export interface ReportJobDeps {
  config: () => Promise<Config>;
  connect: (config: Config) => ConnectionFactory;
  slack: SlackOutbox;
  store: () => Promise<Store>;
  now?: () => Date;
  logger?: Pick<Console, "info" | "warn" | "error">;
}

/** `/dvol report [target]`: the report posted in the channel where it was typed. */
export async function runReportJob(job: CommandJob, deps: ReportJobDeps): Promise<JobOutcome> {
  const log = deps.logger ?? console;
  const now = deps.now ?? (() => new Date());
  const tell = tellPerson(job, deps.slack, log);
  let result: ReportResult;
  let reportId: string;
  try {
    const cmd = parseCommand(job.words);
    if (cmd.name !== "report") throw new Error(`not a report command: ${cmd.name}`);
    const config = await deps.config();
    const store = await deps.store();
    result = await runReport(cmd.target, { config, connect: deps.connect(config), now, store });
    reportId = await saveReportLists(store, result, now());
  } catch (err) {
    log.error(`dvol: ${job.text}: ${describeError(err)}`);
    return { status: "failed", error: describeError(err), told: await tell(renderError(err)) };
  }
  const msg = withAttribution(renderReportSlack(result, { reportId }), job);
  try {
    const posted = await deps.slack.post(job.channel, msg);
    // The read commands' result type does not include `report`: this outcome carries none.
    return { status: "posted", posted, result: null as unknown as CommandResult };
  } catch (err) {
    const { error, why } = postFailure(err, job.channel, "the report", log);
    return { status: "failed", error, told: await tell(plain(`:warning: ${why}`)) };
  }
}

export type DailyReportOutcome =
  | { status: "posted"; date: string; posted: PostedMessage; result: ReportResult }
  /** This date's report was posted (or is being posted) by an earlier invocation. */
  | { status: "already-posted"; date: string }
  /** No `report.channel` in the config. */
  | { status: "no-channel"; date: string };

/** How long the record that a date's report was posted is kept: past any retry of that date. */
const POSTED_DAYS = 7;
/**
 * How long one invocation holds a date while it posts. A failed post is thrown (the invocation
 * fails and is logged); Lambda retries an async invocation after 1 and then 3 minutes, so the
 * first retry finds the date still held and the second posts: the day's report is not lost.
 */
export const POSTING_LEASE_MS = 2 * 60_000;

/**
 * The daily report in `report.channel`, once per date: a date already posted is skipped; else
 * the date is claimed for a short lease (so concurrent or repeated invocations post nothing),
 * the report is posted, and the date is recorded as posted.
 */
export async function postDailyReport(deps: ReportJobDeps): Promise<DailyReportOutcome> {
  const now = deps.now ?? (() => new Date());
  const at = now();
  const date = reportDate(at);
  const config = await deps.config();
  const channel = config.report.channel;
  if (!channel) {
    (deps.logger ?? console).warn("dvol: report: no report.channel in the config: nothing posted");
    return { status: "no-channel", date };
  }
  const store = await deps.store();
  const already = () => {
    (deps.logger ?? console).info(
      `dvol: report: the report of ${date} was already posted (or is being posted)`,
    );
    return { status: "already-posted", date } as const;
  };
  if (await store.getMemo(`report-posted#${date}`)) return already();
  const result = await runReport(null, { config, connect: deps.connect(config), now: () => at, store });
  const lease = new Date(now().getTime() + POSTING_LEASE_MS).toISOString();
  if (!(await store.claim(`report#${date}`, lease, now().toISOString()))) return already();
  if (await store.getMemo(`report-posted#${date}`)) return already();
  const reportId = await saveReportLists(store, result, now());
  const posted = await deps.slack.post(channel, renderReportSlack(result, { reportId }));
  const keep = new Date(Date.parse(`${date}T00:00:00Z`) + POSTED_DAYS * 86_400_000).toISOString();
  await store.putMemo(`report-posted#${date}`, posted.ts, keep);
  return { status: "posted", date, posted, result };
}

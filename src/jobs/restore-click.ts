/**
 * A click on a Restore button under a deletion's outcome (RestoreJob, README "Deleting volumes"):
 * once the click is shown to belong to the request (its channel and thread) and the person who
 * clicked is a requester (the policy's restore decision), the request's backup of a deleted volume
 * is restored (src/backup/restore.ts) under the volume's name while that name is free, and the
 * outcome is posted in the thread.
 *
 * Double clicks, Slack and Lambda retries restore at most once: a done restore is remembered in
 * the store (a memo per backup: who, when, which volume), and a restore in progress holds a claim
 * on the backup. A second click is told "restored already" (or "being restored"), ephemeral. The
 * engine alone could not tell: a volume under the same name may be another one made since. A
 * restore that fails releases its claim, so a later click (once the name is free) tries again.
 *
 * Only types from src/docker: the connection factory is passed in.
 */
import { type Actor, mayRestore } from "../approvals/policy.js";
import { audit, auditSeq } from "../approvals/requests.js";
import { restoreBackup } from "../backup/restore.js";
import { plain } from "../blocks/blocks.js";
import { renderUnknownRequest } from "../commands/delete/slack-replies.js";
import {
  type RestoreRecord,
  renderAlreadyRestored,
  renderNotItsBackup,
  renderRestoreBusy,
  renderRestored,
  renderRestoreFailed,
} from "../commands/delete/slack-restore.js";
import { resolveHost } from "../config/targets.js";
import type { Config } from "../config/types.js";
import { WORKER_MARGIN_SECONDS } from "../config/validate.js";
import { DvolError, describeError } from "../errors.js";
import { errorFields } from "../log.js";
import type { Store } from "../store/store.js";
import type { RestoreJob } from "./job.js";
import {
  failedJob,
  groupResolver,
  inThread,
  makeTell,
  type RequestJobDeps,
  refuseMisdirected,
} from "./request-common.js";

export type RestoreOutcome =
  | { status: "restored"; volume: string; backupId: string }
  /** Nothing was restored; the person who clicked (or the thread) was told why when `told`. */
  | {
      status: "refused" | "done-already" | "busy" | "not-found" | "failed";
      error: string;
      told: boolean;
    };

/** How long a restore in progress holds its backup (a crashed worker's claim lapses after it). */
const RESTORE_CLAIM_MS = 15 * 60_000;

const restoredKey = (backupId: string) => `restored#${backupId}`;
const claimKey = (backupId: string) => `restore#${backupId}`;

async function restoredAlready(store: Store, backupId: string): Promise<RestoreRecord | null> {
  const v = await store.getMemo(restoredKey(backupId));
  return v === null ? null : (JSON.parse(v) as RestoreRecord);
}

export async function runRestoreClick(job: RestoreJob, deps: RequestJobDeps): Promise<RestoreOutcome> {
  const log = deps.logger ?? console;
  const now = deps.now ?? (() => new Date());
  const tell = makeTell(deps, job.responseUrl);
  const nothing = async (
    status: Exclude<RestoreOutcome["status"], "restored">,
    error: string,
    msg: Parameters<typeof tell>[0],
  ): Promise<RestoreOutcome> => ({ status, error, told: await tell(msg) });

  let config: Config;
  let store: Store;
  try {
    config = await deps.config();
    store = await deps.store();
  } catch (err) {
    return failedJob(err, job, deps);
  }
  const r = await store.getRequest(job.requestId);
  if (!r) return nothing("not-found", "no such request", renderUnknownRequest(job.requestId));
  const misdirected = await refuseMisdirected({ ...job, action: "restore" }, store, deps);
  if (misdirected) return { status: "refused", error: misdirected.error, told: misdirected.told };
  const actor: Actor = { user: job.user, channel: job.channel };
  const refusal = async (message: string, hint: string, reason: string): Promise<RestoreOutcome> => {
    log.info(`dvol: ${job.text}: refused for ${job.user}: ${message}`);
    await audit(store, r, now(), auditSeq(r.version, 900), job.user, "refused", {
      tried: "restore",
      backupId: job.backupId,
      reason,
    });
    return nothing("refused", message, plain(`:no_entry: ${message}\n${hint}`));
  };
  if (r.channel !== job.channel) {
    return refusal(
      `This Restore button belongs to ${r.id}, in another channel.`,
      "Nothing was restored; use the button in the request's own thread.",
      "channel",
    );
  }
  const allowed = await mayRestore(config.access, actor, groupResolver(deps.slack));
  if (!allowed.ok) return refusal(allowed.message, allowed.hint, allowed.reason);
  const deleted = r.outcomes.find((o) => o.result === "deleted" && o.backupId === job.backupId);
  if (!deleted) {
    return nothing("not-found", "not this request's backup", renderNotItsBackup(r.id, job.backupId));
  }

  // At most once: done already (remembered), or being done (claimed)?
  const done = await restoredAlready(store, job.backupId);
  if (done) return nothing("done-already", "restored already", renderAlreadyRestored(job.backupId, done));
  const claimUntil = new Date(now().getTime() + RESTORE_CLAIM_MS).toISOString();
  if (!(await store.claim(claimKey(job.backupId), claimUntil, now().toISOString()))) {
    const finished = await restoredAlready(store, job.backupId);
    if (finished) {
      return nothing("done-already", "restored already", renderAlreadyRestored(job.backupId, finished));
    }
    return nothing("busy", "being restored", renderRestoreBusy(job.backupId));
  }

  const base = { host: r.host, backupId: job.backupId, volume: deleted.name, user: job.user };
  // On Lambda the restore stops before the invocation does (the half-made volume is removed).
  const budget = new AbortController();
  const timer = deps.invocation
    ? setTimeout(
        () => budget.abort(new Error("the worker's time limit is near")),
        Math.max(1000, deps.invocation.remainingMs() - WORKER_MARGIN_SECONDS * 1000),
      )
    : null;
  try {
    if (!deps.backups) throw new Error("this worker has no store of backups");
    const result = await restoreBackup(job.backupId, null, {
      host: resolveHost(config, r.host),
      connect: deps.connect(config),
      store: await deps.backups(config),
      now,
      who: job.user,
      dvolVersion: deps.dvolVersion ?? "unknown",
      signal: budget.signal,
    });
    const record: RestoreRecord = { volume: result.volume, by: job.user, at: now().toISOString() };
    await store.putMemo(restoredKey(job.backupId), JSON.stringify(record), result.backup.expiresAt);
    await audit(store, r, now(), auditSeq(r.version, 910), job.user, "restored", {
      result: "restored",
      backupId: job.backupId,
      volume: result.volume,
      entries: result.entries,
      contentBytes: result.contentBytes,
    });
    await inThread(
      deps,
      r,
      renderRestored({
        ...base,
        requestId: r.id,
        entries: result.entries,
        contentBytes: result.contentBytes,
      }),
    );
    return { status: "restored", volume: result.volume, backupId: job.backupId };
  } catch (err) {
    await store.releaseClaim(claimKey(job.backupId), claimUntil).catch(() => {});
    const error = err instanceof DvolError ? err.message : describeError(err);
    log.warn(`dvol: ${job.text}: restore failed: ${error}`, errorFields(err));
    await audit(store, r, now(), auditSeq(r.version, 920), job.user, "restored", {
      result: "failed",
      backupId: job.backupId,
      volume: deleted.name,
      error,
    });
    const nameTaken = /already exists: a restore never writes over a volume/.test(error);
    const timedOut = budget.signal.aborted;
    await inThread(deps, r, renderRestoreFailed({ ...base, error, nameTaken, timedOut }));
    return { status: "failed", error, told: true };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

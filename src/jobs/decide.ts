/**
 * A click on a deletion request's Approve or Reject (DecideJob, SPEC §4): the core decides once
 * (policy, state machine, conditional writes). Whoever may not decide, or clicks a request already
 * decided or expired, is told so, ephemeral, through the click's response_url, and nothing
 * changes. A rejection is said in the thread; an approval runs the execution (at most one DELETE
 * per volume, whatever arrives twice), then the outcome is posted in the thread; the parent
 * message follows every change, and the plan loses its buttons once the request is final. An
 * approve click on a request that is approved but not done (its executor stopped) resumes the
 * execution once the executor's lease has run out.
 *
 * Only types from src/docker: the connection factory is passed in.
 */
import { type ExecutionResult, executeRequest } from "../approvals/execute.js";
import { pauseUnclaimed } from "../approvals/life.js";
import { type Actor, mayResume } from "../approvals/policy.js";
import { approveRequest, progressText, rejectRequest } from "../approvals/requests.js";
import { plain } from "../blocks/blocks.js";
import type { SlackMessage } from "../blocks/message.js";
import { renderRejected, renderRequestOutcome } from "../commands/delete/slack-outcome.js";
import {
  renderAlreadyDecided,
  renderBusy,
  renderRefused,
  renderUnknownRequest,
} from "../commands/delete/slack-replies.js";
import type { Config } from "../config/types.js";
import { describeError } from "../errors.js";
import { errorFields } from "../log.js";
import { renderError } from "../slack/render-error.js";
import type { DeletionRequest } from "../store/records.js";
import type { Store } from "../store/store.js";
import { deadlineStop, MAX_HANDOVERS } from "./deadline.js";
import type { ContinueJob, DecideJob } from "./job.js";
import {
  beforeDeleteBackups,
  groupResolver,
  inThread,
  makeTell,
  type RequestJobDeps,
  refuseMisdirected,
  showState,
} from "./request-common.js";

export type DecideOutcome =
  | { status: "rejected"; request: DeletionRequest }
  | { status: "executed"; request: DeletionRequest }
  /** Stopped before the end, on record and said in the thread (resume or cancel it). */
  | { status: "paused"; request: DeletionRequest }
  /** Near the deadline: handed to a fresh invocation of the worker (`hop` of this execution). */
  | { status: "continued"; request: DeletionRequest; hop: number }
  /** Nothing changed; the person who clicked was told why (ephemeral) when `told`. */
  | {
      status: "refused" | "decided" | "expired" | "not-found" | "busy" | "failed";
      error: string;
      told: boolean;
      request: DeletionRequest | null;
    };

/** A click on Approve or Reject (Resume and Cancel are `requests resume|cancel`, run-request.ts). */
export type ApproveOrRejectJob = DecideJob & { action: "approve" | "reject" };

export async function runDecide(job: ApproveOrRejectJob, deps: RequestJobDeps): Promise<DecideOutcome> {
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
  const misdirected = await refuseMisdirected(job, store, deps);
  if (misdirected) return { status: "refused", ...misdirected };
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
      // (policy: any approver) resumes it; the execution itself makes sure nothing is deleted twice.
      if (job.action === "approve" && (r.status === "approved" || r.status === "executing")) {
        if ((await mayResume(config.access, r, actor, policy.resolveGroup)).ok) {
          return execute(job, deps, config, store, r);
        }
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

/**
 * An execution handed over near the deadline (ContinueJob): claims the request and goes on, told
 * as the click that started it. A request no longer executing (cancelled meanwhile, say) is left.
 */
export async function runContinue(job: ContinueJob, deps: RequestJobDeps): Promise<DecideOutcome> {
  const log = deps.logger ?? console;
  let config: Config;
  let store: Store;
  let request: DeletionRequest | null;
  try {
    config = await deps.config();
    store = await deps.store();
    request = await store.getRequest(job.requestId);
  } catch (err) {
    log.error(`dvol: ${job.text}: ${describeError(err)}`, errorFields(err));
    return { status: "failed", error: describeError(err), told: false, request: null };
  }
  if (!request) return { status: "not-found", error: "no such request", told: true, request: null };
  return execute(job, deps, config, store, request);
}

async function execute(
  job: DecideJob | ContinueJob,
  deps: RequestJobDeps,
  config: Config,
  store: Store,
  request: DeletionRequest,
): Promise<DecideOutcome> {
  const log = deps.logger ?? console;
  const now = deps.now ?? (() => new Date());
  const tell = makeTell(deps, job.responseUrl);
  const hop = job.kind === "continue" ? job.hop : 0;
  const invocation = deps.invocation;
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
        ...(invocation ? { stopRequested: deadlineStop(invocation, config, hop < MAX_HANDOVERS) } : {}),
        ...(deps.backups ? { backups: beforeDeleteBackups(deps, config) } : {}),
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
    case "handed-over": {
      const next: ContinueJob = {
        kind: "continue",
        hop: hop + 1,
        requestId: job.requestId,
        user: job.user,
        channel: job.channel,
        messageTs: job.messageTs,
        threadTs: job.threadTs,
        responseUrl: job.responseUrl,
        text: job.text,
        acceptedAt: job.acceptedAt,
      };
      try {
        if (!invocation) throw new Error("no invocation to hand over to");
        await invocation.continueWith(next);
        log.info(
          `dvol: ${request.id}: handed over to invocation ${next.hop + 1} (${progressText(result.request)})`,
        );
        return { status: "continued", request: result.request, hop: next.hop };
      } catch (err) {
        log.error(`dvol: ${request.id}: could not hand over: ${describeError(err)}`, errorFields(err));
        const paused = await pauseUnclaimed(
          { store, now },
          result.request,
          `the worker neared its time limit and could not hand over (${describeError(err)})`,
        );
        await inThread(deps, paused, renderRequestOutcome(paused));
        await showState(deps, paused, job.messageTs, now());
        return { status: "paused", request: paused };
      }
    }
    case "paused":
      // Stopped before the end (the host went away, a volume failed): on record, and said in the
      // thread and the parent message; an approver resumes it, or it is cancelled.
      log.warn(`dvol: ${request.id}: paused: ${result.request.paused?.reason ?? result.status}`);
      await inThread(deps, result.request, renderRequestOutcome(result.request));
      await showState(deps, result.request, job.messageTs, now());
      return { status: "paused", request: result.request };
    case "lapsed":
    case "not-approved":
      if (job.kind === "continue") {
        // Lapsed on the way, or cancelled meanwhile: said in the thread, not to the one who clicked.
        if (result.status === "lapsed") {
          await inThread(deps, result.request, renderRequestOutcome(result.request));
          await showState(deps, result.request, job.messageTs, now());
        }
        return { status: "decided", error: result.status, told: true, request: result.request };
      }
      return {
        status: "decided",
        error: result.status === "lapsed" ? "lapsed" : "not approved",
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

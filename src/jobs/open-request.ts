/**
 * Opening a deletion request from Slack (`/dvol rm|prune`, SPEC §4): the requester is checked (user
 * groups resolved here, with the bot token), the plan is made on the host by the approvals core,
 * the request is stored, the parent message is posted in the channel and the plan in its thread,
 * and the parent's ts is stored on the request. One request per slash command, however often the
 * job runs (a claim on Slack's trigger_id).
 *
 * Only types from src/docker: the connection factory is passed in.
 */
import { attachMessage, rejectRequest } from "../approvals/requests.js";
import { plain } from "../blocks/blocks.js";
import type { DeletionResult } from "../commands/delete/run.js";
import { renderRequestParent } from "../commands/delete/slack-parent.js";
import { renderRequestPlan } from "../commands/delete/slack-plan.js";
import { renderNothingToDelete } from "../commands/delete/slack-replies.js";
import type { RunContext } from "../commands/entry.js";
import type { CommandOf } from "../commands/parse.js";
import { runCommand } from "../commands/table.js";
import type { Config } from "../config/types.js";
import { describeError, NotAllowedError } from "../errors.js";
import { errorFields, type Logger, withFields } from "../log.js";
import { type PostedMessage, slackErrorCode } from "../slack/post.js";
import { renderError } from "../slack/render-error.js";
import type { DeletionRequest } from "../store/records.js";
import type { Store } from "../store/store.js";
import type { CommandJob, OpenRequestJob } from "./job.js";
import { makeTell, type RequestJobDeps } from "./request-common.js";

export type OpenOutcome =
  | { status: "opened"; request: DeletionRequest; parent: PostedMessage; plan: PostedMessage | null }
  /** Not opened; the person who typed the command was told why (through response_url) when `told`. */
  | { status: "refused" | "nothing-to-delete" | "failed"; error: string; told: boolean }
  /** This command was handled by an earlier run of the same job: nothing done. */
  | { status: "duplicate" };

/** How long a trigger_id is remembered: far longer than Slack and Lambda retry. */
const TRIGGER_CLAIM_MS = 24 * 3_600_000;

/**
 * rm or prune from Slack: the plan made on the host, the request stored and posted. An rm or a
 * prune typed in a command job (no trigger_id) opens a request as well, without the claim.
 */
export async function openRequestFor(
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
  request =
    (await attachMessage({ store, now }, opened.id, { channel: parent.channel, messageTs: parent.ts })) ??
    opened;

  try {
    const planMsg = await deps.slack.postInThread(
      parent.channel,
      parent.ts,
      renderRequestPlan(request, now(), { leftOut: result.leftOut }),
    );
    // Its buttons count only in this message (or this thread): see misdirected() in decide.ts.
    request = (await attachMessage({ store, now }, request.id, { planTs: planMsg.ts })) ?? request;
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

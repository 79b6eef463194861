/**
 * `/dvol ls host1 --fresh` (issue 12): a new measurement of sizes is waited for, so the channel
 * first gets "measuring host1…", and that message is replaced (chat.update) by the result once the
 * measurement is done, or once the worker's time allows no more waiting (then with the remembered
 * sizes and why). A result too long for one message cannot replace it (chat.update attaches no
 * file): it is posted below, and the first message says so.
 */
import { plain } from "../blocks/blocks.js";
import type { SlackMessage } from "../blocks/message.js";
import type { RunContext } from "../commands/entry.js";
import { renderLsSlack } from "../commands/ls/slack.js";
import type { CommandOf } from "../commands/parse.js";
import { runCommand } from "../commands/table.js";
import { resolveTarget } from "../config/targets.js";
import type { Config } from "../config/types.js";
import { describeError } from "../errors.js";
import { errorFields } from "../log.js";
import { renderError } from "../slack/render-error.js";
import type { CommandJob, OpenRequestJob } from "./job.js";
import type { RequestJobDeps } from "./request-common.js";
import { deliverRead, type JobOutcome, postFailure, tellPerson, withAttribution } from "./run-job.js";

/** The first message of a `--fresh`: which hosts are being measured. */
export function measuringMessage(hosts: readonly string[]): SlackMessage {
  const names = hosts.length <= 5 ? hosts.join(", ") : `${hosts.length} hosts`;
  return plain(`:hourglass_flowing_sand: measuring ${names}…`);
}

export async function deliverFreshLs(
  cmd: CommandOf<"ls">,
  job: CommandJob | OpenRequestJob,
  config: Config,
  ctx: RunContext,
  deps: Pick<RequestJobDeps, "slack" | "logger">,
): Promise<JobOutcome> {
  if (!cmd.fresh) return deliverRead(cmd, renderLsSlack, job, ctx, deps);
  const log = deps.logger ?? console;
  const tell = tellPerson(job, deps.slack, log);
  let first: { channel: string; ts: string };
  try {
    const hosts = resolveTarget(config, cmd.target).map((h) => h.name);
    first = await deps.slack.post(job.channel, withAttribution(measuringMessage(hosts), job));
  } catch (err) {
    // Not in the channel (or another refusal): the ordinary delivery tells the person.
    log.warn(`dvol: ${job.text}: could not post "measuring…": ${describeError(err)}`, errorFields(err));
    return deliverRead(cmd, renderLsSlack, job, ctx, deps);
  }
  let result: Awaited<ReturnType<typeof runCommand<"ls">>>;
  try {
    result = await runCommand(cmd, ctx);
  } catch (err) {
    log.error(`dvol: ${job.text}: ${describeError(err)}`, errorFields(err));
    await deps.slack.update(first.channel, first.ts, renderError(err)).catch(() => {});
    return { status: "failed", error: describeError(err), told: await tell(renderError(err)) };
  }
  const msg = withAttribution(renderLsSlack(result), job);
  try {
    if (msg.file) {
      const posted = await deps.slack.post(job.channel, msg);
      await deps.slack.update(
        first.channel,
        first.ts,
        plain("Measured: the result is in the message below."),
      );
      return { status: "posted", posted, result };
    }
    await deps.slack.update(first.channel, first.ts, msg);
    return { status: "posted", posted: { channel: first.channel, ts: first.ts, fileId: null }, result };
  } catch (err) {
    const { error, why } = postFailure(err, job.channel, "the result", log);
    return { status: "not-posted", error, told: await tell(plain(`:warning: ${why}`)), result };
  }
}

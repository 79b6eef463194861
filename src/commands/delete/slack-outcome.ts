/**
 * After a decision, in the request's thread: the outcome of the execution (one line per volume:
 * deleted, skipped and why, failed and the error; then the space freed), or the line of a
 * rejection or an expiry; under a pause, the Resume and Cancel buttons.
 */
import type { ActionsBlock, Button } from "@slack/types";
import { fits, inlineCode, section, sections, textPieces } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { clip, humanSize, num } from "../../format.js";
import type { DeletionRequest, VolumeOutcome } from "../../store/records.js";
import { esc } from "../slack.js";
import { CANCEL_ACTION_ID, RESTORE_ACTION_ID, RESUME_ACTION_ID, restoreValue } from "./slack-actions.js";
import { byName, countsLabel, fallback, freedLabel, outcomeCounts, when, who } from "./slack-common.js";

/** The note of a deleted volume (found gone when a stopped execution was resumed), if any. */
function noteOf(o: VolumeOutcome, mrkdwn = true): string {
  const note = (o as { note?: unknown }).note;
  if (typeof note !== "string" || note === "") return "";
  return mrkdwn ? ` _(${esc(clip(note, 300))})_` : ` (${note})`;
}

function outcomeLine(o: VolumeOutcome): string {
  switch (o.result) {
    case "deleted":
      return `:white_check_mark: ${inlineCode(o.name)} deleted${o.freedBytes === null ? "" : ` (${humanSize(o.freedBytes)})`}${o.backupId ? `, backed up first as ${inlineCode(o.backupId)}` : ""}${noteOf(o)}`;
    case "skipped":
      return `:next_track_button: ${inlineCode(o.name)} skipped: ${esc(clip(o.reason, 500))}`;
    case "failed":
      return `:x: ${inlineCode(o.name)} failed: ${esc(clip(o.error, 500))}`;
  }
}

function outcomeTextLine(o: VolumeOutcome): string {
  switch (o.result) {
    case "deleted":
      return `deleted  ${o.name}${o.freedBytes === null ? "" : ` (${humanSize(o.freedBytes)})`}${o.backupId ? `, backup ${o.backupId}` : ""}${noteOf(o, false)}`;
    case "skipped":
      return `skipped  ${o.name}: ${o.reason}`;
    case "failed":
      return `failed   ${o.name}: ${o.error}`;
  }
}

/** The outcome as text, for the attached file. */
function renderOutcomeText(r: DeletionRequest): string {
  const c = outcomeCounts(r.outcomes);
  const lines = [
    `${r.id} on ${r.host}, approved by ${r.decidedBy ?? "?"} at ${when(r.decidedAt)}`,
    `${countsLabel(c)}; ${freedLabel(c)}`,
    "",
    ...[...r.outcomes].sort(byName).map(outcomeTextLine),
  ];
  return `${lines.join("\n")}\n`;
}

function outcomeSummaryLine(r: DeletionRequest): string {
  const c = outcomeCounts(r.outcomes);
  if (r.status === "paused") {
    return `:double_vertical_bar: *${r.id} paused* on ${esc(r.host)}: ${num(c.deleted)} of ${num(r.plan.length)} deleted; ${esc(r.paused?.reason ?? "stopped")}.\nAn approver resumes it with ${inlineCode(`/dvol requests resume ${r.id}`)}; the requester or an approver cancels it with ${inlineCode(`/dvol requests cancel ${r.id}`)}. Resuming checks every remaining volume again.`;
  }
  if (r.status === "lapsed") {
    return `:hourglass: *${r.id} lapsed* on ${esc(r.host)}: ${num(c.deleted)} of ${num(r.plan.length)} deleted; it did not finish within requests.ttlHours of its approval, and nothing more will be deleted.`;
  }
  const mark = c.failed > 0 ? ":warning:" : ":white_check_mark:";
  return `${mark} *${r.id} executed* on ${esc(r.host)} (approved by ${who(r.decidedBy)}): ${countsLabel(c)}; *${freedLabel(c)}*.`;
}

/**
 * The outcome of an approved request, in the thread: one line per volume (deleted, skipped and
 * why, failed and the error), then the space freed. When too long for one message: the counts,
 * the lines that are not "deleted" as room allows, and every line in the attached file.
 */
export function renderRequestOutcome(r: DeletionRequest): SlackMessage {
  const sorted = [...r.outcomes].sort(byName);
  const c = outcomeCounts(r.outcomes);
  const text = fallback(
    `${r.id} ${r.status === "paused" || r.status === "lapsed" ? r.status : "executed"} on ${r.host}: ${countsLabel(c)}; ${freedLabel(c)}`.replace(
      /\*/g,
      "",
    ),
  );
  // A paused request carries its Resume and Cancel buttons under the outcome; volumes backed up
  // first, their Restore buttons.
  const tail = [...restoreBlocks(r), ...(r.status === "paused" ? [lifeButtons(r)] : [])];
  const full: SlackMessage = {
    text,
    blocks: [...sections(textPieces([outcomeSummaryLine(r), ...sorted.map(outcomeLine)])), ...tail],
  };
  if (fits(full)) return full;
  const file = {
    filename: `dvol-${r.id}-outcome.txt`,
    title: `dvol ${r.id} outcome`,
    content: renderOutcomeText(r),
  };
  // Problems first: what was not deleted matters more than what was.
  const notDeleted = sorted.filter((o) => o.result !== "deleted");
  const notice = `:paperclip: Every volume's outcome is attached as ${esc(file.filename)}.`;
  const build = (k: number): SlackMessage => {
    const shown = notDeleted.slice(0, k);
    const more = notDeleted.length - shown.length;
    return {
      text,
      blocks: [
        ...sections(
          textPieces([
            outcomeSummaryLine(r),
            notice,
            ...shown.map(outcomeLine),
            ...(more > 0 ? [`… and ${num(more)} more not deleted, in the file.`] : []),
          ]),
        ),
        ...tail,
      ],
      file,
    };
  };
  let k = 0;
  while (k < notDeleted.length && fits(build(k + 1))) k++;
  return build(k);
}

/** At most this many Restore buttons under an outcome (Slack: 25 elements in an actions block). */
export const MAX_RESTORE_BUTTONS = 20;

/**
 * A Restore button for each deleted volume that was backed up first (by name, at most
 * MAX_RESTORE_BUTTONS; the others are named with the command that restores them). A requester
 * clicks it: the worker restores the backup under the volume's name while that name is free.
 */
function restoreBlocks(r: DeletionRequest): (ActionsBlock | ReturnType<typeof section>)[] {
  const backed = [...r.outcomes]
    .sort(byName)
    .flatMap((o) => (o.result === "deleted" && o.backupId ? [{ name: o.name, backupId: o.backupId }] : []));
  if (backed.length === 0) return [];
  const shown = backed.slice(0, MAX_RESTORE_BUTTONS);
  const buttons: Button[] = shown.map((b) => ({
    type: "button",
    action_id: `${RESTORE_ACTION_ID}_${b.backupId}`,
    text: { type: "plain_text", text: clip(`Restore ${b.name}`, 75), emoji: true },
    value: restoreValue(r.id, b.backupId),
  }));
  const more = backed.length - shown.length;
  const lead = `:leftwards_arrow_with_hook: A requester may restore a deleted volume from its backup, under its name while that name is free${more > 0 ? `; ${num(more)} more with ${inlineCode(`/dvol restore ${r.host} <backup-id>`)} (their ids are in the outcome)` : ""}, or under another with ${inlineCode(`/dvol restore ${r.host} <backup-id> --as NAME`)}.`;
  return [section(lead), { type: "actions", block_id: `dvol_restore_${r.id}`, elements: buttons }];
}

/**
 * Resume (an approver; it checks every remaining volume again) and Cancel (the requester or an
 * approver, with a confirmation); value = the request id. A click counts only in the request's
 * thread (refuseMisdirected, src/jobs/request-common.ts).
 */
function lifeButtons(r: DeletionRequest): ActionsBlock {
  const resume: Button = {
    type: "button",
    action_id: RESUME_ACTION_ID,
    text: { type: "plain_text", text: "Resume", emoji: true },
    style: "primary",
    value: r.id,
  };
  const cancel: Button = {
    type: "button",
    action_id: CANCEL_ACTION_ID,
    text: { type: "plain_text", text: "Cancel", emoji: true },
    value: r.id,
    confirm: {
      title: { type: "plain_text", text: `Cancel ${r.id}?` },
      text: {
        type: "plain_text",
        text: `Nothing more will be deleted from ${clip(r.host, 100)}; what was deleted stays deleted.`,
      },
      confirm: { type: "plain_text", text: "Cancel it" },
      deny: { type: "plain_text", text: "Keep it" },
    },
  };
  return { type: "actions", block_id: `dvol_life_${r.id}`, elements: [resume, cancel] };
}

/** The thread line of a rejection. */
export function renderRejected(r: DeletionRequest): SlackMessage {
  const line = `:no_entry_sign: ${r.id} was *rejected* by ${who(r.decidedBy)}: nothing was deleted.`;
  return { text: fallback(`${r.id} rejected: nothing was deleted`), blocks: [section(line)] };
}

/** The thread line of an expiry noticed on a click. */
export function renderExpired(r: DeletionRequest): SlackMessage {
  const line = `:hourglass: ${r.id} *expired* at ${when(r.expiresAt)} without a decision: nothing was deleted.`;
  return { text: fallback(`${r.id} expired: nothing was deleted`), blocks: [section(line)] };
}

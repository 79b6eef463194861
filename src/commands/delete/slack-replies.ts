/**
 * The ephemeral answers about a deletion request, to the person who typed or clicked: the command
 * is being checked, nothing to delete, a refused or useless click, a request being executed.
 */
import { fits, inlineCode, sections, textPieces } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { clip } from "../../format.js";
import type { BlockedVolume, DeletionRequest } from "../../store/records.js";
import { esc } from "../slack.js";
import type { RequestDecision } from "./slack-actions.js";
import { blockedPieces, fallback, stateLine, when, who } from "./slack-common.js";

function ephemeralText(line: string, hint?: string): SlackMessage {
  const lines = [line, ...(hint ? [hint] : [])];
  return { text: fallback(line.replace(/\*/g, "")), blocks: sections(textPieces(lines)) };
}

/** A person who may not make this decision: nothing changed. `why` is one sentence from the policy. */
export function renderRefused(requestId: string, decision: RequestDecision, why: string): SlackMessage {
  const verb = decision === "approve" ? "approve" : "reject";
  return ephemeralText(
    `:no_entry: You cannot ${verb} ${esc(requestId)}: ${esc(clip(why, 1500))}`,
    "Nothing was changed.",
  );
}

/** A click on a request that was decided or expired before. */
export function renderAlreadyDecided(r: DeletionRequest, now: Date = new Date()): SlackMessage {
  return ephemeralText(`${r.id} is already decided. ${stateLine(r, now)}`, "Your click changed nothing.");
}

/** A click on a request the store does not know (deleted, or from another deployment). */
export function renderUnknownRequest(requestId: string): SlackMessage {
  return ephemeralText(
    `:grey_question: dvol has no request ${inlineCode(clip(requestId, 40))}: it may be from another dvol or long gone.`,
    "Nothing was changed.",
  );
}

/**
 * A report's "Request cleanup" clicked while the request it opened for that host is still open: no
 * second request; the person is pointed to the open one and its thread.
 */
export function renderCleanupAlreadyOpen(r: DeletionRequest, now: Date = new Date()): SlackMessage {
  const thread = r.channel ? ` Its plan and buttons are in its thread in <#${r.channel}>.` : "";
  return ephemeralText(
    `:information_source: *${r.id}* is already open for this cleanup of ${esc(r.host)} (requested by ${who(r.requester)}): no second request was opened.${thread}`,
    `${stateLine(r, now)} Once ${r.id} is decided, this button opens a new request.`,
  );
}

/** A report's "Request cleanup" clicked while another click on it is opening the request. */
export function renderCleanupOpening(host: string): SlackMessage {
  return ephemeralText(
    `:hourglass_flowing_sand: A deletion request for this cleanup of ${esc(host)} is being opened by another click: it will appear in this channel.`,
    "No second request was opened.",
  );
}

/** The command was accepted, and the plan is being made (ephemeral ack of /dvol rm|prune). */
export function renderOpening(text: string): SlackMessage {
  return ephemeralText(
    `:hourglass_flowing_sand: Checking ${inlineCode(`/dvol ${clip(text, 200)}`)} on the host and opening a deletion request…`,
  );
}

/** An approve click while the request is being executed (or its executor stopped, until its lease ends). */
export function renderBusy(r: DeletionRequest): SlackMessage {
  const until = r.leaseUntil
    ? ` If no outcome is posted by ${when(r.leaseUntil)}, click Approve again to resume it.`
    : "";
  return ephemeralText(
    `:gear: ${r.id} is being executed (approved by ${who(r.decidedBy)}): the outcome will be posted in its thread.`,
    `Nothing is deleted twice.${until}`,
  );
}

/**
 * `/dvol rm|prune` that would delete nothing (every volume asked for is blocked, or nothing
 * matched): no request is opened, and the person who typed it sees why, ephemeral.
 */
export function renderNothingToDelete(p: {
  host: string;
  command: string;
  blocked: readonly BlockedVolume[];
}): SlackMessage {
  const lines = [
    `:information_source: Nothing on *${esc(p.host)}* can be deleted with ${inlineCode(`/dvol ${clip(p.command, 200)}`)}: no request was opened.`,
  ];
  const msg = (max: number): SlackMessage => ({
    text: fallback(`${p.host}: nothing to delete, no request was opened`),
    blocks: sections([
      ...textPieces(lines),
      ...(p.blocked.length > 0 ? blockedPieces(p.blocked, max, false) : textPieces(["No volume matches."])),
    ]),
  });
  for (const max of [50, 20, 5, 0]) {
    const m = msg(max);
    if (fits(m)) return m;
  }
  return msg(0);
}

/**
 * Block Kit renderings of a deletion request (SPEC §4), for its Slack life:
 *
 * - the parent message in the channel ("Deletion request DR-… by @alice: 2 volumes on host1,
 *   5.2 MB") with the request's state, posted first and updated (chat.update) as it changes;
 * - the plan, in the parent's thread: each volume with size, created and project, the blocked
 *   volumes with why, and the Approve (with a confirmation) and Reject buttons. A plan too long
 *   for one message is a summary with the whole plan attached as a file;
 * - after a decision: the plan again without its buttons, and a line in the thread (rejected,
 *   expired) or the outcome of the execution: one line per volume (deleted / skipped and why /
 *   failed and the error) and the space freed;
 * - the ephemeral answers to a click that changes nothing (refused, already decided, expired).
 *
 * Every rendering is within Slack's limits (limits.ts) with room for one more block (`fits`, in
 * blocks.ts), like render.ts. Everything that comes from a host, a user or the config is escaped.
 */
import type { ActionsBlock, Button, KnownBlock } from "@slack/types";
import {
  codePieces,
  context,
  escapeMrkdwn,
  fallbackText,
  fits,
  header,
  inlineCode,
  section,
  sections,
  textPieces,
} from "../blocks/blocks.js";
import type { SlackMessage } from "../blocks/message.js";
import { clip, humanSize, num, plural, shortTime, table } from "../format.js";
import type {
  BlockedVolume,
  DeletionRequest,
  PlannedVolume,
  RequestStatus,
  VolumeOutcome,
} from "../store/records.js";

/** action_id of the Approve button (asks to confirm first); its value is the request id. */
export const APPROVE_ACTION_ID = "dvol_request_approve";
/** action_id of the Reject button; its value is the request id. */
export const REJECT_ACTION_ID = "dvol_request_reject";
export const REQUEST_ACTION_IDS: readonly string[] = [APPROVE_ACTION_ID, REJECT_ACTION_ID];

export type RequestDecision = "approve" | "reject";

/** The decision a button's action_id stands for, or null when the button is not one of these. */
export function decisionOf(actionId: string): RequestDecision | null {
  if (actionId === APPROVE_ACTION_ID) return "approve";
  if (actionId === REJECT_ACTION_ID) return "reject";
  return null;
}

/** "DR-" and 8 characters of [0-9A-Z] (src/store/records.ts). */
export const REQUEST_ID_RE = /^DR-[0-9A-Z]{8}$/;

/** How many of the largest volumes a plan summary shows. */
const SUMMARY_LARGEST = [10, 5, 3, 0] as const;
/** How many blocked volumes a summary names (the file has them all). */
const SUMMARY_BLOCKED = [10, 5, 0] as const;

const esc = escapeMrkdwn;
const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** A Slack user (`<@U…>`, a mention Slack shows as the name) or a CLI user (`cli:bob`), as text. */
export function who(actor: string | null): string {
  if (actor === null) return "someone";
  return /^[UW][A-Z0-9]{2,}$/.test(actor) ? `<@${actor}>` : inlineCode(actor);
}

/** Plain text for a notification (no mrkdwn): a user ID stays an ID. */
function whoPlain(actor: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(actor) ? `<@${actor}>` : actor;
}

/** "2026-11-29 13:51 UTC". */
function when(iso: string | null): string {
  return `${shortTime(iso)} UTC`;
}

function planSize(plan: readonly PlannedVolume[]): { bytes: number; unknown: number } {
  let bytes = 0;
  let unknown = 0;
  for (const v of plan) {
    if (v.sizeBytes === null) unknown++;
    else bytes += v.sizeBytes;
  }
  return { bytes, unknown };
}

/** "5.2 MB", "5.2 MB (+2 of unknown size)". */
function sizeLabel(plan: readonly PlannedVolume[]): string {
  const s = planSize(plan);
  return s.unknown > 0 ? `${humanSize(s.bytes)} (+${num(s.unknown)} of unknown size)` : humanSize(s.bytes);
}

/** The headline shared by the parent message and notifications, as mrkdwn. */
function headline(r: DeletionRequest): string {
  return `Deletion request ${r.id} by ${who(r.requester)}: ${plural(r.plan.length, "volume")} on ${esc(r.host)}, ${sizeLabel(r.plan)}`;
}

function headlinePlain(r: DeletionRequest): string {
  return `Deletion request ${r.id} by ${whoPlain(r.requester)}: ${plural(r.plan.length, "volume")} on ${r.host}, ${sizeLabel(r.plan)}`;
}

/** Notification text: escaped and short, user mentions kept as mentions. */
function fallback(s: string): string {
  return fallbackText(s).replace(/&lt;@([UW][A-Z0-9]+)&gt;/g, "<@$1>");
}

export interface OutcomeCounts {
  deleted: number;
  skipped: number;
  failed: number;
  freedBytes: number;
  /** Deleted volumes whose size was not known. */
  freedUnknown: number;
}

export function outcomeCounts(outcomes: readonly VolumeOutcome[]): OutcomeCounts {
  const c: OutcomeCounts = { deleted: 0, skipped: 0, failed: 0, freedBytes: 0, freedUnknown: 0 };
  for (const o of outcomes) {
    if (o.result === "deleted") {
      c.deleted++;
      if (o.freedBytes === null) c.freedUnknown++;
      else c.freedBytes += o.freedBytes;
    } else if (o.result === "skipped") c.skipped++;
    else c.failed++;
  }
  return c;
}

function freedLabel(c: OutcomeCounts): string {
  const unknown = c.freedUnknown > 0 ? ` (+${num(c.freedUnknown)} of unknown size)` : "";
  return `${humanSize(c.freedBytes)} freed${unknown}`;
}

function countsLabel(c: OutcomeCounts): string {
  return [`${num(c.deleted)} deleted`, `${num(c.skipped)} skipped`, `${num(c.failed)} failed`].join(", ");
}

/** One line of the request's state, as mrkdwn (the parent message and the plan after a decision). */
export function stateLine(r: DeletionRequest, now: Date = new Date()): string {
  const state: RequestStatus =
    r.status === "pending" && Date.parse(r.expiresAt) <= now.getTime() ? "expired" : r.status;
  switch (state) {
    case "pending":
      return r.plan.length === 0
        ? ":information_source: Nothing to delete: every volume asked for is blocked."
        : `:hourglass_flowing_sand: *Waiting for an approver* in the thread (expires ${when(r.expiresAt)}).`;
    case "approved":
    case "executing":
      return `:gear: *Approved* by ${who(r.decidedBy)} at ${when(r.decidedAt)}: deleting…`;
    case "done": {
      const c = outcomeCounts(r.outcomes);
      const mark = c.failed > 0 ? ":warning:" : ":white_check_mark:";
      return `${mark} *Done*: approved by ${who(r.decidedBy)} at ${when(r.decidedAt)}; ${countsLabel(c)}; ${freedLabel(c)}.`;
    }
    case "rejected":
      return `:no_entry_sign: *Rejected* by ${who(r.decidedBy)} at ${when(r.decidedAt)}: nothing was deleted.`;
    case "expired":
      return `:hourglass: *Expired* at ${when(r.expiresAt)} without a decision: nothing was deleted.`;
  }
}

// ---------------------------------------------------------------------------------------------
// The parent message

/** The parent message in the channel: headline, state, what was typed. Posted, then updated. */
export function renderRequestParent(r: DeletionRequest, now: Date = new Date()): SlackMessage {
  const lines = [`*${headline(r)}*`, stateLine(r, now)];
  const facts = [inlineCode(`/dvol ${r.command}`)];
  if (r.blocked.length > 0) facts.push(`${plural(r.blocked.length, "volume")} blocked (see the thread)`);
  if (r.reason) facts.push(`reason: ${esc(clip(r.reason, 500))}`);
  const msg: SlackMessage = {
    text: fallback(`${headlinePlain(r)} (${r.status})`),
    blocks: [...sections(textPieces(lines)), context(facts.join(" · "))],
  };
  return fits(msg) ? msg : { text: msg.text, blocks: sections(textPieces(lines)) };
}

// ---------------------------------------------------------------------------------------------
// The plan, in the thread

const BLOCK_REASON: Record<BlockedVolume["reason"], string> = {
  "in-use": "in use",
  protected: "protected",
  missing: "missing",
};

function planTable(plan: readonly PlannedVolume[]): { head: string; lines: string[] } {
  const rows = [...plan]
    .sort(byName)
    .map((v) => [v.name, humanSize(v.sizeBytes), shortTime(v.createdAt), v.project ?? "-"]);
  const widths = rows.reduce((w, r) => Math.max(w, r[1]?.length ?? 0), "SIZE".length);
  const [head = "", ...lines] = table(
    [["NAME", "SIZE", "CREATED (UTC)", "PROJECT"], ...rows].map((r) =>
      r.map((c, i) => (i === 1 ? c.padStart(widths) : c)),
    ),
  );
  return { head, lines };
}

function blockedLine(b: BlockedVolume): string {
  return `• ${inlineCode(b.name)}: ${BLOCK_REASON[b.reason]}, ${esc(b.detail)}`;
}

function blockedPieces(
  blocked: readonly BlockedVolume[],
  max = Number.POSITIVE_INFINITY,
  inFile = true,
): string[] {
  if (blocked.length === 0) return [];
  const sorted = [...blocked].sort(byName);
  const shown = sorted.slice(0, max);
  const more = sorted.length - shown.length;
  return textPieces([
    `*Blocked, not part of the request* (${num(blocked.length)}):`,
    ...shown.map(blockedLine),
    ...(more > 0 ? [`… and ${num(more)} more${inFile ? ", listed in the attached file" : ""}.`] : []),
  ]);
}

function planLead(r: DeletionRequest): string {
  return `*${r.id}* · ${inlineCode(`/dvol ${r.command}`)} by ${who(r.requester)}${r.reason ? ` · reason: ${esc(clip(r.reason, 500))}` : ""}`;
}

function planIntro(r: DeletionRequest): string {
  if (r.plan.length === 0)
    return `Nothing on *${esc(r.host)}* can be deleted: every volume asked for is blocked.`;
  return `*To delete on ${esc(r.host)}*: ${plural(r.plan.length, "volume")}, ${sizeLabel(r.plan)}`;
}

/** Who may decide, and what approval does. */
function planNote(r: DeletionRequest): string {
  return (
    `Approving deletes each volume only if it still exists, is still unused and is the same volume (same creation time). ` +
    `Only an approver may approve. Expires ${when(r.expiresAt)}.`
  );
}

function confirmText(r: DeletionRequest): string {
  return clip(
    `Delete ${plural(r.plan.length, "volume")} (${sizeLabel(r.plan)}) from ${r.host}? Each is re-checked first; this cannot be undone.`,
    300,
  );
}

/** The Approve (with its confirmation) and Reject buttons; value = the request id. */
export function decisionButtons(r: DeletionRequest): ActionsBlock {
  const approve: Button = {
    type: "button",
    action_id: APPROVE_ACTION_ID,
    text: { type: "plain_text", text: "Approve", emoji: true },
    style: "danger",
    value: r.id,
    confirm: {
      title: { type: "plain_text", text: `Approve ${r.id}?` },
      text: { type: "plain_text", text: confirmText(r) },
      confirm: { type: "plain_text", text: "Delete them" },
      deny: { type: "plain_text", text: "Cancel" },
      style: "danger",
    },
  };
  const reject: Button = {
    type: "button",
    action_id: REJECT_ACTION_ID,
    text: { type: "plain_text", text: "Reject", emoji: true },
    value: r.id,
  };
  return { type: "actions", block_id: `dvol_request_${r.id}`, elements: [approve, reject] };
}

/** The plan as text, for the attached file (and whoever wants it whole). */
export function renderPlanText(r: DeletionRequest): string {
  const out = [
    `${headlinePlain(r)}`,
    `Command: /dvol ${r.command}`,
    ...(r.reason ? [`Reason: ${r.reason}`] : []),
    `Created: ${when(r.createdAt)}; expires ${when(r.expiresAt)}`,
    "",
  ];
  if (r.plan.length > 0) {
    const t = planTable(r.plan);
    out.push(`To delete (${plural(r.plan.length, "volume")}, ${sizeLabel(r.plan)}):`, t.head, ...t.lines, "");
  } else {
    out.push("Nothing to delete.", "");
  }
  if (r.blocked.length > 0) {
    out.push(`Blocked, not part of the request (${num(r.blocked.length)}):`);
    for (const b of [...r.blocked].sort(byName))
      out.push(`  ${b.name}: ${BLOCK_REASON[b.reason]}, ${b.detail}`);
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function planFile(r: DeletionRequest): NonNullable<SlackMessage["file"]> {
  return { filename: `dvol-${r.id}-plan.txt`, title: `dvol ${r.id} plan`, content: renderPlanText(r) };
}

/** The last blocks of the plan: the note and the buttons while it waits, the state once decided. */
function planTail(r: DeletionRequest, now: Date): KnownBlock[] {
  const open = r.status === "pending" && Date.parse(r.expiresAt) > now.getTime() && r.plan.length > 0;
  if (open) return [context(planNote(r)), decisionButtons(r)];
  return [section(stateLine(r, now))];
}

export interface PlanOptions {
  /** Matching volumes a prune left out because one request holds at most 1,000 (not stored). */
  leftOut?: number;
}

function leftOutPieces(o: PlanOptions): string[] {
  const n = o.leftOut ?? 0;
  if (n <= 0) return [];
  return [
    `:warning: ${plural(n, "more matching volume")} ${n === 1 ? "was" : "were"} left out: one request holds at most 1,000. Prune again once this request is decided.`,
  ];
}

function planFull(r: DeletionRequest, now: Date, o: PlanOptions): SlackMessage {
  const pieces = [planLead(r)];
  if (r.plan.length > 0) {
    const t = planTable(r.plan);
    pieces.push(...codePieces(t.lines, { head: [t.head], lead: planIntro(r) }));
  } else {
    pieces.push(planIntro(r));
  }
  pieces.push(...leftOutPieces(o), ...blockedPieces(r.blocked));
  return {
    text: fallback(`${r.id} plan: ${plural(r.plan.length, "volume")} on ${r.host}, ${sizeLabel(r.plan)}`),
    blocks: [header(`Plan of ${r.id}`), ...sections(pieces), ...planTail(r, now)],
  };
}

function planSummary(
  r: DeletionRequest,
  now: Date,
  o: PlanOptions,
  largest: number,
  blocked: number,
): SlackMessage {
  const file = planFile(r);
  const pieces = [
    planLead(r),
    `:paperclip: The full plan is attached as ${esc(file.filename)}: ${plural(r.plan.length, "volume")} to delete${r.blocked.length > 0 ? ` and ${num(r.blocked.length)} blocked` : ""}, too long for one message.`,
  ];
  const top = [...r.plan]
    .sort((a, b) => (b.sizeBytes ?? -1) - (a.sizeBytes ?? -1) || byName(a, b))
    .slice(0, largest);
  if (top.length > 0) {
    const t = planTable(top);
    const lead = `${planIntro(r)} · ${top.length === 1 ? "the largest" : `the ${num(top.length)} largest`}:`;
    pieces.push(...codePieces(t.lines, { head: [t.head], lead }));
  } else {
    pieces.push(planIntro(r));
  }
  pieces.push(...leftOutPieces(o));
  if (r.blocked.length > 0) {
    const by = new Map<string, number>();
    for (const b of r.blocked) by.set(BLOCK_REASON[b.reason], (by.get(BLOCK_REASON[b.reason]) ?? 0) + 1);
    const counts = [...by.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => `${num(n)} ${k}`);
    if (blocked > 0) pieces.push(...blockedPieces(r.blocked, blocked));
    else pieces.push(`*Blocked, not part of the request* (${num(r.blocked.length)}): ${counts.join(", ")}.`);
  }
  return {
    text: fallback(
      `${r.id} plan: ${plural(r.plan.length, "volume")} on ${r.host}, ${sizeLabel(r.plan)} (full plan attached as ${file.filename})`,
    ),
    blocks: [header(`Plan of ${r.id}`), ...sections(pieces), ...planTail(r, now)],
    file,
  };
}

/**
 * The plan message of the thread. While the request waits, it ends with the Approve and Reject
 * buttons; once decided (or expired), with its state instead. When it does not fit in one message,
 * a summary (the largest volumes, the blocked ones counted) with the whole plan as `file`.
 */
export function renderRequestPlan(
  r: DeletionRequest,
  now: Date = new Date(),
  o: PlanOptions = {},
): SlackMessage {
  const full = planFull(r, now, o);
  if (fits(full)) return full;
  let last: SlackMessage | undefined;
  for (const largest of SUMMARY_LARGEST) {
    for (const blocked of SUMMARY_BLOCKED) {
      last = planSummary(r, now, o, largest, blocked);
      if (fits(last)) return last;
    }
  }
  // Never expected (the smallest summary is a few short lines), but always postable.
  const file = planFile(r);
  return {
    text: fallback(`${r.id} plan (attached as ${file.filename})`),
    blocks: [
      section(`:paperclip: The plan of ${r.id} is attached as ${esc(file.filename)}.`),
      ...planTail(r, now),
    ],
    file,
  };
}

/** The plan message after a decision, for chat.update: the same plan, no buttons, no file. */
export function renderDecidedPlan(r: DeletionRequest, now: Date = new Date()): SlackMessage {
  const { file: _file, ...msg } = renderRequestPlan(r, now);
  return msg;
}

// ---------------------------------------------------------------------------------------------
// After a decision, in the thread

/** The note of a deleted volume (found gone when a stopped execution was resumed), if any. */
function noteOf(o: VolumeOutcome, mrkdwn = true): string {
  const note = (o as { note?: unknown }).note;
  if (typeof note !== "string" || note === "") return "";
  return mrkdwn ? ` _(${esc(clip(note, 300))})_` : ` (${note})`;
}

function outcomeLine(o: VolumeOutcome): string {
  switch (o.result) {
    case "deleted":
      return `:white_check_mark: ${inlineCode(o.name)} deleted${o.freedBytes === null ? "" : ` (${humanSize(o.freedBytes)})`}${noteOf(o)}`;
    case "skipped":
      return `:next_track_button: ${inlineCode(o.name)} skipped: ${esc(clip(o.reason, 500))}`;
    case "failed":
      return `:x: ${inlineCode(o.name)} failed: ${esc(clip(o.error, 500))}`;
  }
}

function outcomeTextLine(o: VolumeOutcome): string {
  switch (o.result) {
    case "deleted":
      return `deleted  ${o.name}${o.freedBytes === null ? "" : ` (${humanSize(o.freedBytes)})`}${noteOf(o, false)}`;
    case "skipped":
      return `skipped  ${o.name}: ${o.reason}`;
    case "failed":
      return `failed   ${o.name}: ${o.error}`;
  }
}

/** The outcome as text, for the attached file. */
export function renderOutcomeText(r: DeletionRequest): string {
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
    `${r.id} executed on ${r.host}: ${countsLabel(c)}; ${freedLabel(c)}`.replace(/\*/g, ""),
  );
  const full: SlackMessage = {
    text,
    blocks: sections(textPieces([outcomeSummaryLine(r), ...sorted.map(outcomeLine)])),
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
      blocks: sections(
        textPieces([
          outcomeSummaryLine(r),
          notice,
          ...shown.map(outcomeLine),
          ...(more > 0 ? [`… and ${num(more)} more not deleted, in the file.`] : []),
        ]),
      ),
      file,
    };
  };
  let k = 0;
  while (k < notDeleted.length && fits(build(k + 1))) k++;
  return build(k);
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

// ---------------------------------------------------------------------------------------------
// Ephemeral answers to a click

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

// ---------------------------------------------------------------------------------------------
// `/dvol requests`

/** The parts of a `requests` row this rendering shows (src/commands/requests.ts RequestRow). */
export interface RequestListRow {
  id: string;
  host: string;
  status: RequestStatus;
  requester: string;
  command: string;
  volumes: number;
  sizeBytes: number;
  createdAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  outcomes: { deleted: number; skipped: number; failed: number; freedBytes: number } | null;
}

function listLine(q: RequestListRow): string {
  const what = `*${q.id}* ${inlineCode(`/dvol ${clip(q.command, 120)}`)} by ${who(q.requester)}: ${plural(q.volumes, "volume")} on ${esc(q.host)}, ${humanSize(q.sizeBytes)}`;
  const o = q.outcomes;
  const result = o
    ? `; ${num(o.deleted)} deleted, ${num(o.skipped)} skipped, ${num(o.failed)} failed, ${humanSize(o.freedBytes)} freed`
    : "";
  switch (q.status) {
    case "pending":
      return `${what} · waiting for an approver, expires ${when(q.expiresAt)}`;
    case "approved":
    case "executing":
      return `${what} · approved by ${who(q.decidedBy)}, being executed${result}`;
    case "done":
      return `${what} · approved by ${who(q.decidedBy)} at ${when(q.decidedAt)}${result}`;
    case "rejected":
      return `${what} · rejected by ${who(q.decidedBy)} at ${when(q.decidedAt)}`;
    case "expired":
      return `${what} · expired at ${when(q.decidedAt ?? q.expiresAt)}`;
  }
}

/**
 * `/dvol requests` in the channel: the open requests and the last decided, one line each. When
 * that does not fit, as many lines as fit, with `fullText` (the CLI's text rendering) as a file.
 */
export function renderRequestList(
  r: { open: readonly RequestListRow[]; decided: readonly RequestListRow[] },
  fullText: string,
): SlackMessage {
  const text = fallback(
    `dvol requests: ${num(r.open.length)} open, ${num(r.decided.length)} decided recently`,
  );
  const build = (k: number, file: boolean): SlackMessage => {
    const open = r.open.slice(0, k);
    const decided = r.decided.slice(0, Math.max(0, k - r.open.length));
    const lines = [
      r.open.length === 0 ? "*No open deletion request.*" : `*Open* (${num(r.open.length)}):`,
      ...open.map((q) => `• ${listLine(q)}`),
      ...(open.length < r.open.length
        ? [`… and ${num(r.open.length - open.length)} more, in the file.`]
        : []),
      r.decided.length === 0 ? "*None decided yet.*" : `*Last decided* (${num(r.decided.length)}):`,
      ...decided.map((q) => `• ${listLine(q)}`),
      ...(decided.length < r.decided.length
        ? [`… and ${num(r.decided.length - decided.length)} more, in the file.`]
        : []),
    ];
    return {
      text,
      blocks: [header("dvol requests"), ...sections(textPieces(lines))],
      ...(file ? { file: { filename: "dvol-requests.txt", title: "dvol requests", content: fullText } } : {}),
    };
  };
  const all = r.open.length + r.decided.length;
  const full = build(all, false);
  if (fits(full)) return full;
  let k = 0;
  while (k < all && fits(build(k + 1, true))) k++;
  return build(k, true);
}

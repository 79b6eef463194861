/**
 * The plan of a deletion request, in the parent's thread: each volume with size, created and
 * project, the blocked volumes with why, and the Approve (with a confirmation) and Reject buttons
 * while it waits; its state once decided. A plan too long for one message is a summary with the
 * whole plan attached as a file. Every rendering is within Slack's limits with room for one more
 * block (`fits`).
 */
import type { ActionsBlock, Button, KnownBlock } from "@slack/types";
import { codePieces, context, fits, header, inlineCode, section, sections } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { clip, num, plural, shortTime, table } from "../../format.js";
import type { BackupMode, DeletionRequest, PlannedVolume } from "../../store/records.js";
import { plannedSize } from "../sizes.js";
import { esc } from "../slack.js";
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from "./slack-actions.js";
import {
  BLOCK_REASON,
  blockedPieces,
  byName,
  fallback,
  headlinePlain,
  sizeLabel,
  stateLine,
  when,
  who,
} from "./slack-common.js";
import { UNMEASURED_BACKUP_NOTE } from "./text.js";

/** How many of the largest volumes a plan summary shows. */
const SUMMARY_LARGEST = [10, 5, 3, 0] as const;
/** How many blocked volumes a summary names (the file has them all). */
const SUMMARY_BLOCKED = [10, 5, 0] as const;

/** The BACKUP column of a plan: each volume backed up first, or not (--no-backup); none when backups are off. */
function backupCell(mode: BackupMode | undefined): string | null {
  return mode === "first" ? "backed up first" : mode === "skipped" ? "NO BACKUP" : null;
}

/** The plan's table; each size with its age at `at` (the request's creation) when not fresh. */
function planTable(
  plan: readonly PlannedVolume[],
  mode: BackupMode | undefined,
  at: string,
): { head: string; lines: string[] } {
  const cell = backupCell(mode);
  const now = new Date(at);
  const rows = [...plan]
    .sort(byName)
    .map((v) => [
      v.name,
      plannedSize(v, now),
      shortTime(v.createdAt),
      v.project ?? "-",
      ...(cell === null ? [] : [cell]),
    ]);
  const widths = rows.reduce((w, r) => Math.max(w, r[1]?.length ?? 0), "SIZE".length);
  const [head = "", ...lines] = table(
    [["NAME", "SIZE", "CREATED (UTC)", "PROJECT", ...(cell === null ? [] : ["BACKUP"])], ...rows].map((r) =>
      r.map((c, i) => (i === 1 ? c.padStart(widths) : c)),
    ),
  );
  return { head, lines };
}

function planLead(r: DeletionRequest): string {
  return `*${r.id}* · ${inlineCode(`/dvol ${r.command}`)} by ${who(r.requester)}${r.reason ? ` · reason: ${esc(clip(r.reason, 500))}` : ""}`;
}

function planIntro(r: DeletionRequest): string {
  if (r.plan.length === 0)
    return `Nothing on *${esc(r.host)}* can be deleted: every volume asked for is blocked.`;
  return `*To delete on ${esc(r.host)}*: ${plural(r.plan.length, "volume")}, ${sizeLabel(r.plan)}`;
}

/** What the plan says of backups: each volume backed up first, or, plainly, none with --no-backup. */
export function backupNote(r: Pick<DeletionRequest, "backup" | "plan">, mrkdwn = true): string | null {
  const b = (s: string) => (mrkdwn ? `*${s}*` : s);
  if (r.backup === "first") {
    const unmeasured = r.plan.some((v) => v.sizeBytes === null) ? ` ${UNMEASURED_BACKUP_NOTE}` : "";
    return `${mrkdwn ? ":floppy_disk: " : ""}Each volume is ${b("backed up first")}, and deleted only once its backup is complete and verified.${unmeasured}`;
  }
  if (r.backup === "skipped") {
    return `${mrkdwn ? ":warning: " : ""}${b("--no-backup")}: these volumes are ${b("NOT backed up")} before deletion, although backup.beforeDelete is required. Approving deletes them with no copy to restore.`;
  }
  return null;
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
    r.backup === "first"
      ? `Delete ${plural(r.plan.length, "volume")} (${sizeLabel(r.plan)}) from ${r.host}? Each is re-checked and backed up first.`
      : `Delete ${plural(r.plan.length, "volume")} (${sizeLabel(r.plan)}) from ${r.host}${r.backup === "skipped" ? " with NO backup (--no-backup)" : ""}? Each is re-checked first; this cannot be undone.`,
    300,
  );
}

/** The Approve (with its confirmation) and Reject buttons; value = the request id. */
function decisionButtons(r: DeletionRequest): ActionsBlock {
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
function renderPlanText(r: DeletionRequest): string {
  const out = [
    `${headlinePlain(r)}`,
    `Command: /dvol ${r.command}`,
    ...(r.reason ? [`Reason: ${r.reason}`] : []),
    ...(backupNote(r, false) ? [backupNote(r, false) as string] : []),
    `Created: ${when(r.createdAt)}; expires ${when(r.expiresAt)}`,
    "",
  ];
  if (r.plan.length > 0) {
    const t = planTable(r.plan, r.backup, r.createdAt);
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
  const note = backupNote(r);
  const pieces = [planLead(r), ...(note && r.plan.length > 0 ? [note] : [])];
  if (r.plan.length > 0) {
    const t = planTable(r.plan, r.backup, r.createdAt);
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
  const note = backupNote(r);
  const pieces = [
    planLead(r),
    ...(note && r.plan.length > 0 ? [note] : []),
    `:paperclip: The full plan is attached as ${esc(file.filename)}: ${plural(r.plan.length, "volume")} to delete${r.blocked.length > 0 ? ` and ${num(r.blocked.length)} blocked` : ""}, too long for one message.`,
  ];
  const top = [...r.plan]
    .sort((a, b) => (b.sizeBytes ?? -1) - (a.sizeBytes ?? -1) || byName(a, b))
    .slice(0, largest);
  if (top.length > 0) {
    const t = planTable(top, r.backup, r.createdAt);
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

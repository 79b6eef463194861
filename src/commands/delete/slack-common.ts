/**
 * What the deletion-request messages share (slack-parent, slack-plan, slack-outcome,
 * slack-replies, and the requests list): who and when, sizes, the headline, notification text,
 * the outcome's counts, the request's state line and the blocked volumes. Everything that comes
 * from a host, a user or the config is escaped.
 */
import { fallbackText, inlineCode, textPieces } from "../../blocks/blocks.js";
import { humanSize, num, plural, shortTime } from "../../format.js";
import type {
  BlockedVolume,
  DeletionRequest,
  PlannedVolume,
  RequestStatus,
  VolumeOutcome,
} from "../../store/records.js";
import { esc } from "../slack.js";

export const byName = <T extends { name: string }>(a: T, b: T) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

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
export function when(iso: string | null): string {
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
export function sizeLabel(plan: readonly PlannedVolume[]): string {
  const s = planSize(plan);
  return s.unknown > 0 ? `${humanSize(s.bytes)} (+${num(s.unknown)} of unknown size)` : humanSize(s.bytes);
}

/** The headline shared by the parent message and notifications, as mrkdwn. */
export function headline(r: DeletionRequest): string {
  return `Deletion request ${r.id} by ${who(r.requester)}: ${plural(r.plan.length, "volume")} on ${esc(r.host)}, ${sizeLabel(r.plan)}`;
}

export function headlinePlain(r: DeletionRequest): string {
  return `Deletion request ${r.id} by ${whoPlain(r.requester)}: ${plural(r.plan.length, "volume")} on ${r.host}, ${sizeLabel(r.plan)}`;
}

/** Notification text: escaped and short, user mentions kept as mentions. */
export function fallback(s: string): string {
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

export function freedLabel(c: OutcomeCounts): string {
  const unknown = c.freedUnknown > 0 ? ` (+${num(c.freedUnknown)} of unknown size)` : "";
  return `${humanSize(c.freedBytes)} freed${unknown}`;
}

export function countsLabel(c: OutcomeCounts): string {
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
    case "paused": {
      const c = outcomeCounts(r.outcomes);
      return `:double_vertical_bar: *Paused*: approved by ${who(r.decidedBy)} at ${when(r.decidedAt)}; ${num(c.deleted)} of ${num(r.plan.length)} deleted; ${esc(r.paused?.reason ?? "stopped")}.`;
    }
    case "cancelled": {
      const c = outcomeCounts(r.outcomes);
      return `:no_entry_sign: *Cancelled* by ${who(r.closedBy ?? null)} at ${when(r.closedAt ?? null)}; ${num(c.deleted)} of ${num(r.plan.length)} had been deleted, the rest is left.`;
    }
    case "lapsed": {
      const c = outcomeCounts(r.outcomes);
      return `:hourglass: *Lapsed* at ${when(r.closedAt ?? null)}, not finished within its time; ${num(c.deleted)} of ${num(r.plan.length)} had been deleted, the rest is left.`;
    }
  }
}

export const BLOCK_REASON: Record<BlockedVolume["reason"], string> = {
  "in-use": "in use",
  protected: "protected",
  missing: "missing",
  "too-big": "too big to back up first",
};

function blockedLine(b: BlockedVolume): string {
  return `• ${inlineCode(b.name)}: ${BLOCK_REASON[b.reason]}, ${esc(b.detail)}`;
}

export function blockedPieces(
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

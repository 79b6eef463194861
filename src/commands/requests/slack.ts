/**
 * `/dvol requests` in Slack: the open deletion requests and the last decided, one line each; what
 * does not fit is in the attached file, the text rendering.
 */
import { fits, header, inlineCode, sections, textPieces } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { clip, humanSize, num, plural } from "../../format.js";
import type { RequestStatus } from "../../store/records.js";
import { fallback, when, who } from "../delete/slack-common.js";
import { esc } from "../slack.js";

/** The parts of a `requests` row this rendering shows (RequestRow, in run.ts). */
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
    case "paused":
      return `${what} · approved by ${who(q.decidedBy)}, *paused*${result}`;
    case "cancelled":
      return `${what} · cancelled${result}`;
    case "lapsed":
      return `${what} · lapsed, not finished in time${result}`;
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

/** `requests` as text: the open requests, then the last decided (the CLI's output, and the file in Slack). */
import { humanSize, joinLines, shortTime, table } from "../../format.js";
import { outcomeLines } from "../delete/text.js";
import type { RequestRow, RequestsResult } from "./run.js";

function resultText(r: RequestRow): string {
  const o = r.outcomes;
  if (!o) return r.status;
  return `${r.status}: ${o.deleted} deleted, ${o.skipped} skipped, ${o.failed} failed, ${humanSize(o.freedBytes)} freed`;
}

export function renderRequestsText(r: RequestsResult): string {
  const lines: string[] = [];
  if (r.change) {
    const c = r.change;
    lines.push(c.message);
    if (c.action === "resume" && c.request && c.request.outcomes.length > 0) {
      lines.push(...outcomeLines(c.request.outcomes));
    }
    if (c.hint) lines.push(...c.hint.split("\n"));
    return joinLines(lines);
  }
  lines.push(
    r.open.length === 0 ? "No open deletion request." : `Open deletion requests (${r.open.length}):`,
  );
  if (r.open.length > 0) {
    const rows = r.open.map((q) => [
      q.id,
      q.host,
      String(q.volumes),
      humanSize(q.sizeBytes),
      q.requester,
      shortTime(q.createdAt),
      q.status === "pending" ? `pending, expires ${shortTime(q.expiresAt)}` : q.state,
    ]);
    lines.push(...table([["ID", "HOST", "VOLUMES", "SIZE", "REQUESTER", "CREATED", "STATE"], ...rows]));
  }
  lines.push("");
  lines.push(r.decided.length === 0 ? "None decided yet." : `Last decided (${r.decided.length}):`);
  if (r.decided.length > 0) {
    const rows = r.decided.map((q) => [
      q.id,
      q.host,
      String(q.volumes),
      q.requester,
      q.decidedBy ?? "-",
      shortTime(q.decidedAt),
      resultText(q),
    ]);
    lines.push(
      ...table([["ID", "HOST", "VOLUMES", "REQUESTER", "DECIDED BY", "DECIDED", "RESULT"], ...rows]),
    );
  }
  return joinLines(lines);
}

/** rm and prune as text: the plan, the blocked volumes, and what was done (the CLI's output). */
import { countOutcomes } from "../../approvals/execute.js";
import { humanSize, joinLines, plural, shortTime, table } from "../../format.js";
import type { BackupMode, BlockedVolume, PlannedVolume, VolumeOutcome } from "../../store/records.js";
import { plannedSize } from "../sizes.js";
import type { DeletionResult } from "./run.js";

/**
 * Said under a plan that backs volumes up first when a volume's size is not yet measured: the plan
 * cannot block it for its size, and its backup stops at backup.maxBytes instead (src/backup/backup.ts).
 */
export const UNMEASURED_BACKUP_NOTE =
  "A volume whose size is not yet measured (?) is backed up first all the same; its backup stops at backup.maxBytes, when set, and the volume is then not deleted.";

const sizeOf = (plan: readonly PlannedVolume[]) => plan.reduce((a, v) => a + (v.sizeBytes ?? 0), 0);

/** The plan: each volume with size, created and project; then the blocked ones and why. */
function planLines(
  plan: readonly PlannedVolume[],
  blocked: readonly BlockedVolume[],
  backup: BackupMode,
): string[] {
  const lines: string[] = [];
  const cell = backup === "first" ? "backed up first" : backup === "skipped" ? "NO BACKUP" : null;
  if (plan.length > 0) {
    const now = new Date();
    const rows = plan.map((v) => [
      v.name,
      plannedSize(v, now),
      shortTime(v.createdAt),
      v.project ?? "-",
      ...(cell === null ? [] : [cell]),
    ]);
    lines.push(
      ...table([["VOLUME", "SIZE", "CREATED", "PROJECT", ...(cell === null ? [] : ["BACKUP"])], ...rows]),
    );
    if (backup === "first") {
      lines.push(
        "Each volume is backed up first, and deleted only once its backup is complete and verified.",
      );
      if (plan.some((v) => v.sizeBytes === null)) lines.push(UNMEASURED_BACKUP_NOTE);
    } else if (backup === "skipped") {
      lines.push(
        "--no-backup: these volumes are NOT backed up before deletion, although backup.beforeDelete is required.",
      );
    }
  }
  if (blocked.length > 0) {
    lines.push(`Blocked, not part of the request (${blocked.length}):`);
    lines.push(...table(blocked.map((b) => [`  ${b.name}`, b.reason, b.detail])));
  }
  return lines;
}

/** One line per volume (deleted, skipped and why, failed and the error), then the totals. */
export function outcomeLines(outcomes: readonly VolumeOutcome[]): string[] {
  const rows = outcomes.map((o) =>
    o.result === "deleted"
      ? [
          "deleted",
          o.name,
          humanSize(o.freedBytes) +
            (o.backupId ? `, backup ${o.backupId}` : "") +
            (o.note ? ` (${o.note})` : ""),
        ]
      : o.result === "skipped"
        ? ["skipped", o.name, o.reason]
        : ["failed", o.name, o.error],
  );
  const c = countOutcomes(outcomes);
  return [
    ...table(rows),
    `${c.deleted} deleted, ${c.skipped} skipped, ${c.failed} failed; ${humanSize(c.freedBytes)} freed`,
  ];
}

export function renderDeletionText(r: DeletionResult): string {
  const what = r.filters ? ` (${r.filters})` : "";
  const head = `${r.host}: ${r.command}${what}: ${plural(r.plan.length, "volume")} to delete, ${humanSize(sizeOf(r.plan))}`;
  const lines = [head, ...planLines(r.plan, r.blocked, r.backup)];
  if (r.leftOut > 0) {
    lines.push(
      `${plural(r.leftOut, "more volume")} matched: one request holds at most ${r.plan.length}; run again after this one.`,
    );
  }
  switch (r.stage) {
    case "planned":
      lines.push(r.plan.length > 0 ? "nothing deleted; run again with --yes" : "nothing to delete");
      break;
    case "nothing-to-delete":
      lines.push("nothing to delete: no request was opened");
      break;
    case "opened":
      lines.push(
        `Deletion request ${r.requestId} opened: waiting for an approver (expires ${shortTime(r.expiresAt)} UTC)`,
      );
      break;
    case "executed":
      lines.push(`${r.requestId}: approved by ${r.requester}, executed:`, ...outcomeLines(r.outcomes));
      if (r.outcomes.some((o) => o.result === "deleted" && o.backupId)) {
        lines.push(`restore one: dvol restore ${r.host} <backup-id> [--as NAME]`);
      }
      break;
    case "paused": {
      const deleted = r.outcomes.filter((o) => o.result === "deleted").length;
      lines.push(
        `${r.requestId}: approved by ${r.requester}, paused: ${deleted} of ${r.plan.length} deleted; ${r.pausedReason ?? "stopped"}`,
        ...(r.outcomes.length > 0 ? outcomeLines(r.outcomes) : []),
        `resume: dvol requests resume ${r.requestId}`,
        `cancel: dvol requests cancel ${r.requestId}`,
      );
      break;
    }
  }
  return joinLines(lines);
}

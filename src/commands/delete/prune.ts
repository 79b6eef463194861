/**
 * `prune <host> [--project P] [--label K[=V]]... [--older-than DURATION]`: a deletion request for
 * the dangling volumes that match, as an exact list made now (src/approvals/plan.ts planPrune).
 * It runs as rm does (run.ts, runDeletion); what is its own is how its filters read.
 */
import type { PruneCommand } from "../../approvals/commands.js";

/** "dangling, project shop, label env=dev, created 7d ago or earlier". */
export function pruneFilterText(cmd: Pick<PruneCommand, "project" | "labels" | "olderThan">): string {
  return [
    "dangling",
    ...(cmd.project === null ? [] : [`project ${cmd.project}`]),
    ...cmd.labels.map((l) => `label ${l.value === undefined ? l.key : `${l.key}=${l.value}`}`),
    ...(cmd.olderThan === null ? [] : [`created ${cmd.olderThan.text} ago or earlier`]),
  ].join(", ");
}

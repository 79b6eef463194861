/** `backup` as text: one line per volume (its backup, or why there is none). */
import { humanSize, joinLines } from "../../format.js";
import type { BackupResult } from "./run.js";

export function renderBackupText(r: BackupResult): string {
  const done = r.volumes.filter((v) => v.ok).length;
  const lines = [
    `${r.host}: ${done} of ${r.volumes.length} volume${r.volumes.length === 1 ? "" : "s"} backed up to ${r.location}`,
  ];
  for (const v of r.volumes) {
    const b = v.backup;
    if (b) {
      lines.push(
        `  ${v.volume}: backed up as ${b.id}: ${humanSize(b.contentBytes)} in ${b.entries} entries, archive ${humanSize(b.sizeBytes)}, sha256 ${b.sha256}`,
      );
    } else {
      lines.push(`  ${v.volume}: NOT backed up: ${v.error ?? "failed"}`);
      if (v.hint) lines.push(...v.hint.split("\n").map((h) => `    ${h}`));
    }
  }
  if (done > 0) lines.push(`Restore with: dvol restore ${r.host} <backup-id> [--as NAME]`);
  return joinLines(lines);
}

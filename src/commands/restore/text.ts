/** `restore` as text: the volume made, from which backup, and from which host. */
import { humanSize, joinLines, shortTime } from "../../format.js";
import type { RestoreResult } from "./run.js";

export function renderRestoreText(r: RestoreResult): string {
  const b = r.backup;
  return joinLines([
    `${r.host}: restored ${b.id} into the new volume ${r.volume}: ${r.entries} entries, ${humanSize(r.contentBytes)}, verified against the backup's manifest`,
    `  backup of ${b.volume} on ${b.host}, taken ${shortTime(b.startedAt)} UTC by ${b.who}${b.why ? ` (${b.why})` : ""}`,
    ...(r.fromOtherHost
      ? [
          `  restored onto another host: the backup was taken on ${r.fromOtherHost}, the volume is on ${r.host}`,
        ]
      : []),
  ]);
}

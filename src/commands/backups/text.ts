/** `backups` as text: one line per backup, newest first; failed ones say FAILED and why. */
import { humanSize, joinLines, shortTime, table } from "../../format.js";
import type { BackupRow, BackupsResult } from "./run.js";

/** "42 s", "5 min", "3 h", "2 d": how long ago. */
export function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

/** The archive's checksum, shortened for tables (the JSON has it whole). */
export const shortSum = (b: Pick<BackupRow, "sha256">) => (b.sha256 ? b.sha256.slice(0, 12) : "-");

/** What is listed, as words: "backups of pgdata on host1". */
export function scopeText(r: Pick<BackupsResult, "hosts" | "volume">): string {
  const of = r.volume === null ? "" : ` of ${r.volume}`;
  const on = r.hosts === null ? "" : ` on ${r.hosts.join(", ")}`;
  return `${of}${on}`;
}

export function renderBackupsText(r: BackupsResult): string {
  const head = `${r.backups.length} backup${r.backups.length === 1 ? "" : "s"}${scopeText(r)} in ${r.location}`;
  if (r.backups.length === 0) return head;
  const rows = r.backups.map((b) => [
    b.id,
    b.host,
    b.volume,
    b.restorable ? humanSize(b.sizeBytes) : "-",
    age(b.ageSeconds),
    b.who,
    shortSum(b),
    b.restorable
      ? `complete, ${b.expired ? "expired" : "expires"} ${shortTime(b.expiresAt)}`
      : `FAILED: ${b.error ?? "incomplete"}`,
    b.why ?? "-",
  ]);
  const failed = r.backups.filter((b) => !b.restorable).length;
  return joinLines([
    head,
    ...table([["ID", "HOST", "VOLUME", "SIZE", "AGE", "WHO", "SHA256", "STATUS", "WHY"], ...rows]),
    ...(failed > 0 ? [`${failed} failed: kept as a record only, never restorable.`] : []),
  ]);
}

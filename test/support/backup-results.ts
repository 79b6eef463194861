// Results of backup, backups and restore built by hand, for the unit tests of their renderings.
import type { BackupRow } from "../../src/commands/backups/run.js";

let n = 0;
export function row(over: Partial<BackupRow> = {}): BackupRow {
  n++;
  return {
    id: `bk-20261203-0615${String(n % 60).padStart(2, "0")}-${n.toString(16).padStart(8, "0")}`,
    status: "complete",
    restorable: true,
    host: "host1",
    volume: "pgdata",
    driver: "local",
    sizeBytes: 1_200_000,
    contentBytes: 5_000_000,
    entries: 12,
    sha256: "ab".repeat(32),
    who: "U0ALICE01",
    why: "before the upgrade",
    startedAt: "2026-12-03T06:15:12.000Z",
    finishedAt: "2026-12-03T06:15:14.000Z",
    ageSeconds: 7200,
    expiresAt: "2027-01-02T06:15:12.000Z",
    expired: false,
    error: null,
    ...over,
  };
}

export const failedRow = (over: Partial<BackupRow> = {}) =>
  row({
    status: "failed",
    restorable: false,
    sizeBytes: null,
    contentBytes: null,
    entries: 0,
    sha256: null,
    error: "host1: the engine closed the archive's stream before its end",
    ...over,
  });

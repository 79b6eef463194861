/**
 * The two commands that make deletion requests, as the approvals take them: the parser
 * (src/commands/parse.ts) produces these shapes, the plan (plan.ts) reads them.
 */
import type { LabelRule } from "../config/types.js";
import type { Duration } from "./duration.js";

/** At most this many volumes in one `rm`. */
export const MAX_RM_VOLUMES = 200;

export interface RmCommand {
  name: "rm";
  host: string;
  volumes: string[];
  reason: string | null;
  /** --no-backup: delete without a backup first even when backup.beforeDelete is required. */
  noBackup: boolean;
}

export interface PruneCommand {
  name: "prune";
  host: string;
  project: string | null;
  labels: LabelRule[];
  olderThan: Duration | null;
  /** --no-backup, as rm's. */
  noBackup: boolean;
}

/**
 * Deletion requests (SPEC §4): the records the store keeps (so it owns their types) and every
 * front end shows. A request is decided once: pending → approved → executing → done, or
 * pending → rejected | expired. An execution that stops before it ends is paused (executing →
 * paused); an approver resumes it (paused → approved), the requester or an approver cancels it
 * (pending | approved | paused → cancelled), and an approved request not finished within
 * `requests.ttlHours` of its approval lapses (approved | executing | paused → lapsed).
 */

export type RequestStatus =
  | "pending"
  | "approved"
  | "executing"
  | "paused"
  | "done"
  | "rejected"
  | "expired"
  | "cancelled"
  | "lapsed";

/** The statuses of a request that is not over: it may still delete something. */
export const OPEN_STATUSES: readonly RequestStatus[] = ["pending", "approved", "executing", "paused"];
/** The statuses of a request that is over: nothing more will be deleted. */
export const CLOSED_STATUSES: readonly RequestStatus[] = [
  "done",
  "rejected",
  "expired",
  "cancelled",
  "lapsed",
];

/** Why an execution stopped before it ended. */
export interface PauseRecord {
  kind: "unreachable" | "deadline" | "signal" | "failure";
  /** For people: "host1 unreachable: connection refused", "the dvol process was stopped (SIGINT)". */
  reason: string;
  /** ISO 8601 UTC. */
  at: string;
  /**
   * Deletions may have been sent without their outcome on record (the host went away mid-way, the
   * executor was killed): the resumed execution then counts a planned volume found gone as deleted
   * by the run that stopped, never deleting anything twice.
   */
  unrecorded?: boolean;
}

/** A volume the request will delete, as it was when the plan was made. */
export interface PlannedVolume {
  name: string;
  driver: string;
  sizeBytes: number | null;
  /**
   * When the size was measured (ISO; issue 12), null when it never was; absent in plans made
   * before dvol recorded it. Shown with the size; execution never depends on it.
   */
  sizeMeasuredAt?: string | null;
  /** The engine's CreatedAt (normalised, UTC): execution deletes only the same volume. */
  createdAt: string | null;
  project: string | null;
  /**
   * The volume's driver, options and labels at planning, as one digest (approvals/plan.ts,
   * volumeIdentity): CreatedAt has one-second resolution, so a volume deleted and re-created within
   * the same second is told apart by these. Absent in plans made before dvol recorded it.
   */
  identity?: string;
}

/**
 * in-use, protected, missing; or too-big: with `backup.beforeDelete: required`, a volume whose
 * backup could not be taken (over `backup.maxBytes`, or too big for the time the executing
 * function has) unless the request says --no-backup.
 */
export type BlockReason = "in-use" | "protected" | "missing" | "too-big";

/**
 * Whether the execution backs each volume up before deleting it (SPEC §4.8, §10): `first` (with
 * `backup.beforeDelete: required`), `skipped` (required, but the request says --no-backup: shown
 * plainly to the approver and audited), `off` (backup.beforeDelete: off). Absent in requests made
 * before dvol recorded it: read as `off`.
 */
export type BackupMode = "first" | "skipped" | "off";

/** A volume that was asked for but is not part of the request, and why. */
export interface BlockedVolume {
  name: string;
  reason: BlockReason;
  /** For people: "used by web-1 (running)", "matches protect rule *postgres*", "no such volume". */
  detail: string;
}

export type VolumeOutcome =
  /** `note` says when the volume was found gone on a retry: deleted by the attempt that crashed. */
  | {
      name: string;
      result: "deleted";
      freedBytes: number | null;
      note?: string;
      /** The complete backup taken just before the deletion (backup mode `first`). */
      backupId?: string;
    }
  | { name: string; result: "skipped"; reason: string }
  /** `backupId`: a backup recorded as failed (the volume was then not deleted). */
  | { name: string; result: "failed"; error: string; backupId?: string };

export interface DeletionRequest {
  /** "DR-" and 8 characters of [0-9A-Z], unique. */
  id: string;
  kind: "rm" | "prune";
  host: string;
  /** Slack user ID, or "cli:<user>" for a request made with the CLI. */
  requester: string;
  reason: string | null;
  /** The command as typed, for messages and the audit trail. */
  command: string;
  /** Slack channel and the parent message of the request's thread (null from the CLI). */
  channel: string | null;
  messageTs: string | null;
  /**
   * The plan message in the thread, which carries Approve and Reject (absent before it is posted,
   * and on requests from before it was kept): a click counts only from the request's own messages.
   */
  planTs?: string | null;
  status: RequestStatus;
  /** ISO 8601 UTC. */
  createdAt: string;
  expiresAt: string;
  plan: PlannedVolume[];
  blocked: BlockedVolume[];
  /** Backed up before deletion or not (absent: `off`, requests from before it was recorded). */
  backup?: BackupMode;
  decidedBy: string | null;
  decidedAt: string | null;
  /** Who is executing and until when the claim holds (a crashed worker's retry takes over after). */
  executor: string | null;
  leaseUntil: string | null;
  /** One per planned volume once executed (filled as execution goes). */
  outcomes: VolumeOutcome[];
  /** Why the last execution stopped before it ended (set while paused, kept after). */
  paused?: PauseRecord;
  /** Who cancelled it, or "dvol" when it lapsed, and when (ISO). */
  closedBy?: string;
  closedAt?: string;
  /** Bumped by every update: updates are conditional on it (optimistic concurrency). */
  version: number;
}

export type AuditAction =
  | "requested"
  | "approved"
  | "rejected"
  | "expired"
  | "refused"
  | "executing"
  | "volume"
  | "executed"
  | "paused"
  | "handover"
  | "resumed"
  | "cancelled"
  | "lapsed"
  /** A Restore button under the outcome: a volume restored from its backup, or the attempt that failed. */
  | "restored";

/** One step of a request's life, kept for the record: who, when, what, result. */
export interface AuditRecord {
  requestId: string;
  /** ISO 8601 UTC; with `seq`, orders the records of a request. */
  at: string;
  seq: number;
  actor: string;
  action: AuditAction;
  detail: Record<string, unknown>;
}

/**
 * The buttons of a deletion request (Approve and Reject on its plan, Resume and Cancel under a
 * pause, Restore under an outcome) as the router reads a click: their action ids, the
 * decision each stands for, and the shape of a request id. Nothing else, so the Slack handler
 * carries no rendering for a click.
 */

/** action_id of the Approve button (asks to confirm first); its value is the request id. */
export const APPROVE_ACTION_ID = "dvol_request_approve";
/** action_id of the Reject button; its value is the request id. */
export const REJECT_ACTION_ID = "dvol_request_reject";

/** action_id of a paused request's Resume button (in its thread); its value is the request id. */
export const RESUME_ACTION_ID = "dvol_request_resume";
/** action_id of a paused request's Cancel button (in its thread); its value is the request id. */
export const CANCEL_ACTION_ID = "dvol_request_cancel";

export type RequestDecision = "approve" | "reject" | "resume" | "cancel";

const DECISIONS: Record<string, RequestDecision> = {
  [APPROVE_ACTION_ID]: "approve",
  [REJECT_ACTION_ID]: "reject",
  [RESUME_ACTION_ID]: "resume",
  [CANCEL_ACTION_ID]: "cancel",
};

/** The decision a button's action_id stands for, or null when the button is not one of these. */
export function decisionOf(actionId: string): RequestDecision | null {
  return Object.hasOwn(DECISIONS, actionId) ? (DECISIONS[actionId] ?? null) : null;
}

/** "DR-" and 8 characters of [0-9A-Z] (src/store/records.ts). */
export const REQUEST_ID_RE = /^DR-[0-9A-Z]{8}$/;

/**
 * action_id of a Restore button under a deletion's outcome (one per volume with a backup); its
 * value is `<request id> <backup id>`: the button acts on that request's backup only.
 */
export const RESTORE_ACTION_ID = "dvol_request_restore";

/** A backup id (src/backup/manifest.ts's BACKUP_ID_RE, repeated: the router carries no backup code). */
const BACKUP_ID_RE = /^bk-\d{8}-\d{6}-[0-9a-f]{8}$/;

/** The value of a Restore button. */
export function restoreValue(requestId: string, backupId: string): string {
  return `${requestId} ${backupId}`;
}

/** The request and backup a Restore button's value names, or null when it is not one. */
export function parseRestoreValue(value: unknown): { requestId: string; backupId: string } | null {
  if (typeof value !== "string") return null;
  const [requestId = "", backupId = "", ...rest] = value.split(" ");
  if (rest.length > 0 || !REQUEST_ID_RE.test(requestId) || !BACKUP_ID_RE.test(backupId)) return null;
  return { requestId, backupId };
}

/**
 * The buttons of a deletion request's plan as the router reads a click: their action ids, the
 * decision each stands for, and the shape of a request id. Nothing else, so the Slack handler
 * carries no rendering for a click.
 */

/** action_id of the Approve button (asks to confirm first); its value is the request id. */
export const APPROVE_ACTION_ID = "dvol_request_approve";
/** action_id of the Reject button; its value is the request id. */
export const REJECT_ACTION_ID = "dvol_request_reject";

export type RequestDecision = "approve" | "reject";

/** The decision a button's action_id stands for, or null when the button is not one of these. */
export function decisionOf(actionId: string): RequestDecision | null {
  if (actionId === APPROVE_ACTION_ID) return "approve";
  if (actionId === REJECT_ACTION_ID) return "reject";
  return null;
}

/** "DR-" and 8 characters of [0-9A-Z] (src/store/records.ts). */
export const REQUEST_ID_RE = /^DR-[0-9A-Z]{8}$/;

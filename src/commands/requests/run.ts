/** `requests`: the open deletion requests and the last ones decided (SPEC §2). */
import { countOutcomes, type OutcomeSummary } from "../../approvals/execute.js";
import { decisionText, requestsOverview } from "../../approvals/requests.js";
import type { DeletionRequest, RequestStatus } from "../../store/records.js";
import type { Store } from "../../store/store.js";

export interface RequestRow {
  id: string;
  kind: "rm" | "prune";
  host: string;
  status: RequestStatus;
  requester: string;
  reason: string | null;
  command: string;
  createdAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  volumes: number;
  sizeBytes: number;
  blocked: number;
  /** Once executed (or while executing: what is done so far). */
  outcomes: OutcomeSummary | null;
  /** "waiting for an approver", "approved by U0BOB at … and executed". */
  state: string;
}

export interface RequestsResult {
  command: "requests";
  open: RequestRow[];
  decided: RequestRow[];
}

/** How many decided requests `requests` shows. */
const DECIDED_SHOWN = 10;

function requestRow(r: DeletionRequest): RequestRow {
  return {
    id: r.id,
    kind: r.kind,
    host: r.host,
    status: r.status,
    requester: r.requester,
    reason: r.reason,
    command: r.command,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
    volumes: r.plan.length,
    sizeBytes: r.plan.reduce((a, v) => a + (v.sizeBytes ?? 0), 0),
    blocked: r.blocked.length,
    outcomes: r.outcomes.length > 0 || r.status === "done" ? countOutcomes(r.outcomes) : null,
    state: decisionText(r),
  };
}

/** Lists requests; pending ones past their expiry are marked expired (and audited) on the way. */
export async function runRequests(store: Store, now: () => Date): Promise<RequestsResult> {
  const { open, decided } = await requestsOverview({ store, now }, { decidedLimit: DECIDED_SHOWN });
  return { command: "requests", open: open.map(requestRow), decided: decided.map(requestRow) };
}

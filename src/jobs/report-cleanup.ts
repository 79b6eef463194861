/**
 * A report's "Request cleanup" clicked again (SPEC §5): one open request per report and host. The
 * request a click opened is remembered under the report's id and the host (a memo, kept as long as
 * the report's lists); a later click while that request is open points to it instead of opening a
 * second one. Once it is decided (rejected, expired, cancelled, lapsed, executed), a click may open
 * a new one. Two clicks at the same moment: a claim on the report, the host and the request before
 * lets one of them open it; the other is told that it is being opened.
 */
import { isExpired, isLapsed } from "../approvals/requests.js";
import { renderCleanupAlreadyOpen, renderCleanupOpening } from "../commands/delete/slack-replies.js";
import { describeError } from "../errors.js";
import { errorFields } from "../log.js";
import { type DeletionRequest, OPEN_STATUSES } from "../store/records.js";
import type { Store } from "../store/store.js";
import { failedJob, makeTell, type RequestJobDeps } from "./request-common.js";

/** How long a click may take to open its request before another click may try again. */
export const CLEANUP_OPENING_MS = 15 * 60_000;

export function cleanupMemoKey(reportId: string, host: string): string {
  return `report-cleanup|${reportId}|${host}`;
}

/** Whether a request may still delete something: not decided, expired or lapsed by now. */
function stillOpen(r: DeletionRequest, now: Date): boolean {
  return OPEN_STATUSES.includes(r.status) && !isExpired(r, now) && !isLapsed(r, now);
}

export type CleanupSlot =
  /** A request opened from this report for this host is open: point to it, open nothing. */
  | { status: "open"; request: DeletionRequest }
  /** Another click is opening it right now. */
  | { status: "opening" }
  /** This click opens it: `opened` remembers the request, `failed` lets the next click try. */
  | { status: "free"; opened: (requestId: string) => Promise<void>; failed: () => Promise<void> };

/**
 * Whether a click on the report `reportId`'s button for `host` may open a request. `keepUntil` is
 * how long the request's id is remembered (the report's lists' lifetime).
 */
export async function takeCleanupSlot(
  store: Store,
  reportId: string,
  host: string,
  now: Date,
  keepUntil: Date,
): Promise<CleanupSlot> {
  const key = cleanupMemoKey(reportId, host);
  const open = async (id: string | null): Promise<DeletionRequest | null> => {
    if (id === null) return null;
    const r = await store.getRequest(id);
    return r && stillOpen(r, now) ? r : null;
  };
  const before = await store.getMemo(key);
  const current = await open(before);
  if (current) return { status: "open", request: current };

  // One click per (report, host, request before it): a decided request frees a new claim.
  const claimKey = `${key}|after:${before ?? "none"}`;
  const expiresAt = new Date(now.getTime() + CLEANUP_OPENING_MS).toISOString();
  if (!(await store.claim(claimKey, expiresAt, now.toISOString()))) {
    const meanwhile = await store.getMemo(key);
    const opened = meanwhile !== before ? await open(meanwhile) : null;
    return opened ? { status: "open", request: opened } : { status: "opening" };
  }
  return {
    status: "free",
    opened: (requestId) => store.putMemo(key, requestId, keepUntil.toISOString()),
    failed: () => store.releaseClaim(claimKey, expiresAt),
  };
}

/**
 * A click on a report's "Request cleanup" while its request for that host is open (`request`), or
 * being opened by another click (null): nothing opened, the person told.
 */
export type CleanupOutcome = { status: "already-open"; request: DeletionRequest | null; told: boolean };

/**
 * Opens the cleanup's request with `open` (once the clicker is allowed to), unless the report's
 * request for `host` is open or being opened: then the person who clicked is told which (ephemeral)
 * and nothing is opened. `openedId` reads the id of the request `open` opened, if it did.
 */
export async function onePerReportAndHost<T>(
  deps: Pick<RequestJobDeps, "store" | "slack" | "logger" | "now">,
  click: { reportId: string; host: string; text: string; responseUrl: string },
  keepMs: number,
  open: () => Promise<T>,
  openedId: (outcome: T) => string | null,
): Promise<T | CleanupOutcome | Awaited<ReturnType<typeof failedJob>>> {
  const log = deps.logger ?? console;
  const now = (deps.now ?? (() => new Date()))();
  let slot: CleanupSlot;
  try {
    const until = new Date(now.getTime() + keepMs);
    slot = await takeCleanupSlot(await deps.store(), click.reportId, click.host, now, until);
  } catch (err) {
    return failedJob(err, click, deps);
  }
  const tell = makeTell(deps, click.responseUrl);
  if (slot.status === "open") {
    log.info(`dvol: ${click.text}: ${slot.request.id} is already open; not opening another`);
    const told = await tell(renderCleanupAlreadyOpen(slot.request, now));
    return { status: "already-open", request: slot.request, told };
  }
  if (slot.status === "opening") {
    return { status: "already-open", request: null, told: await tell(renderCleanupOpening(click.host)) };
  }
  const taken = slot;
  const outcome = await open().catch(async (err: unknown) => {
    await taken.failed().catch(() => {});
    throw err;
  });
  try {
    const id = openedId(outcome);
    if (id !== null) await taken.opened(id);
    else await taken.failed();
  } catch (err) {
    // The request is open and posted; only the pointer to it is missing (a later click may open another).
    log.error(
      `dvol: ${click.text}: could not remember the request it opened: ${describeError(err)}`,
      errorFields(err),
    );
  }
  return outcome;
}

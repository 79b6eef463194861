/**
 * A backup or restore within the worker's time (README "Backups", "On AWS"): Lambda stops the
 * worker at its timeout (120 s), whatever it is doing, so a volume whose copy cannot finish in
 * the time left is refused before anything is written, with a message that points to the CLI,
 * which has no such limit. The time a copy needs is estimated from the volume's size (the
 * engine's `/system/df`, or remembered sizes) at an assumed rate; a copy that starts gets an
 * abort signal for the time left, so that even a slower one ends as a failed backup (recorded)
 * or a removed half-made volume, never as a function killed mid-write.
 */

/**
 * The rate a copy is assumed to reach in the worker: the archive read from the engine, gzipped
 * on the function's share of a CPU (512 MB: about a third of a vCPU) and uploaded. Conservative:
 * the test bed's engines on loopback reach several times this on one core.
 */
export const WORKER_COPY_BYTES_PER_SECOND = 8 * 1024 * 1024;

/** Time kept back for what follows a copy: removing the helper, the manifest, posting the result. */
export const COPY_MARGIN_MS = 20_000;

export type BudgetCheck =
  | { ok: true /** The time the copy may take, for its abort signal. */; allowMs: number }
  | { ok: false; needSeconds: number; leftSeconds: number };

/**
 * Whether copying `bytes` (null: unknown) fits in `remainingMs`, less the host's deadline (the
 * calls around the stream) and COPY_MARGIN_MS. An unknown size is allowed to start, under the
 * abort signal.
 */
export function checkBudget(
  bytes: number | null,
  remainingMs: number,
  hostTimeoutMs: number,
  rate = WORKER_COPY_BYTES_PER_SECOND,
): BudgetCheck {
  const allowMs = Math.floor(remainingMs - hostTimeoutMs - COPY_MARGIN_MS);
  const needMs = bytes === null ? 0 : (bytes / rate) * 1000;
  if (allowMs > 0 && needMs <= allowMs) return { ok: true, allowMs };
  return {
    ok: false,
    needSeconds: Math.ceil(needMs / 1000),
    leftSeconds: Math.max(0, Math.floor(allowMs / 1000)),
  };
}

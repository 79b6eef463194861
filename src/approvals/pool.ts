/**
 * dvol's one concurrency limiter is p-limit, a well-kept library of the field rather than a pool
 * written by hand (ESM only, one tiny dependency; esbuild bundles it into the CJS Lambda and CLI
 * bundles: 1.6 KB in the worker's and the report's, nothing in the Slack handler's). The report
 * uses it as it is (`limit.map`). This module adds only what planning and execution need on top:
 * stop starting items once asked to or once one failed, and throw that first failure only after
 * the items already started have settled (nothing may be left running when the caller closes its
 * connections).
 */
import pLimit from "p-limit";

/**
 * Runs `fn` on every item, at most `limit` at once, in the items' order of start. Stops starting
 * new items once `stop()` is true or an `fn` threw (the first error is thrown once the items
 * already started have settled).
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let failed = false;
  let firstError: unknown;
  await pLimit(Math.max(1, limit)).map(items, async (item) => {
    if (failed || stop()) return;
    try {
      await fn(item);
    } catch (err) {
      if (!failed) firstError = err;
      failed = true;
    }
  });
  if (failed) throw firstError;
}

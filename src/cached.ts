/**
 * `make` once and keep the result, for what long-lived processes (Lambda, the local server) build
 * on first use; a failed attempt is not kept, so the next call tries again. `fixed` (tests)
 * replaces it.
 */
export function cached<T>(make: () => Promise<T>, fixed?: T): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    if (fixed !== undefined) return Promise.resolve(fixed);
    if (!value) {
      value = make();
      value.catch(() => {
        value = undefined;
      });
    }
    return value;
  };
}

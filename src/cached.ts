/**
 * dvol's one memoization of asynchronous work: what a long-lived process (Lambda, the local
 * server) or a long-lived object (a secret resolver, a connection factory) makes on first use and
 * keeps. Concurrent first calls share one attempt; a failed attempt is not kept, so the next call
 * tries again.
 */

/** `make` once and keep the result. `fixed` (tests, or a value given by the caller) replaces it. */
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

/**
 * `cached` per key: the first call for a key makes its value with the `make` it is given; a failed
 * attempt is forgotten, and the next call for that key makes it again with its own `make`.
 */
export function cachedBy<T>(): (key: string, make: () => Promise<T>) => Promise<T> {
  const values = new Map<string, Promise<T>>();
  return (key, make) => {
    const kept = values.get(key);
    if (kept) return kept;
    const made = make();
    values.set(key, made);
    made.catch(() => {
      if (values.get(key) === made) values.delete(key);
    });
    return made;
  };
}

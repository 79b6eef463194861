// A clock tests move by hand, for code that takes `now` (an injected clock) instead of reading
// Date.now(): `now` for code that wants a Date, `ms` for code that wants milliseconds (the memory
// store's memo expiry). It never goes back when set.
export interface ManualClock {
  now(): Date;
  ms(): number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function manualClock(start: string | number): ManualClock {
  let t = typeof start === "number" ? start : Date.parse(start);
  if (!Number.isFinite(t)) throw new RangeError(`manualClock: bad start ${String(start)}`);
  return {
    now: () => new Date(t),
    ms: () => t,
    set(ms) {
      if (ms < t) throw new RangeError("manualClock: time does not go back");
      t = ms;
    },
    advance(ms) {
      t += ms;
    },
  };
}

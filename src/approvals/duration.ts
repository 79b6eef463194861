/** Durations as `prune --older-than` takes them: a whole number and a unit, `30m`, `12h`, `7d`, `2w`. */

export interface Duration {
  /** As typed, e.g. "7d". */
  text: string;
  ms: number;
}

const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** Ten years: anything longer is a typo. */
export const MAX_DURATION_MS = 3650 * 86_400_000;

export const DURATION_HELP =
  "a whole number and m, h, d or w (minutes, hours, days, weeks): 30m, 12h, 7d, 2w";

/** The duration, or null when `text` is not one (the caller says what is expected: DURATION_HELP). */
export function parseDuration(text: string): Duration | null {
  const m = /^([1-9]\d{0,5})([mhdw])$/.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  if (ms > MAX_DURATION_MS) return null;
  return { text: `${m[1]}${m[2]}`, ms };
}

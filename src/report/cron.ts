/**
 * A small 5-field cron (minute hour day-of-month month day-of-week, in UTC) for the local
 * server's DVOL_REPORT_CRON: `*`, numbers, lists (`1,15`), ranges (`1-5`) and steps (`*\/15`,
 * `0-30/10`). Day of week 0-7, Sunday 0 or 7. When both day fields are restricted, either
 * matching is enough (as in Vixie cron).
 */
import { describeError, UsageError } from "../errors.js";
import { errorFields } from "../log.js";

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 7 },
] as const;

export type CronMatcher = (at: Date) => boolean;

function field(text: string, f: (typeof FIELDS)[number]): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new UsageError(`cron: bad ${f.name} "${part}"`);
    const lo = m[1] === "*" ? f.min : Number(m[2]);
    const hi = m[1] === "*" ? f.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? f.max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < f.min || hi > f.max || lo > hi || step < 1) {
      throw new UsageError(`cron: ${f.name} "${part}" is outside ${f.min}-${f.max}`);
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parses a 5-field cron expression (UTC) into a matcher; a bad one throws a UsageError. */
export function parseCron(expr: string): CronMatcher {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5)
    throw new UsageError(`cron: "${expr}" needs 5 fields: minute hour day month weekday`);
  const [min, hour, dom, mon, dow] = parts.map((p, i) => field(p, FIELDS[i] as (typeof FIELDS)[number])) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (dow.has(7)) dow.add(0);
  const domAny = parts[2] === "*";
  const dowAny = parts[4] === "*";
  return (at) => {
    if (!min.has(at.getUTCMinutes()) || !hour.has(at.getUTCHours()) || !mon.has(at.getUTCMonth() + 1))
      return false;
    const d = dom.has(at.getUTCDate());
    const w = dow.has(at.getUTCDay());
    if (domAny && dowAny) return true;
    if (domAny) return w;
    if (dowAny) return d;
    return d || w;
  };
}

export interface CronSchedule {
  stop(): void;
}

/**
 * Checks `matches` at the start of each minute and runs `job` when it matches (never two runs at
 * once; a failure is logged, not thrown). The timer does not keep the process alive.
 */
export function scheduleCron(
  matches: CronMatcher,
  job: () => Promise<unknown>,
  opts: { now?: () => number; logger?: Pick<Console, "error"> } = {},
): CronSchedule {
  const now = opts.now ?? Date.now;
  const log = opts.logger ?? console;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let stopped = false;
  let lastMinute = -1;
  const arm = () => {
    if (stopped) return;
    const t = now();
    timer = setTimeout(tick, 60_000 - (t % 60_000) + 50);
    timer.unref?.();
  };
  const tick = () => {
    const minute = Math.floor(now() / 60_000);
    const at = new Date(minute * 60_000);
    // Once per minute, even if a timer fires early or twice.
    if (minute !== lastMinute && matches(at) && !running) {
      lastMinute = minute;
      running = true;
      job()
        .catch((err: unknown) =>
          log.error(`dvol: scheduled report failed: ${describeError(err)}`, errorFields(err)),
        )
        .finally(() => {
          running = false;
        });
    }
    arm();
  };
  arm();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

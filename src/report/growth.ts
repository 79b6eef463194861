/**
 * Growth in the daily report (issue 12): each host's dangling space and each volume's size against
 * the previous report, and the biggest growers among all volumes of a host. The previous report's
 * sizes are the store's `reported` slot (src/store/sizes.ts): each volume's size by name and
 * CreatedAt, and 35 days of daily totals.
 */
import { type RememberedSize, type SizeDay, type SizeSnapshot, sizeKey, withDay } from "../store/sizes.js";

/** How many of a host's volumes that grew most the report names. */
export const GROWERS = 5;

export interface Grower {
  name: string;
  sizeBytes: number;
  growthBytes: number;
}

export interface HostGrowth {
  /** The day of the report compared with (YYYY-MM-DD). */
  since: string;
  /** The host's dangling space that day. */
  danglingBytesBefore: number;
  /** The volumes that grew most since, largest growth first (at most GROWERS). */
  growers: Grower[];
}

/** The previous report's day in `history`: the newest before `date`. */
function previousDay(history: readonly SizeDay[] | undefined, date: string): SizeDay | null {
  const before = (history ?? []).filter((d) => d.day < date);
  return before.at(-1) ?? null;
}

/** Compares with the previous report (null when there is none before `date`). */
export function growthOf(
  previous: SizeSnapshot | null,
  date: string,
  all: readonly RememberedSize[],
): { growth: HostGrowth | null; sizeBefore: (v: RememberedSize) => number | null } {
  const day = previousDay(previous?.history, date);
  const before = new Map(
    previous && day ? previous.volumes.map((v) => [sizeKey(v.name, v.createdAt), v.sizeBytes]) : [],
  );
  const sizeBefore = (v: RememberedSize) => before.get(sizeKey(v.name, v.createdAt)) ?? null;
  if (!previous || !day) return { growth: null, sizeBefore };
  const growers: Grower[] = [];
  for (const v of all) {
    const was = sizeBefore(v);
    if (v.sizeBytes === null || was === null || v.sizeBytes <= was) continue;
    growers.push({ name: v.name, sizeBytes: v.sizeBytes, growthBytes: v.sizeBytes - was });
  }
  growers.sort((a, b) => b.growthBytes - a.growthBytes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    growth: { since: day.day, danglingBytesBefore: day.danglingBytes, growers: growers.slice(0, GROWERS) },
    sizeBefore,
  };
}

/** What the store keeps of this report for the next one: every volume's size, and the day's totals. */
export function reportedSnapshot(
  host: string,
  date: string,
  measured: { measuredAt: string; volumes: RememberedSize[] },
  danglingBytes: number,
  previous: SizeSnapshot | null,
): SizeSnapshot {
  const totalBytes = measured.volumes.reduce((a, v) => a + (v.sizeBytes ?? 0), 0);
  return {
    host,
    measuredAt: measured.measuredAt,
    volumes: measured.volumes,
    history: withDay(previous?.history ?? [], {
      day: date,
      measuredAt: measured.measuredAt,
      totalBytes,
      danglingBytes,
      volumeCount: measured.volumes.length,
    }),
  };
}

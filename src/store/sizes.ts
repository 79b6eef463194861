/**
 * Remembered sizes (issue 12, SPEC §11): what each store keeps of a host's volume sizes, and how
 * it is encoded, the same for every implementation.
 *
 * A snapshot is one completed measurement of one host (`/system/df?type=volume`): when it
 * finished and every volume's size, keyed by name and CreatedAt (a volume removed and made again
 * under the same name is another volume, and does not inherit the old size). Two slots per host:
 * `measured` (the newest completed measurement, what ls, inspect, info and plans read) and
 * `reported` (the sizes the last daily report showed, with a bounded history of daily totals, for
 * the report's growth).
 *
 * A snapshot is stored brotli-compressed, as compact JSON (arrays, not objects): a host of 5,000
 * volumes with 60-character names is about 500 KB of JSON and some 60 KB compressed, within one
 * DynamoDB item; larger ones are split into parts (src/store/dynamo.ts).
 */
import { promisify } from "node:util";
import zlib from "node:zlib";
import { StoreError } from "../errors.js";
import { instantMs } from "./shared.js";

/** The two snapshots kept per host. */
export type SizeSlot = "measured" | "reported";
export const SIZE_SLOTS: readonly SizeSlot[] = ["measured", "reported"];

export interface RememberedSize {
  name: string;
  /** The volume's CreatedAt as the engine gave it (null when it gives none). */
  createdAt: string | null;
  /** null where the engine did not know (a driver that reports no usage). */
  sizeBytes: number | null;
}

/** One day's totals of a host, as a report saw them. */
export interface SizeDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  /** When the sizes were measured (ISO). */
  measuredAt: string;
  totalBytes: number;
  danglingBytes: number;
  volumeCount: number;
}

export interface SizeSnapshot {
  host: string;
  /** When the measurement finished (ISO 8601). */
  measuredAt: string;
  volumes: RememberedSize[];
  /** Daily totals, oldest first, at most HISTORY_DAYS (only the `reported` slot keeps them). */
  history?: SizeDay[];
}

/** How many days of totals a host's history keeps. */
export const HISTORY_DAYS = 35;

/** The history with `day` put in (replacing the same day), oldest first, bounded to HISTORY_DAYS. */
export function withDay(history: readonly SizeDay[], day: SizeDay): SizeDay[] {
  const kept = history.filter((d) => d.day !== day.day);
  kept.push(day);
  kept.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const oldest = new Date(Date.parse(`${day.day}T00:00:00Z`) - (HISTORY_DAYS - 1) * 86_400_000)
    .toISOString()
    .slice(0, 10);
  return kept.filter((d) => d.day >= oldest).slice(-HISTORY_DAYS);
}

export function checkSnapshot(s: SizeSnapshot, slot: SizeSlot): void {
  if (typeof s.host !== "string" || s.host.length === 0 || s.host.length > 200) {
    throw new RangeError(`store: bad host for sizes ${JSON.stringify(s.host)}`);
  }
  if (!SIZE_SLOTS.includes(slot)) throw new RangeError(`store: unknown size slot ${String(slot)}`);
  instantMs(s.measuredAt, "measuredAt");
}

/** The key a remembered size is found under: the volume's name and CreatedAt. */
export function sizeKey(name: string, createdAt: string | null): string {
  return `${name}\0${createdAt ?? ""}`;
}

const brotli = promisify(zlib.brotliCompress);
const unbrotli = promisify(zlib.brotliDecompress);

type Compact = {
  h: string;
  m: string;
  v: [string, string | null, number | null][];
  d?: [string, string, number, number, number][];
};

export async function encodeSnapshot(s: SizeSnapshot): Promise<Buffer> {
  const compact: Compact = {
    h: s.host,
    m: s.measuredAt,
    v: s.volumes.map((v) => [v.name, v.createdAt, v.sizeBytes]),
    ...(s.history
      ? {
          d: s.history.map((d) => [d.day, d.measuredAt, d.totalBytes, d.danglingBytes, d.volumeCount]),
        }
      : {}),
  };
  const json = JSON.stringify(compact);
  return brotli(json, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 5,
      [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: json.length,
    },
  });
}

export async function decodeSnapshot(z: Uint8Array, where: string): Promise<SizeSnapshot> {
  try {
    const c = JSON.parse((await unbrotli(z)).toString("utf8")) as Compact;
    return {
      host: c.h,
      measuredAt: c.m,
      volumes: c.v.map(([name, createdAt, sizeBytes]) => ({ name, createdAt, sizeBytes })),
      ...(c.d
        ? {
            history: c.d.map(([day, measuredAt, totalBytes, danglingBytes, volumeCount]) => ({
              day,
              measuredAt,
              totalBytes,
              danglingBytes,
              volumeCount,
            })),
          }
        : {}),
    };
  } catch (cause) {
    throw new StoreError(`${where}: remembered sizes cannot be decoded`, {
      cause,
      hint: "The record was changed by something other than dvol; it is replaced by the next measurement.",
    });
  }
}

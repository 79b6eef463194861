/**
 * Sizes for the commands (issue 12): what `ls`, `inspect`, `report` and deletion plans show of a
 * host's sizes, each with its age, without ever waiting past the host's deadline for them.
 *
 * A command lists volumes from the fast calls (Engine.volumesFast) and, at the same time, starts
 * or joins the host's measurement (keeper.ts) and reads the remembered one. It waits for the
 * measurement only as long as its policy says (SizesPolicy), then shows the newest completed
 * measurement: this one (fresh), or the remembered one with when it was measured. A late
 * measurement is a note on the host, never a failure of it.
 */
import { type HostConfig, sizesTimeoutMs } from "../config/types.js";
import type { Engine } from "../docker/engine.js";
import type { Volume } from "../docker/model.js";
import { type SizeSnapshot, sizeKey } from "../store/sizes.js";
import type { Store } from "../store/store.js";
import { FRESH_FOR_MS } from "./fresh.js";
import type { MeasureDeps, SizeKeeper } from "./keeper.js";

export { FRESH_FOR_MS };
/**
 * With remembered sizes to show, how long a command gives a measurement, from its start, before it
 * answers with them (at least until its fast calls are done).
 */
export const REMEMBERED_GRACE_MS = 500;
/** Without remembered sizes, a command waits for the measurement up to the host's deadline less this. */
export const DEADLINE_MARGIN_MS = 1_000;

/** What a command's sizes of one host are. */
export interface HostSizes {
  /** When the sizes shown were measured (ISO), or null when the host was never measured. */
  measuredAt: string | null;
  /** True when measured during this command (or within FRESH_FOR_MS of it). */
  fresh: boolean;
  /** Why the sizes are not fresh (a measurement late or failed), or null. */
  late: string | null;
}

/** A volume with its size's age. */
export type SizedVolume = Volume & { sizeMeasuredAt: string | null };

/** How long a command waits for a new measurement. */
export type SizesPolicy =
  /** Within the host's deadline; with remembered sizes, only REMEMBERED_GRACE_MS. */
  | "answer"
  /** Up to `sizes.timeoutSeconds` (`ls --fresh`), or `waitMs` when less time is left (a Lambda). */
  | { fresh: true; waitMs?: number };

/** What commands need to show sizes: made by the front end (RunContext.sizes). */
export interface SizesSource {
  keeper: SizeKeeper;
  /** The store, or null when there is none or it cannot be opened (nothing is remembered then). */
  store: () => Promise<Store | null>;
  policy: SizesPolicy;
}

export interface SizesLookup extends HostSizes {
  /** The size of a volume (by name and CreatedAt) and when it was measured. */
  of(v: Pick<Volume, "name" | "createdAt">): { sizeBytes: number | null; sizeMeasuredAt: string | null };
}

function lookupOf(snap: SizeSnapshot | null, meta: HostSizes): SizesLookup {
  const sizes = new Map((snap?.volumes ?? []).map((v) => [sizeKey(v.name, v.createdAt), v.sizeBytes]));
  return {
    ...meta,
    of: (v) => {
      const key = sizeKey(v.name, v.createdAt);
      if (!snap || !sizes.has(key)) return { sizeBytes: null, sizeMeasuredAt: null };
      return { sizeBytes: sizes.get(key) ?? null, sizeMeasuredAt: snap.measuredAt };
    },
  };
}

/** "1 s", "0.5 s", "600 s". */
const seconds = (ms: number) => {
  const s = Math.round(ms / 100) / 10;
  return `${s} s`;
};

/**
 * The sizes of `host` for a command whose fast calls are `fast`: the measurement started or joined
 * at once, waited for as the policy says, else the remembered sizes.
 */
export async function hostSizes(
  host: HostConfig,
  source: SizesSource,
  ctx: SizedContext,
  fast: Promise<readonly Pick<Volume, "name" | "createdAt">[]>,
): Promise<SizesLookup> {
  const started = ctx.now().getTime();
  const storeP = source.store().catch(() => null);
  const rememberedP = storeP.then((s) => (s ? s.getSizes(host.name, "measured").catch(() => null) : null));
  // A host whose fast calls fail is a failed host, and is not measured.
  const listed = await fast.catch(() => null);
  const [store, remembered] = await Promise.all([storeP, rememberedP]);
  if (!listed) return lookupOf(null, { measuredAt: null, fresh: false, late: "the host did not answer" });
  const fresh = source.policy !== "answer";
  // A measurement of a minute ago is this one's, if it knows every volume listed now.
  const known = new Set(remembered?.volumes.map((v) => sizeKey(v.name, v.createdAt)));
  const recent =
    remembered !== null &&
    started - Date.parse(remembered.measuredAt) < FRESH_FOR_MS &&
    listed.every((v) => known.has(sizeKey(v.name, v.createdAt)));
  if (!fresh && remembered && recent) {
    return lookupOf(remembered, { measuredAt: remembered.measuredAt, fresh: true, late: null });
  }
  const timeoutMs = sizesTimeoutMs(ctx.config);
  const m = source.keeper.measure(host, { connect: ctx.connect, store, now: ctx.now, timeoutMs });
  let waitMs: number;
  if (source.policy !== "answer") {
    waitMs = Math.max(REMEMBERED_GRACE_MS, Math.min(timeoutMs, source.policy.waitMs ?? timeoutMs));
  } else if (remembered) waitMs = REMEMBERED_GRACE_MS;
  else waitMs = Math.max(REMEMBERED_GRACE_MS, host.timeoutMs - DEADLINE_MARGIN_MS);
  const left = Math.max(0, started + waitMs - ctx.now().getTime());

  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), left);
  });
  const outcome = await Promise.race([m.done, budget]);
  clearTimeout(timer);
  if (outcome !== "late" && outcome.ok) {
    return lookupOf(outcome.snapshot, { measuredAt: outcome.snapshot.measuredAt, fresh: true, late: null });
  }
  // Another process may have finished one meanwhile.
  const newest = store ? await store.getSizes(host.name, "measured").catch(() => null) : null;
  const shown = newest && (!remembered || newest.measuredAt > remembered.measuredAt) ? newest : remembered;
  const why =
    outcome !== "late"
      ? `sizes could not be measured: ${outcome.error}`
      : fresh
        ? `measuring sizes takes longer than ${seconds(waitMs)}, all the time there was to wait`
        : `measuring sizes takes longer than ${seconds(waitMs)}; --fresh waits for it (up to ${seconds(timeoutMs)})`;
  return lookupOf(shown, { measuredAt: shown?.measuredAt ?? null, fresh: false, late: why });
}

/** The volumes with their sizes from `sizes` (the fast calls give none). */
export function sized(volumes: readonly Volume[], sizes: SizesLookup): SizedVolume[] {
  return volumes.map((v) => ({ ...v, ...sizes.of(v) }));
}

/** What a command needs to list a host's volumes with sizes. */
export interface SizedContext {
  config: Parameters<typeof sizesTimeoutMs>[0];
  connect: MeasureDeps["connect"];
  now: () => Date;
}

/**
 * Every volume of the host from the fast calls, with sizes as `hostSizes` finds them. The fast
 * calls fail the host as any call does; the measurement never does.
 */
export async function sizedVolumes(
  engine: Pick<Engine, "volumesFast">,
  host: HostConfig,
  source: SizesSource,
  ctx: SizedContext,
): Promise<{ volumes: SizedVolume[]; sizes: HostSizes }> {
  const fast = engine.volumesFast();
  const [volumes, sizes] = await Promise.all([fast, hostSizes(host, source, ctx, fast)]);
  return {
    volumes: sized(volumes, sizes),
    sizes: { measuredAt: sizes.measuredAt, fresh: sizes.fresh, late: sizes.late },
  };
}

/** How a front end lets commands measure: its keeper, and how long `--fresh` may wait there. */
export interface SizesSetting {
  keeper: SizeKeeper;
  /** The most a `--fresh` may wait (a Lambda function's time left); default `sizes.timeoutSeconds`. */
  freshWaitMs?: () => number;
}

/** A command's SizesSource: the front end's setting, the store (null when it cannot be opened). */
export function sizesSource(setting: SizesSetting, store: () => Promise<Store>, fresh: boolean): SizesSource {
  const waitMs = setting.freshWaitMs?.();
  return {
    keeper: setting.keeper,
    store: () => store().catch(() => null),
    policy: fresh ? { fresh: true, ...(waitMs === undefined ? {} : { waitMs }) } : "answer",
  };
}

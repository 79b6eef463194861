/** `ls <target>`: the volumes of each host, filtered, sorted and limited; the JSON rows of SPEC §2. */
import { resolveTarget } from "../../config/targets.js";
import type { CommandContext } from "../../docker/context.js";
import { forEachHost, type HostResult } from "../../docker/fanout.js";
import { isDangling, projectOf, type Volume } from "../../docker/model.js";
import { type HostSizes, type SizesSource, sizedVolumes } from "../../sizes/view.js";
import type { Command } from "../parse.js";

export type LsCommand = Extract<Command, { name: "ls" }>;

/** One volume as `ls` reports it (SPEC §2's JSON). */
export interface VolumeRow {
  name: string;
  driver: string;
  sizeBytes: number | null;
  /** When the size was measured (ISO); null when it never was (issue 12). */
  sizeMeasuredAt: string | null;
  refCount: number | null;
  dangling: boolean | null;
  createdAt: string | null;
  project: string | null;
  labels: Record<string, string>;
}

/**
 * What every volume that matched the filters adds up to, before --limit cut the rows: the host's
 * totals, whatever is shown.
 */
export interface LsTotals {
  /** The known sizes, summed. */
  sizeBytes: number;
  /** Volumes whose size the engine does not know (not in sizeBytes). */
  sizeUnknown: number;
  dangling: number;
  /** The known sizes of the dangling volumes, summed. */
  danglingBytes: number;
}

export interface LsData {
  /** Volumes that matched the filters, before --limit. */
  matched: number;
  /** Rows in `volumes`: `matched`, or fewer when --limit cut the list. */
  shown: number;
  /** The totals of all `matched` volumes, not only of the rows shown. */
  totals: LsTotals;
  volumes: VolumeRow[];
  /** How old the sizes are, and why they are not fresh (issue 12); absent: measured just now. */
  sizes?: HostSizes;
}

export interface LsResult {
  command: "ls";
  /** When the hosts were asked (ISO): sizes' ages are told from it (default: when rendered). */
  at?: string;
  hosts: HostResult<LsData>[];
}

export async function runLs(cmd: LsCommand, ctx: CommandContext, sizes: SizesSource): Promise<LsResult> {
  const targets = resolveTarget(ctx.config, cmd.target);
  const at = ctx.now().toISOString();
  const hosts = await forEachHost(targets, ctx.connect, async (engine, host) => {
    const found = await sizedVolumes(engine, host, sizes, ctx);
    return { ...selectVolumes(found.volumes, cmd), sizes: found.sizes };
  });
  return { command: "ls", at, hosts };
}

export function toRow(v: Volume & { sizeMeasuredAt?: string | null }): VolumeRow {
  return {
    name: v.name,
    driver: v.driver,
    sizeBytes: v.sizeBytes,
    sizeMeasuredAt: v.sizeMeasuredAt ?? null,
    refCount: v.refCount,
    dangling: isDangling(v),
    createdAt: v.createdAt,
    project: projectOf(v),
    labels: v.labels,
  };
}

/** Applies ls's filters, sort and limit. */
export function selectVolumes(
  volumes: readonly (Volume & { sizeMeasuredAt?: string | null })[],
  cmd: LsCommand,
): Omit<LsData, "sizes"> {
  const needle = cmd.nameContains?.toLowerCase();
  const rows = volumes
    .map(toRow)
    .filter(
      (v) =>
        (!cmd.dangling || v.dangling === true) &&
        (cmd.project === null || v.project === cmd.project) &&
        (cmd.driver === null || v.driver === cmd.driver) &&
        (needle === undefined || v.name.toLowerCase().includes(needle)) &&
        cmd.labels.every(
          (l) => Object.hasOwn(v.labels, l.key) && (l.value === undefined || v.labels[l.key] === l.value),
        ),
    );
  rows.sort(COMPARE[cmd.sort]);
  const shown = cmd.limit === null ? rows : rows.slice(0, cmd.limit);
  return { matched: rows.length, shown: shown.length, totals: lsTotals(rows), volumes: shown };
}

/** The totals of `rows` (every row that matched, before --limit). */
export function lsTotals(rows: readonly VolumeRow[]): LsTotals {
  const t: LsTotals = { sizeBytes: 0, sizeUnknown: 0, dangling: 0, danglingBytes: 0 };
  for (const v of rows) {
    if (v.sizeBytes === null) t.sizeUnknown++;
    else t.sizeBytes += v.sizeBytes;
    if (v.dangling === true) {
      t.dangling++;
      t.danglingBytes += v.sizeBytes ?? 0;
    }
  }
  return t;
}

const byName = (a: VolumeRow, b: VolumeRow) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const COMPARE: Record<LsCommand["sort"], (a: VolumeRow, b: VolumeRow) => number> = {
  name: byName,
  size: (a, b) => (b.sizeBytes ?? -1) - (a.sizeBytes ?? -1) || byName(a, b),
  created: (a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? "") || byName(a, b),
};

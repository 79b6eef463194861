/** `inspect <host> <volume>`: one volume, its size, and every container that uses it (SPEC §2). */
import { resolveHost } from "../../config/targets.js";
import type { CommandContext } from "../../docker/context.js";
import { forEachHost, type HostResult } from "../../docker/fanout.js";
import type { ContainerUse } from "../../docker/model.js";
import { type HostSizes, hostSizes, type SizesSource } from "../../sizes/view.js";
import { toRow, type VolumeRow } from "../ls/run.js";

export interface VolumeDetail extends VolumeRow {
  mountpoint: string;
  scope: string;
  options: Record<string, string>;
  containers: ContainerUse[];
}

export interface InspectData {
  volume: VolumeDetail;
  /** How old the size is, and why it is not fresh (issue 12); absent: measured just now. */
  sizes?: HostSizes;
}

export interface InspectResult {
  command: "inspect";
  /** When the host was asked (ISO): the size's age is told from it (default: when rendered). */
  at?: string;
  hosts: HostResult<InspectData>[];
}

/** One volume with its size and every container that uses it. */
export async function runInspect(
  host: string,
  volume: string,
  ctx: CommandContext,
  source: SizesSource,
): Promise<InspectResult> {
  const at = ctx.now().toISOString();
  const hosts = await forEachHost(
    [resolveHost(ctx.config, host)],
    ctx.connect,
    async (engine, hostConfig) => {
      const fast = Promise.all([engine.inspectVolume(volume), engine.containersUsing(volume)]);
      const [[v, containers], sizes] = await Promise.all([
        fast,
        hostSizes(
          hostConfig,
          source,
          ctx,
          fast.then(([one]) => [one]),
        ),
      ]);
      const row = toRow({ ...v, ...sizes.of(v), refCount: containers.length });
      return {
        volume: { ...row, mountpoint: v.mountpoint, scope: v.scope, options: v.options, containers },
        sizes: { measuredAt: sizes.measuredAt, fresh: sizes.fresh, late: sizes.late },
      };
    },
  );
  return { command: "inspect", at, hosts };
}

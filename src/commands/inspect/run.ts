/** `inspect <host> <volume>`: one volume, its size, and every container that uses it (SPEC §2). */
import { resolveHost } from "../../config/targets.js";
import type { CommandContext } from "../../docker/context.js";
import { forEachHost, type HostResult } from "../../docker/fanout.js";
import type { ContainerUse } from "../../docker/model.js";
import { toRow, type VolumeRow } from "../ls/run.js";

export interface VolumeDetail extends VolumeRow {
  mountpoint: string;
  scope: string;
  options: Record<string, string>;
  containers: ContainerUse[];
}

export interface InspectResult {
  command: "inspect";
  hosts: HostResult<{ volume: VolumeDetail }>[];
}

/** One volume with its size and every container that uses it. */
export async function runInspect(host: string, volume: string, ctx: CommandContext): Promise<InspectResult> {
  const hosts = await forEachHost([resolveHost(ctx.config, host)], ctx.connect, async (engine) => {
    const [v, containers, withUsage] = await Promise.all([
      engine.inspectVolume(volume),
      engine.containersUsing(volume),
      engine.volumesWithUsage(),
    ]);
    const usage = withUsage.find((u) => u.name === v.name);
    const row = toRow({
      ...v,
      sizeBytes: usage?.sizeBytes ?? null,
      refCount: usage?.refCount ?? containers.length,
    });
    return {
      volume: { ...row, mountpoint: v.mountpoint, scope: v.scope, options: v.options, containers },
    };
  });
  return { command: "inspect", hosts };
}

import { resolveHost } from "../config/targets.js";
import type { CommandContext } from "../docker/context.js";
import { forEachHost, type HostResult } from "../docker/fanout.js";
import type { ContainerUse } from "../docker/model.js";
import { humanSize, shortTime } from "../format.js";
import { perHostText, table } from "./context.js";
import { toRow, type VolumeRow } from "./ls.js";

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

const pairs = (m: Record<string, string>) =>
  Object.keys(m).length === 0
    ? ["  (none)"]
    : Object.entries(m)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `  ${k}=${v}`);

export function renderInspectText(r: InspectResult): string {
  return perHostText(r.hosts, (h) => {
    const v = h.volume;
    const used = v.containers.map((c) => [c.name, c.state, c.image, c.mountPath, c.readOnly ? "ro" : "rw"]);
    return [
      `${h.host}: volume ${v.name}`,
      `Driver: ${v.driver}`,
      `Mountpoint: ${v.mountpoint}`,
      `Created: ${shortTime(v.createdAt)}`,
      `Size: ${humanSize(v.sizeBytes)}`,
      `Project: ${v.project ?? "-"}`,
      `Dangling: ${v.dangling === null ? "?" : v.dangling ? "yes" : "no"}`,
      "Options:",
      ...pairs(v.options),
      "Labels:",
      ...pairs(v.labels),
      `Used by ${v.containers.length} container${v.containers.length === 1 ? "" : "s"}${used.length ? ":" : ""}`,
      ...(used.length
        ? table([["NAME", "STATE", "IMAGE", "MOUNT", "MODE"], ...used]).map((l) => `  ${l}`)
        : []),
    ];
  });
}

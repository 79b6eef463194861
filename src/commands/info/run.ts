/** `info <host>`: what `docker info` says of storage and what `docker system df` says (SPEC §2). */
import { resolveHost } from "../../config/targets.js";
import type { CommandContext } from "../../docker/context.js";
import { forEachHost, type HostResult } from "../../docker/fanout.js";
import type { DiskUsage, StorageInfo } from "../../docker/model.js";

export interface InfoData {
  engineVersion: string;
  apiVersion: string;
  storage: StorageInfo;
  diskUsage: DiskUsage;
}

export interface InfoResult {
  command: "info";
  hosts: HostResult<InfoData>[];
}

/** What `docker info` says of storage and what `docker system df` says, for one host. */
export async function runInfo(host: string, ctx: CommandContext): Promise<InfoResult> {
  const hosts = await forEachHost([resolveHost(ctx.config, host)], ctx.connect, async (engine) => {
    const [storage, diskUsage] = await Promise.all([engine.storageInfo(), engine.diskUsage()]);
    return {
      engineVersion: engine.version.engineVersion,
      apiVersion: engine.version.apiVersion,
      storage,
      diskUsage,
    };
  });
  return { command: "info", hosts };
}

/** `hosts`: every registered host asked at once, each in one round trip (SPEC §2). */
import { describeEndpoint } from "../../config/types.js";
import type { CommandContext } from "../../docker/context.js";
import { Engine } from "../../docker/engine.js";
import { forEachConnection, type HostResult } from "../../docker/fanout.js";

export interface HostRow {
  endpoint: string;
  labels: Record<string, string>;
  engineVersion: string;
  apiVersion: string;
  engineApiVersion: string;
  storageDriver: string;
  volumeCount: number;
  /** Reached through a dvol gate (the gate says so in a header of its answers). */
  gated: boolean;
}

export interface HostsResult {
  command: "hosts";
  hosts: HostResult<HostRow>[];
}

/** Every registered host, asked concurrently, each in one round trip. */
export async function runHosts(ctx: CommandContext): Promise<HostsResult> {
  const hosts = await forEachConnection(ctx.config.hosts, ctx.connect, async (conn, host) => {
    const o = await Engine.overview(conn);
    return {
      endpoint: describeEndpoint(host.endpoint),
      labels: host.labels,
      engineVersion: o.version.engineVersion,
      apiVersion: o.version.apiVersion,
      engineApiVersion: o.version.engineApiVersion,
      storageDriver: o.storage.storageDriver,
      volumeCount: o.volumeCount,
      gated: o.gated,
    };
  });
  return { command: "hosts", hosts };
}

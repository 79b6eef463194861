import type { HostConfig } from "../config/types.js";
import type { DvolError } from "../errors.js";
import type { ConnectionFactory, EngineConnection } from "./connection.js";
import { Engine } from "./engine.js";
import { classifyFailure } from "./failures.js";

export type HostFailureResult = { host: string; ok: false; error: string; hint: string | null };
export type HostResult<T> = ({ host: string; ok: true; error: null } & T) | HostFailureResult;

/**
 * Runs `work` on every host at once, each on its own connection and under its own deadline, so a
 * host that refuses or hangs never holds up the others. Failures become `ok: false` results that
 * say what went wrong; the other hosts are still reported.
 */
export function forEachConnection<T extends object>(
  hosts: readonly HostConfig[],
  connect: ConnectionFactory,
  work: (conn: EngineConnection, host: HostConfig) => Promise<T>,
): Promise<HostResult<T>[]> {
  return Promise.all(
    hosts.map(async (host): Promise<HostResult<T>> => {
      let conn: EngineConnection | undefined;
      try {
        conn = await connect(host);
        return { host: host.name, ok: true, error: null, ...(await work(conn, host)) };
      } catch (err) {
        return failure(host.name, classifyFailure(host, err));
      } finally {
        conn?.close();
      }
    }),
  );
}

/**
 * forEachConnection with an Engine on each connection, its API version negotiated by its first
 * call (Engine.lazy: `ls` and `report` then need no /version call).
 */
export function forEachHost<T extends object>(
  hosts: readonly HostConfig[],
  connect: ConnectionFactory,
  work: (engine: Engine, host: HostConfig) => Promise<T>,
): Promise<HostResult<T>[]> {
  return forEachConnection(hosts, connect, async (conn, host) => work(Engine.lazy(conn), host));
}

export function failure(host: string, err: DvolError): HostFailureResult {
  return { host, ok: false, error: err.message, hint: err.hint ?? null };
}

export function allOk(results: readonly { ok: boolean }[]): boolean {
  return results.every((r) => r.ok);
}

/**
 * One host's connections for a run of many calls (a deletion's volumes): reused while young, each
 * made with the host's deadline, failures classified as the host's.
 */
import type { HostConfig } from "../config/types.js";
import type { ConnectionFactory, EngineConnection } from "./connection.js";
import { Engine, type EngineVersion } from "./engine.js";
import { classifyFailure } from "./failures.js";

/**
 * Connections to the host for the volumes' calls, reused while young: one connection's deadline
 * covers every call made on it, so none is used past half of it.
 */
export class HostEngines {
  private idle: { conn: EngineConnection; engine: Engine; born: number }[] = [];

  constructor(
    private readonly host: HostConfig,
    private readonly connect: ConnectionFactory,
    private readonly version: EngineVersion,
    first: EngineConnection,
  ) {
    this.idle.push({ conn: first, engine: Engine.withVersion(first, version), born: Date.now() });
  }

  static async open(host: HostConfig, connect: ConnectionFactory): Promise<HostEngines> {
    let conn: EngineConnection | undefined;
    try {
      conn = await connect(host);
      return new HostEngines(host, connect, await Engine.version(conn), conn);
    } catch (err) {
      conn?.close();
      throw classifyFailure(host, err);
    }
  }

  async use<T>(fn: (engine: Engine) => Promise<T>): Promise<T> {
    let slot = this.idle.pop();
    while (slot && Date.now() - slot.born > this.host.timeoutMs / 2) {
      slot.conn.close();
      slot = this.idle.pop();
    }
    if (!slot) {
      const conn = await this.connect(this.host).catch((err: unknown) => {
        throw classifyFailure(this.host, err);
      });
      slot = { conn, engine: Engine.withVersion(conn, this.version), born: Date.now() };
    }
    try {
      const result = await fn(slot.engine);
      this.idle.push(slot);
      return result;
    } catch (err) {
      slot.conn.close();
      throw err;
    }
  }

  close(): void {
    for (const s of this.idle.splice(0)) s.conn.close();
  }
}

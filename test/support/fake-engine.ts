// A Docker engine faked at the HTTP layer (EngineConnection), for unit tests of planning and
// execution: the real Engine client runs on it, and every call is recorded.
import type { Config, HostConfig } from "../../src/config/types.js";
import type { ConnectionFactory, EngineConnection, EngineRequest } from "../../src/docker/connection.js";
import { HostError } from "../../src/errors.js";

export interface FakeVolume {
  name: string;
  createdAt?: string;
  labels?: Record<string, string>;
  sizeBytes?: number;
  driver?: string;
}

export interface FakeContainer {
  name: string;
  state: string;
  volumes: string[];
}

export class FakeEngine {
  readonly volumes = new Map<string, Required<FakeVolume>>();
  readonly containers: FakeContainer[] = [];
  /** Every request, as "METHOD path". */
  readonly calls: string[] = [];
  /** Runs before each request is answered (tests change the state here, or throw). */
  beforeAnswer: (req: EngineRequest) => void | Promise<void> = () => {};
  apiVersion = "1.41";

  addVolume(v: FakeVolume): this {
    this.volumes.set(v.name, {
      createdAt: "2026-01-01T00:00:00Z",
      labels: {},
      sizeBytes: 1000,
      driver: "local",
      ...v,
    });
    return this;
  }

  addContainer(c: FakeContainer): this {
    this.containers.push(c);
    return this;
  }

  deletes(name?: string): number {
    return this.calls.filter((c) => c.startsWith("DELETE ") && (!name || c.endsWith(`/volumes/${name}`)))
      .length;
  }

  private users(name: string): FakeContainer[] {
    return this.containers.filter((c) => c.volumes.includes(name));
  }

  private volumeJson(v: Required<FakeVolume>) {
    return {
      Name: v.name,
      Driver: v.driver,
      Mountpoint: `/var/lib/docker/volumes/${v.name}/_data`,
      Scope: "local",
      CreatedAt: v.createdAt,
      Labels: v.labels,
      Options: {},
      UsageData: { Size: v.sizeBytes, RefCount: this.users(v.name).length },
    };
  }

  private fail(host: string, status: number, message: string): never {
    throw new HostError(host, "api", `engine error ${status}: ${message}`, { statusCode: status });
  }

  async answer(host: string, req: EngineRequest): Promise<unknown> {
    this.calls.push(`${req.method} ${req.path}`);
    await this.beforeAnswer(req);
    const path = req.path.replace(/^\/v\d+\.\d+/, "");
    if (path === "/version")
      return { ApiVersion: this.apiVersion, Version: "20.10.24", MinAPIVersion: "1.12" };
    if (path === "/system/df") return { Volumes: [...this.volumes.values()].map((v) => this.volumeJson(v)) };
    if (path === "/volumes" && req.method === "GET") {
      // GET /volumes carries no usage (only /system/df measures).
      const filters = JSON.parse(String(req.query?.filters ?? "{}")) as { dangling?: string[] };
      const dangling = filters.dangling?.[0];
      const listed = [...this.volumes.values()].filter(
        (v) => dangling === undefined || (this.users(v.name).length === 0) === (dangling === "true"),
      );
      return { Volumes: listed.map((v) => ({ ...this.volumeJson(v), UsageData: null })) };
    }
    if (path === "/containers/json") {
      const wanted = (JSON.parse(String(req.query?.filters ?? "{}")) as { volume?: string[] }).volume ?? [];
      return this.containers
        .filter((c) => wanted.every((w) => c.volumes.includes(w)))
        .map((c, i) => ({
          Id: `c${i}`.padEnd(64, "0"),
          Names: [`/${c.name}`],
          State: c.state,
          Image: "busybox",
          Mounts: c.volumes.map((v) => ({ Type: "volume", Name: v, Destination: `/${v}`, RW: true })),
        }));
    }
    const m = /^\/volumes\/([^/]+)$/.exec(path);
    if (m) {
      const name = decodeURIComponent(m[1] as string);
      const v = this.volumes.get(name);
      if (!v) this.fail(host, 404, `get ${name}: no such volume`);
      if (req.method === "GET") return this.volumeJson(v);
      if (req.method === "DELETE") {
        if (this.users(name).length > 0) this.fail(host, 409, `remove ${name}: volume is in use - [c0]`);
        this.volumes.delete(name);
        return null;
      }
    }
    this.fail(host, 404, `page not found: ${req.method} ${req.path}`);
  }

  /** A ConnectionFactory whose connections all talk to this fake. */
  factory(): ConnectionFactory {
    return async (host: HostConfig): Promise<EngineConnection> => ({
      host: host.name,
      engineApiVersion: this.apiVersion,
      call: <T>(req: EngineRequest) => this.answer(host.name, req) as Promise<T>,
      close() {},
    });
  }
}

/** A config with one socket host `host1` and the given access / protect rules. */
export function fakeConfig(
  over: { access?: Partial<Config["access"]>; protect?: Partial<Config["protect"]>; ttlHours?: number } = {},
): Config {
  return {
    source: null,
    baseDir: "/",
    hosts: [
      { name: "host1", endpoint: { kind: "socket", path: "/fake.sock" }, labels: {}, timeoutMs: 20_000 },
    ],
    access: {
      channels: [],
      viewers: ["*"],
      requesters: ["*"],
      approvers: ["U0APPROVER"],
      allowSelfApproval: false,
      ...over.access,
    },
    report: { channel: null },
    protect: { names: [], labels: [], ...over.protect },
    requests: { ttlHours: over.ttlHours ?? 24 },
  };
}

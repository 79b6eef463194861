/**
 * The helper wire of backups and restores (docs: /work/notes/helper-wire.md, README "Backups"):
 * the exact Engine API requests dvol makes, and no others, so that the gate can admit exactly
 * these. A helper container is made from a tiny image dvol imports itself (an empty tar with a
 * CMD, no registry), is never started, mounts one volume at /volume, and is removed in every case.
 *
 * Each operation opens its own connection (so its own deadline): a backup can stream for longer
 * than a host's deadline, and the removal of the helper afterwards still gets a whole one.
 */
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import type { HostConfig } from "../config/types.js";
import { HostError } from "../errors.js";
import type { ConnectionFactory, EngineConnection } from "./connection.js";
import { Engine } from "./engine.js";
import { jsonBody, readJson, readSmall, type StreamAnswer, type StreamRequest } from "./stream.js";

export const HELPER_IMAGE = "dvol-helper:1";
export const HELPER_CMD = "/dvol-helper";
/** The mount point of the volume in a helper. */
export const HELPER_MOUNT = "/volume";
/** An empty tar: two zero blocks. */
const EMPTY_TAR = Buffer.alloc(1024);

/** A volume as the engine describes it, with what a restore re-creates. */
export interface VolumeFacts {
  name: string;
  driver: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
  createdAt: string | null;
}

const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) if (typeof x === "string") out[k] = x;
  return out;
};

export class HelperWire {
  private prefix: string | null = null;

  constructor(
    readonly host: HostConfig,
    private readonly connect: ConnectionFactory,
    private readonly hex: () => string = () => randomBytes(8).toString("hex"),
    private readonly stallMs?: number,
  ) {}

  /** `/v1.41`: negotiated once, on a connection of its own. */
  async versionPrefix(): Promise<string> {
    if (this.prefix) return this.prefix;
    const conn = await this.connect(this.host);
    try {
      const engine = await Engine.open(conn);
      this.prefix = `/v${engine.version.apiVersion}`;
      return this.prefix;
    } finally {
      conn.close();
    }
  }

  /** One streaming exchange on a fresh connection, closed when the answer's body ends. */
  private async exchange(req: StreamRequest): Promise<StreamAnswer> {
    const conn = await this.connect(this.host);
    const stream = streamOf(conn, this.host);
    try {
      const answer = await stream({ ...req, ...(this.stallMs ? { stallMs: this.stallMs } : {}) });
      answer.body.once("close", () => conn.close());
      return answer;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  private async small<T>(req: StreamRequest): Promise<T> {
    return readJson<T>(this.host.name, await this.exchange(req));
  }

  /** 1-2: the helper image, imported from an empty tar unless it is there. */
  async ensureImage(): Promise<void> {
    const v = await this.versionPrefix();
    const existing = await this.exchange({
      method: "GET",
      path: `${v}/images/${HELPER_IMAGE}/json`,
      ok: [200, 404],
    });
    await readSmall(existing.body);
    if (existing.status === 200) return;
    const answer = await this.exchange({
      method: "POST",
      path: `${v}/images/create`,
      query: [
        ["fromSrc", "-"],
        ["repo", "dvol-helper"],
        ["tag", "1"],
        ["changes", `CMD ["${HELPER_CMD}"]`],
      ],
      headers: { "Content-Type": "application/x-tar" },
      body: EMPTY_TAR,
    });
    // A JSON stream of progress messages; a failure is one with "error".
    const text = (await readSmall(answer.body)).toString("utf8");
    const failed = text
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => {
        try {
          return JSON.parse(l) as { error?: string };
        } catch {
          return {};
        }
      })
      .find((m) => typeof m.error === "string");
    if (failed)
      throw new HostError(this.host.name, "api", `importing ${HELPER_IMAGE} failed: ${failed.error}`);
  }

  /** 3: a helper container mounting `volume` at /volume, never started; its id. */
  async createHelper(volume: string, readOnly: boolean): Promise<string> {
    const v = await this.versionPrefix();
    const body = {
      Image: HELPER_IMAGE,
      Cmd: [HELPER_CMD],
      Labels: { "dvol.helper": "1", "dvol.volume": volume },
      NetworkDisabled: true,
      HostConfig: {
        NetworkMode: "none",
        Mounts: [{ Type: "volume", Source: volume, Target: HELPER_MOUNT, ReadOnly: readOnly }],
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
      },
    };
    const created = await this.small<{ Id?: unknown }>({
      method: "POST",
      path: `${v}/containers/create`,
      query: [["name", `dvol-helper-${this.hex()}`]],
      ...jsonBody(body),
      ok: [201],
    });
    if (typeof created?.Id !== "string" || !/^[0-9a-f]{12,64}$/.test(created.Id)) {
      throw new HostError(this.host.name, "protocol", "creating the helper container gave no container id");
    }
    return created.Id;
  }

  /** 4: the volume's tree as a tar stream (entries `volume/`, `volume/...`). */
  async getArchive(id: string, signal?: AbortSignal): Promise<Readable> {
    const v = await this.versionPrefix();
    const answer = await this.exchange({
      method: "GET",
      path: `${v}/containers/${id}/archive`,
      query: [["path", HELPER_MOUNT]],
      ...(signal ? { signal } : {}),
    });
    return answer.body;
  }

  /** 5: unpacks a tar (entries under `volume/`) at the helper's root. */
  async putArchive(id: string, tar: Readable, signal?: AbortSignal): Promise<void> {
    const v = await this.versionPrefix();
    const answer = await this.exchange({
      method: "PUT",
      path: `${v}/containers/${id}/archive`,
      query: [["path", "/"]],
      headers: { "Content-Type": "application/x-tar" },
      body: tar,
      ...(signal ? { signal } : {}),
    });
    await readSmall(answer.body);
  }

  /** 6: removes the helper (never with v=1 or force=1); a helper already gone is fine. */
  async removeHelper(id: string): Promise<void> {
    const v = await this.versionPrefix();
    const answer = await this.exchange({ method: "DELETE", path: `${v}/containers/${id}`, ok: [204, 404] });
    await readSmall(answer.body);
  }

  /** Runs `fn` with a helper mounting `volume`, and removes the helper whatever happened. */
  async withHelper<T>(volume: string, readOnly: boolean, fn: (id: string) => Promise<T>): Promise<T> {
    await this.ensureImage();
    const id = await this.createHelper(volume, readOnly);
    try {
      return await fn(id);
    } finally {
      await this.removeHelper(id);
    }
  }

  /** GET /volumes/{name}: its facts, or null when there is no such volume. */
  async inspectVolume(name: string): Promise<VolumeFacts | null> {
    const v = await this.versionPrefix();
    const answer = await this.exchange({
      method: "GET",
      path: `${v}/volumes/${encodeURIComponent(name)}`,
      ok: [200, 404],
    });
    const raw = await readJson<Record<string, unknown> | null>(this.host.name, answer);
    if (answer.status === 404) return null;
    return {
      name: typeof raw?.Name === "string" ? raw.Name : name,
      driver: typeof raw?.Driver === "string" ? raw.Driver : "local",
      driverOpts: strMap(raw?.Options),
      labels: strMap(raw?.Labels),
      createdAt: typeof raw?.CreatedAt === "string" ? raw.CreatedAt : null,
    };
  }

  /** POST /volumes/create with the manifest's driver, options and labels. */
  async createVolume(facts: Omit<VolumeFacts, "createdAt">): Promise<void> {
    const v = await this.versionPrefix();
    await this.small({
      method: "POST",
      path: `${v}/volumes/create`,
      ...jsonBody({
        Name: facts.name,
        Driver: facts.driver,
        DriverOpts: facts.driverOpts,
        Labels: facts.labels,
      }),
      ok: [201],
    });
  }

  /** DELETE /volumes/{name} (a half-made restore); a volume already gone is fine. */
  async removeVolume(name: string): Promise<void> {
    const v = await this.versionPrefix();
    const answer = await this.exchange({
      method: "DELETE",
      path: `${v}/volumes/${encodeURIComponent(name)}`,
      ok: [204, 404],
    });
    await readSmall(answer.body);
  }
}

function streamOf(conn: EngineConnection, host: HostConfig): (req: StreamRequest) => Promise<StreamAnswer> {
  const s = conn.stream?.bind(conn);
  if (!s) {
    return () =>
      Promise.reject(
        new HostError(
          host.name,
          "protocol",
          "this connection cannot stream (backups need the Engine API over TLS or a socket)",
        ),
      );
  }
  return s;
}

// Backups and restores against real Docker engines (API 1.41 and 1.51) over mutual TLS, with the
// local store of backups: a round trip of a volume with every kind of entry dvol keeps, compared
// with what busybox itself says of the tree (find, stat, sha256sum), a stream cut mid-way by a
// proxy (a failed backup), restore refusals, a restore cut mid-way (no half-made volume), and the
// memory of backing up a 300 MB volume.
//
// This file starts its own engines (like deletion.test.ts): it creates and removes volumes and
// helper containers all the time, and other files compare whole lists of the shared engines.
import { mkdtempSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackupContext, backupVolume } from "../../src/backup/backup.js";
import { LocalBackupStore } from "../../src/backup/local.js";
import { restoreBackup } from "../../src/backup/restore.js";
import { loadConfig } from "../../src/config/load.js";
import { SecretResolver } from "../../src/config/secrets.js";
import type { HostConfig } from "../../src/config/types.js";
import { tlsConnectionFactory } from "../../src/docker/connection.js";
import { BackupFailedError, BackupTooBigError, RestoreFailedError } from "../../src/errors.js";
import { busybox, createVolume, FILL, LIST } from "../support/backup-trees.js";
import { engineHost, writeConfig } from "../support/dvol.js";
import {
  type Engine,
  type EngineKind,
  importBusyboxImage,
  socketRequest,
  startEngine,
} from "../support/engines.js";
import { requireTestbed } from "../support/testbed-types.js";

const testbed = requireTestbed();
let counter = 0;
const unique = (what: string) =>
  `bk-${what}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 7)}`;

async function volumeInfo(
  engine: Engine,
  name: string,
): Promise<{ Labels: Record<string, string>; Driver: string } | null> {
  const res = await socketRequest(engine.socketPath, "GET", `/volumes/${name}`);
  if (res.status === 404) return null;
  if (res.status !== 200) throw new Error(`inspect ${name}: HTTP ${res.status}`);
  return JSON.parse(res.body);
}

async function removeVolume(engine: Engine, name: string) {
  const res = await socketRequest(engine.socketPath, "DELETE", `/volumes/${name}`);
  if (res.status !== 204) throw new Error(`deleting ${name}: HTTP ${res.status} ${res.body}`);
}

/** Helper containers left on the engine (there should never be any once a call returned). */
async function helpersLeft(engine: Engine): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: ["dvol.helper=1"] }));
  const res = await socketRequest(engine.socketPath, "GET", `/containers/json?all=1&filters=${filters}`);
  return (JSON.parse(res.body) as { Names: string[] }[]).map((c) => c.Names.join(","));
}

/**
 * A TCP proxy in front of the engine's TLS port that closes a connection (both sides) once it
 * has carried `limit` bytes in one direction: the engine's answer (`down`) or dvol's upload (`up`).
 */
async function cuttingProxy(port: number, direction: "down" | "up", limit: number) {
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(port, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    let carried = 0;
    const cut = () => {
      cuts++;
      client.destroy();
      upstream.destroy();
    };
    const [from, to] = direction === "down" ? [upstream, client] : [client, upstream];
    from.on("data", (c: Buffer) => {
      carried += c.length;
      if (carried > limit) cut();
      else to.write(c);
    });
    const [other, otherTo] = direction === "down" ? [client, upstream] : [upstream, client];
    other.on("data", (c: Buffer) => otherTo.write(c));
    for (const s of [client, upstream]) {
      s.on("error", () => {});
      s.on("close", () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no proxy port");
  return {
    port: address.port,
    cuts: () => cuts,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const KINDS: readonly EngineKind[] = ["docker20", "docker28"];

describe.each(KINDS)("backups on a %s engine of its own", (kind) => {
  let engine: Engine;
  let host: HostConfig;
  let ctx: BackupContext;
  const backupDir = mkdtempSync(join(tmpdir(), "dvol-bk-"));

  const hostVia = async (port: number): Promise<HostConfig> => {
    const file = writeConfig([engineHost("h", engine, testbed, { url: `tcp://127.0.0.1:${port}` })]);
    return (await loadConfig({ file, env: {} })).hosts[0] as HostConfig;
  };

  beforeAll(async () => {
    engine = await startEngine({
      kind,
      pki: testbed.pki,
      dir: join(testbed.dir, `backup-${kind}-${process.pid}`),
    });
    await importBusyboxImage(engine);
    const config = await loadConfig({ file: writeConfig([engineHost("h", engine, testbed)]), env: {} });
    host = config.hosts[0] as HostConfig;
    ctx = {
      host,
      connect: tlsConnectionFactory(new SecretResolver({ baseDir: config.baseDir, env: {} })),
      store: new LocalBackupStore(backupDir),
      now: () => new Date(),
      who: "cli:tester",
      dvolVersion: "test",
      keepDays: 30,
      stallMs: 10_000,
    };
  }, 180_000);
  afterAll(async () => {
    await engine?.stop();
    await rm(backupDir, { recursive: true, force: true });
  }, 60_000);

  it("round trip: back up, delete, restore; the restored tree equals the original (paths, types, sizes, modes, owners, sha256)", async () => {
    const name = unique("rt");
    await createVolume(engine, name, {
      "com.docker.compose.project": "shop",
      "com.docker.compose.volume": "data",
    });
    await busybox(engine, name, FILL);
    const before = await busybox(engine, name, LIST, true);
    expect(before).toContain(".|directory|-|700:999:999:");
    expect(before).toMatch(/\.\/hard\|regular file\|6\|640:1000:1000:2\|\|/);
    expect(before).toMatch(/\.\/sym\|symbolic link\|11\|777:0:0:1\|a\/b\/c\/f.txt\|/);

    const m = await backupVolume(name, "before the migration", ctx);
    expect(m).toMatchObject({
      status: "complete",
      host: "h",
      who: "cli:tester",
      why: "before the migration",
      volume: { name, driver: "local", labels: { "com.docker.compose.project": "shop" } },
    });
    expect(m.entries.find((e) => e.path === ".")).toMatchObject({
      type: "directory",
      mode: 0o700,
      uid: 999,
      gid: 999,
    });
    expect(m.entries.find((e) => e.path === "sub/up")).toMatchObject({
      type: "symlink",
      linkTarget: "../empty",
    });
    expect(m.entries.some((e) => e.type === "link")).toBe(true);
    // The archive and its manifest, mode 0600, and no temporary file left.
    const files = await readdir(backupDir);
    expect(files).toEqual(expect.arrayContaining([`${m.id}.tar.gz`, `${m.id}.json`]));
    expect(files.filter((f) => f.endsWith(".partial"))).toEqual([]);
    for (const f of [`${m.id}.tar.gz`, `${m.id}.json`])
      expect((await stat(join(backupDir, f))).mode & 0o777).toBe(0o600);
    expect((await stat(join(backupDir, `${m.id}.tar.gz`))).size).toBe(m.archive?.bytes);

    await removeVolume(engine, name);
    expect(await volumeInfo(engine, name)).toBeNull();
    const restored = await restoreBackup(m.id, null, ctx);
    expect(restored).toMatchObject({ volume: name, fromOtherHost: null, entries: m.entries.length });
    expect(await busybox(engine, name, LIST, true)).toBe(before);
    expect((await volumeInfo(engine, name))?.Labels).toEqual({
      "com.docker.compose.project": "shop",
      "com.docker.compose.volume": "data",
    });
    expect(await helpersLeft(engine)).toEqual([]);

    // --as: another name, the same tree.
    const copy = unique("copy");
    await restoreBackup(m.id, copy, ctx);
    expect(await busybox(engine, copy, LIST, true)).toBe(before);
  });

  it("restore onto an existing name is refused and changes nothing", async () => {
    const name = unique("exists");
    await createVolume(engine, name);
    await busybox(engine, name, "echo one > /data/f");
    const m = await backupVolume(name, null, ctx);
    await busybox(engine, name, "echo two > /data/f; echo new > /data/g");
    const before = await busybox(engine, name, LIST, true);
    const err = await restoreBackup(m.id, null, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreFailedError);
    expect((err as Error).message).toMatch(/already exists: a restore never writes over a volume/);
    expect(await busybox(engine, name, LIST, true)).toBe(before);
    expect(await helpersLeft(engine)).toEqual([]);
  });

  it("a stream cut mid-way (a proxy closes the connection) gives a failed backup, never listed as restorable", async () => {
    const name = unique("cut");
    await createVolume(engine, name);
    await busybox(engine, name, "dd if=/dev/urandom of=/data/big bs=1M count=6 2>/dev/null");
    const proxy = await cuttingProxy(engine.port, "down", 2 * 1024 * 1024);
    try {
      const err = await backupVolume(name, null, { ...ctx, host: await hostVia(proxy.port) }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BackupFailedError);
      expect((err as Error).message).toMatch(/the backup of .* failed: .*\(recorded as failed: bk-/);
      expect(proxy.cuts()).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
    const all = await ctx.store.list();
    const mine = all.filter((b) => b.volume.name === name);
    expect(mine.map((b) => b.status)).toEqual(["failed"]);
    expect((await readdir(backupDir)).filter((f) => f.endsWith(".partial"))).toEqual([]);
    expect((await readdir(backupDir)).filter((f) => f === `${mine[0]?.id}.tar.gz`)).toEqual([]);
    const refused = await restoreBackup(mine[0]?.id ?? "", unique("never"), ctx).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/no restorable backup/);
    expect(await volumeInfo(engine, name)).not.toBeNull();
    expect(await helpersLeft(engine)).toEqual([]);
  });

  it("a volume bigger than backup.maxBytes: the backup stops at the limit, is recorded as failed with the limit's reason, leaves no archive, and the volume is untouched", async () => {
    const name = unique("max");
    await createVolume(engine, name);
    await busybox(engine, name, "dd if=/dev/urandom of=/data/big bs=1M count=6 2>/dev/null");
    const before = await busybox(engine, name, LIST, true);
    const err = await backupVolume(name, "limit", { ...ctx, maxBytes: 1_000_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupTooBigError);
    expect((err as Error).message).toMatch(
      /^h: the backup of bk-max-\S+ failed: the archive passed backup\.maxBytes \(1\.0 MB, 1000000 bytes\): stopped after 1\.\d MB read from the engine \(recorded as failed: bk-/,
    );
    expect((err as BackupTooBigError).hint).toMatch(/raise backup\.maxBytes .* --no-backup/);
    const mine = (await ctx.store.list()).filter((b) => b.volume.name === name);
    expect(mine.map((b) => [b.status, b.error])).toEqual([
      ["failed", expect.stringMatching(/^the archive passed backup\.maxBytes \(1\.0 MB, 1000000 bytes\)/)],
    ]);
    const files = await readdir(backupDir);
    expect(files.filter((f) => f.endsWith(".partial"))).toEqual([]);
    expect(files.filter((f) => f === `${mine[0]?.id}.tar.gz`)).toEqual([]);
    expect(await busybox(engine, name, LIST, true)).toBe(before);
    expect(await helpersLeft(engine)).toEqual([]);
    // The same volume under a limit it fits in is backed up whole.
    const m = await backupVolume(name, null, { ...ctx, maxBytes: 10_000_000 });
    expect(m.status).toBe("complete");
  });

  it("a restore cut mid-way leaves no half-made volume", async () => {
    const name = unique("rcut");
    await createVolume(engine, name);
    await busybox(engine, name, "dd if=/dev/urandom of=/data/big bs=1M count=6 2>/dev/null");
    const m = await backupVolume(name, null, ctx);
    const target = unique("half");
    const proxy = await cuttingProxy(engine.port, "up", 2 * 1024 * 1024);
    try {
      const err = await restoreBackup(m.id, target, { ...ctx, host: await hostVia(proxy.port) }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RestoreFailedError);
      expect((err as Error).message).toMatch(new RegExp(`the half-made volume ${target} was removed`));
      expect(proxy.cuts()).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
    expect(await volumeInfo(engine, target)).toBeNull();
    expect(await helpersLeft(engine)).toEqual([]);
  });

  it("a 300 MB volume is backed up with the peak memory far below its size", {
    timeout: 300_000,
  }, async () => {
    const name = unique("big");
    await createVolume(engine, name);
    await busybox(
      engine,
      name,
      "dd if=/dev/urandom of=/data/a bs=1M count=200 2>/dev/null; dd if=/dev/zero of=/data/b bs=1M count=100 2>/dev/null",
    );
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const started = Date.now();
    let m: Awaited<ReturnType<typeof backupVolume>>;
    try {
      m = await backupVolume(name, null, ctx);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    const grew = peak - base;
    console.log(
      `${kind}: 300 MB backed up in ${seconds.toFixed(1)} s (${(300 / seconds).toFixed(0)} MB/s), rss ${(base / 2 ** 20).toFixed(0)} MB -> peak ${(peak / 2 ** 20).toFixed(0)} MB (+${(grew / 2 ** 20).toFixed(0)} MB)`,
    );
    expect(m.archive?.contentBytes).toBe(300 * 2 ** 20);
    expect(grew).toBeLessThan(100 * 2 ** 20);
    await rm(join(backupDir, `${m.id}.tar.gz`));
  });
});

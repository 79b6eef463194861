// The measured process of bench/backup-bench.ts: one dvol backup (backupVolume) or restore
// (restoreBackup) of a volume on a host of a dvol config, with the local store of backups, as the
// CLI's `backup` and `restore` will run them. It is bundled with esbuild (like the CLI) and run as
// a process of its own, so that GNU time measures its wall time, CPU and peak memory alone.
//
//   node driver.cjs backup CONFIG HOST VOLUME BACKUP_DIR
//   node driver.cjs restore CONFIG HOST BACKUP_ID AS BACKUP_DIR
//
// Prints one line of JSON: the backup's id and byte counts, or the restored volume; and `memory`,
// the peaks of process.memoryUsage() sampled every 100 ms (where the resident memory goes: V8's
// heap, or buffers outside it).
import { type BackupContext, backupVolume } from "../src/backup/backup.js";
import { LocalBackupStore } from "../src/backup/local.js";
import { restoreBackup } from "../src/backup/restore.js";
import { loadConfig } from "../src/config/load.js";
import { SecretResolver } from "../src/config/secrets.js";
import { tlsConnectionFactory } from "../src/docker/connection.js";

const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
function sample(): void {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], m[k]);
}

async function main(argv: string[]): Promise<void> {
  const [mode, configFile, hostName, ...rest] = argv;
  if (!configFile || !hostName) throw new Error("usage: backup|restore CONFIG HOST ...");
  const config = await loadConfig({ file: configFile, env: {} });
  const host = config.hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`no host ${hostName} in ${configFile}`);
  const dir = rest[rest.length - 1];
  if (!dir) throw new Error("no backup directory");
  const ctx: BackupContext = {
    host,
    connect: tlsConnectionFactory(new SecretResolver({ baseDir: config.baseDir, env: {} })),
    store: new LocalBackupStore(dir),
    now: () => new Date(),
    who: "cli:bench",
    dvolVersion: "bench",
    keepDays: 1,
  };
  if (mode === "backup") {
    const [volume] = rest;
    const m = await backupVolume(volume ?? "", "benchmark", ctx);
    sample();
    process.stdout.write(
      `${JSON.stringify({ id: m.id, entries: m.entries.length, ...m.archive, memory: peak })}\n`,
    );
  } else if (mode === "restore") {
    const [id, as] = rest;
    const r = await restoreBackup(id ?? "", as ?? null, ctx);
    sample();
    process.stdout.write(
      `${JSON.stringify({ volume: r.volume, entries: r.entries, contentBytes: r.contentBytes, memory: peak })}\n`,
    );
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

const sampler = setInterval(sample, 100);
main(process.argv.slice(2))
  .finally(() => clearInterval(sampler))
  .catch((err: unknown) => {
    process.stderr.write(`backup-driver: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  });

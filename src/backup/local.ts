/**
 * The store of backups in a local directory (the CLI, `npm start`): DVOL_BACKUP_DIR, default
 * `backups/` under DVOL_STATE_DIR. An archive is written to a temporary name and renamed when
 * complete; files are mode 0600 (the directory 0700); each manifest is a JSON file beside its
 * archive, itself written through a temporary name.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { BackupStoreError } from "../errors.js";
import { BACKUP_ID_RE, type BackupManifest } from "./manifest.js";
import { type ArchiveWriter, archiveName, type BackupStore, manifestName, newestFirst } from "./store.js";

const fsError = (what: string, cause: unknown) =>
  new BackupStoreError(`${what}: ${cause instanceof Error ? cause.message : String(cause)}`, {
    cause,
    hint: "Check that DVOL_BACKUP_DIR (or DVOL_STATE_DIR) exists or can be made, and that this user may write in it.",
  });

/** DVOL_BACKUP_DIR, else `backups/` in DVOL_STATE_DIR (default `.dvol/`), resolved from `cwd`. */
export function localBackupDir(env: NodeJS.ProcessEnv, cwd: string): string {
  const own = env.DVOL_BACKUP_DIR?.trim();
  if (own) return path.resolve(cwd, own);
  return path.resolve(cwd, env.DVOL_STATE_DIR?.trim() || ".dvol", "backups");
}

export class LocalBackupStore implements BackupStore {
  constructor(readonly dir: string) {}

  get location(): string {
    return this.dir;
  }

  private async ready(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw fsError(`cannot make ${this.dir}`, err);
    }
  }

  async createArchive(id: string): Promise<ArchiveWriter> {
    await this.ready();
    const final = path.join(this.dir, archiveName(id));
    const temp = path.join(this.dir, `.${archiveName(id)}.partial`);
    const sink = createWriteStream(temp, { flags: "wx", mode: 0o600 });
    const closed = new Promise<void>((resolve, reject) => {
      sink.on("close", resolve);
      sink.on("error", (err) => reject(fsError(`cannot write ${temp}`, err)));
    });
    closed.catch(() => {});
    return {
      sink,
      commit: async () => {
        await closed;
        try {
          await chmod(temp, 0o600);
          await rename(temp, final);
        } catch (err) {
          throw fsError(`cannot rename ${temp}`, err);
        }
      },
      abort: async () => {
        sink.destroy();
        await rm(temp, { force: true });
      },
    };
  }

  async putManifest(m: BackupManifest): Promise<void> {
    await this.ready();
    const final = path.join(this.dir, manifestName(m.id));
    const temp = path.join(this.dir, `.${manifestName(m.id)}.partial`);
    try {
      const f = await open(temp, "w", 0o600);
      try {
        await f.writeFile(`${JSON.stringify(m, null, 1)}\n`);
        await f.sync();
      } finally {
        await f.close();
      }
      await rename(temp, final);
    } catch (err) {
      throw fsError(`cannot write ${final}`, err);
    }
  }

  async list(): Promise<BackupManifest[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw fsError(`cannot read ${this.dir}`, err);
    }
    const ids = names
      .filter((n) => n.endsWith(".json"))
      .map((n) => n.slice(0, -5))
      .filter((id) => BACKUP_ID_RE.test(id));
    const all = await Promise.all(ids.map((id) => this.get(id)));
    return all.filter((m): m is BackupManifest => m !== null).sort(newestFirst);
  }

  async get(id: string): Promise<BackupManifest | null> {
    if (!BACKUP_ID_RE.test(id)) return null;
    try {
      return JSON.parse(await readFile(path.join(this.dir, manifestName(id)), "utf8")) as BackupManifest;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw fsError(`cannot read the manifest of ${id}`, err);
    }
  }

  async openArchive(id: string): Promise<Readable> {
    const file = path.join(this.dir, archiveName(id));
    const s = createReadStream(file);
    await new Promise<void>((resolve, reject) => {
      s.once("open", () => resolve());
      s.once("error", (err) => reject(fsError(`cannot read ${file}`, err)));
    });
    return s;
  }
}

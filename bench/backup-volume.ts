// The volume of bench/backup-bench.ts: written straight into a volume's mountpoint (as root), the
// same bytes every run (a seeded generator): small files of 1 to 64 KiB (sizes uniform) in 100
// directories, half random bytes and half log-like text, and one large file of each kind.
import { createWriteStream } from "node:fs";
import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** xorshift32: the same bytes every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const WORDS =
  "GET POST PUT DELETE /api/v1/orders /api/v1/users /health /metrics INFO WARN DEBUG ERROR request served cache miss hit upstream timeout retry user session token expired ok created accepted".split(
    " ",
  );

/** `n` bytes of log-like text (gzip -6 makes it about 4 to 5 times smaller). */
function text(n: number, next: () => number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let at = 0;
  let t = 1_765_000_000_000 + (next() % 1_000_000);
  while (at < n) {
    t += next() % 997;
    const w1 = WORDS[next() % WORDS.length];
    const w2 = WORDS[next() % WORDS.length];
    const w3 = WORDS[next() % WORDS.length];
    const line = `${new Date(t).toISOString()} ${w1} ${w2} id=${(next() % 0xffffff).toString(16)} ${w3} took=${next() % 5000}ms\n`;
    at += out.write(line, at);
  }
  return out;
}

/** Random bytes from the seeded generator (incompressible). */
function random(n: number, next: () => number): Buffer {
  const out = Buffer.allocUnsafe(n + 4);
  for (let i = 0; i < n; i += 4) out.writeUInt32LE(next(), i);
  return out.subarray(0, n);
}

export interface Mix {
  files: number;
  dirs: number;
  smallFiles: number;
  smallBytes: number;
  largeBytes: number;
  bytes: number;
}

/** Writes the mix into `root` (the volume's mountpoint). */
export async function fill(root: string, small: number, largeMiB: number): Promise<Mix> {
  const next = rng(11);
  const dirs = 100;
  let smallBytes = 0;
  for (let d = 0; d < dirs; d++) {
    const dir = join(root, `d${String(d).padStart(3, "0")}`);
    await mkdir(dir);
    const per = Math.ceil(small / dirs);
    const writes: Promise<void>[] = [];
    for (let f = d * per; f < Math.min(small, (d + 1) * per); f++) {
      const size = 1024 + (next() % (63 * 1024 + 1));
      smallBytes += size;
      const body = f % 2 === 0 ? random(size, next) : text(size, next);
      writes.push(writeFile(join(dir, `f${f}.${f % 2 === 0 ? "bin" : "log"}`), body));
    }
    await Promise.all(writes);
  }
  await mkdir(join(root, "large"));
  const large = largeMiB * 1024 * 1024;
  for (const [name, make] of [
    ["random.bin", random],
    ["app.log", text],
  ] as const) {
    const out = createWriteStream(join(root, "large", name));
    for (let left = large; left > 0; left -= 4 << 20) {
      const chunk = make(Math.min(left, 4 << 20), next);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
    }
    await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
  }
  return {
    files: small + 2,
    dirs: dirs + 1,
    smallFiles: small,
    smallBytes,
    largeBytes: 2 * large,
    bytes: smallBytes + 2 * large,
  };
}

/** Regular files and their bytes under `root` (a restored volume's check). */
export async function tally(root: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        files++;
        bytes += (await stat(p)).size;
      }
    }
  };
  await walk(root);
  return { files, bytes };
}

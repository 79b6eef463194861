// Volumes made, filled, read and checked on a real engine, for the integration and e2e tests
// (backups, deletions, the gate): everything goes through the engine's unix socket or its docker
// CLI, never through dvol, so that what dvol did is seen from outside.
import { BUSYBOX_IMAGE, type EngineInfo, runDocker, socketRequest } from "./engines.js";

/**
 * A tree worth backing up: nested dirs, an empty dir, a symlink (and one that climbs), a hard link,
 * an empty file, several owners and modes (sticky bit included), the root 999:999 0700.
 */
export const FILL = [
  "set -e; cd /data",
  "mkdir -p a/b/c empty sub/deeper",
  "echo hello > a/b/c/f.txt; chown 1000:1000 a/b/c/f.txt; chmod 640 a/b/c/f.txt",
  "printf 'x%.0s' $(seq 1 5000) > a/five-thousand; chown 33:33 a/five-thousand; chmod 600 a/five-thousand",
  "dd if=/dev/urandom of=sub/deeper/random.bin bs=1k count=700 2>/dev/null; chown 65534:65534 sub/deeper/random.bin",
  "echo run > a/run.sh; chmod 755 a/run.sh",
  "ln -s a/b/c/f.txt sym; ln -s ../empty sub/up",
  "ln a/b/c/f.txt hard",
  ": > zero-length",
  "chown 123:456 empty; chmod 750 empty; chmod 1777 a/b",
  "chown 999:999 /data; chmod 0700 /data",
].join("\n");

/** Per path: type, size (not of dirs), mode, owner, links, symlink target, sha256. */
export const LIST =
  'cd /data && find . | sort | while read -r p; do t=$(stat -c %F "$p"); s=$(stat -c %s "$p"); [ "$t" = directory ] && s=-; ' +
  'echo "$p|$t|$s|$(stat -c %a:%u:%g:%h "$p")|$( [ -L "$p" ] && readlink "$p")|$( [ -f "$p" ] && [ ! -L "$p" ] && sha256sum "$p" | cut -d" " -f1)"; done';

/** Runs a busybox shell script with `volume` at /data (no network). */
export function busybox(
  engine: EngineInfo,
  volume: string,
  script: string,
  readOnly = false,
): Promise<string> {
  return runDocker(engine, [
    "run",
    "--rm",
    "--network",
    "none",
    "-v",
    `${volume}:/data${readOnly ? ":ro" : ""}`,
    BUSYBOX_IMAGE,
    "sh",
    "-c",
    script,
  ]);
}

/** The volume's tree, as LIST prints it. */
export const treeOf = (engine: EngineInfo, volume: string) => busybox(engine, volume, LIST, true);

export async function createVolume(engine: EngineInfo, name: string, labels: Record<string, string> = {}) {
  const res = await socketRequest(engine.socketPath, "POST", "/volumes/create", 30_000, {
    Name: name,
    Driver: "local",
    DriverOpts: {},
    Labels: labels,
  });
  if (res.status !== 201) throw new Error(`creating ${name}: HTTP ${res.status} ${res.body}`);
}

/** Whether the engine has a volume of that name. */
export async function volumeExists(engine: EngineInfo, name: string): Promise<boolean> {
  const res = await socketRequest(engine.socketPath, "GET", `/volumes/${encodeURIComponent(name)}`);
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  throw new Error(`GET /volumes/${name}: HTTP ${res.status} ${res.body}`);
}

export async function volumeLabels(engine: EngineInfo, name: string): Promise<Record<string, string> | null> {
  const res = await socketRequest(engine.socketPath, "GET", `/volumes/${encodeURIComponent(name)}`);
  if (res.status === 404) return null;
  if (res.status !== 200) throw new Error(`inspect ${name}: HTTP ${res.status}`);
  return (JSON.parse(res.body) as { Labels: Record<string, string> | null }).Labels ?? {};
}

export async function removeVolume(engine: EngineInfo, name: string) {
  const res = await socketRequest(engine.socketPath, "DELETE", `/volumes/${encodeURIComponent(name)}`);
  if (res.status !== 204) throw new Error(`deleting ${name}: HTTP ${res.status} ${res.body}`);
}

/** Helper containers left on the engine (there should never be any once a command returned). */
export async function helpersLeft(engine: EngineInfo): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: ["dvol.helper=1"] }));
  const res = await socketRequest(engine.socketPath, "GET", `/containers/json?all=1&filters=${filters}`);
  return (JSON.parse(res.body) as { Names: string[] }[]).map((c) => c.Names.join(","));
}

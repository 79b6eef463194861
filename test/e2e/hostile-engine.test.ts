// The built CLI (bin/dvol.cjs) against an engine that returns hostile text: labels, a compose
// project, container names and images holding escape sequences, carriage returns, newlines, C1
// controls and bidirectional overrides. The engine is a stand-in on a unix socket (an HTTP server
// speaking the Engine API's JSON for the calls `ls` and `inspect` make): a real engine would not
// let us create such names, and a compromised or buggy one could send them.
// What a terminal receives must show every value and act on none: no control character but the
// newline, no row added or hidden; and --json keeps the values exactly.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

const CLEAR = "\u001b[2J\u001b[H";
const UP_AND_ERASE = "\r\u001b[1A\u001b[2K";
const HOSTILE = {
  label: `ok${CLEAR}`,
  project: `shop${UP_AND_ERASE}`,
  fakeRow: "x\nfake-volume  local  0 B  0  -",
  csi: "a\u009b31mred",
  bidi: "txt.\u202eexe",
  container: `web${CLEAR}`,
  image: "busybox\rnginx:latest",
};

function volume(name: string, size: number, refCount: number, labels: Record<string, string>) {
  return {
    Name: name,
    Driver: "local",
    Mountpoint: `/var/lib/docker/volumes/${name}/_data`,
    CreatedAt: "2026-11-29T15:51:00Z",
    Labels: labels,
    Scope: "local",
    Options: { note: HOSTILE.csi },
    UsageData: { Size: size, RefCount: refCount },
  };
}

const VOLUMES = [
  volume("app_data", 5_242_880, 1, {
    "com.docker.compose.project": HOSTILE.project,
    evil: HOSTILE.label,
    rows: HOSTILE.fakeRow,
    bidi: HOSTILE.bidi,
  }),
  volume("old-cache", 1000, 0, {}),
];

let dir: string;
let server: Server;
let socket: string;

beforeAll(async () => {
  // The CLI as `npm ci` builds it, from the sources as they are now.
  await run(process.execPath, [path.join(ROOT, "scripts/build.mjs")], { cwd: ROOT });
  dir = mkdtempSync(path.join(tmpdir(), "dvol-hostile-"));
  socket = path.join(dir, "docker.sock");
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://engine");
    const p = url.pathname.replace(/^\/v1\.\d+/, "");
    const send = (body: unknown) => {
      res.writeHead(200, {
        "Content-Type": "application/json",
        "Api-Version": "1.51",
        Server: "Docker/28.5.2",
      });
      res.end(JSON.stringify(body));
    };
    if (p === "/version") return send({ ApiVersion: "1.51", Version: "28.5.2", MinAPIVersion: "1.24" });
    if (p === "/system/df") return send({ Volumes: VOLUMES });
    // The fast listing (issue 12): /volumes carries no usage.
    if (p === "/volumes") return send({ Volumes: VOLUMES.map((v) => ({ ...v, UsageData: null })) });
    if (p === "/volumes/app_data") return send(VOLUMES[0]);
    if (p === "/containers/json") {
      return send([
        {
          Id: "0123456789abcdef",
          Names: [`/${HOSTILE.container}`],
          State: "running",
          Image: HOSTILE.image,
          Mounts: [{ Type: "volume", Name: "app_data", Destination: "/data", RW: true }],
        },
      ]);
    }
    res.writeHead(404, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ message: `no such path ${p}` }));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function dvol(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [path.join(ROOT, "bin/dvol.cjs"), ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, DOCKER_HOST: `unix://${socket}` },
  });
}

/** Every character a terminal would act on, but the newline. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const ACTS_ON = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe("hostile engine text on the terminal", () => {
  it("ls: every value shown, escaped; no control character; no row added", async () => {
    const { stdout, stderr } = await dvol("ls", "local");
    expect(stderr).toBe("");
    expect(stdout).not.toMatch(ACTS_ON);
    expect(stdout).toContain("shop\\u000d\\u001b[1A\\u001b[2K");
    const rows = stdout.split("\n").filter((l) => /^(app_data|old-cache|fake-volume)\b/.test(l));
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(["app_data", "old-cache"]);
  });

  it("inspect: labels, options, container name and image escaped, one line each", async () => {
    const { stdout, stderr } = await dvol("inspect", "local", "app_data");
    expect(stderr).toBe("");
    expect(stdout).not.toMatch(ACTS_ON);
    const lines = stdout.split("\n");
    expect(lines).toContain("  evil=ok\\u001b[2J\\u001b[H");
    expect(lines).toContain("  rows=x\\u000afake-volume  local  0 B  0  -");
    expect(lines).toContain("  bidi=txt.\\u202eexe");
    expect(lines).toContain("  note=a\\u009b31mred");
    expect(
      lines.some((l) => l.includes("web\\u001b[2J\\u001b[H") && l.includes("busybox\\u000dnginx:latest")),
    ).toBe(true);
  });

  it("--json: valid JSON, no raw control character, and exactly the engine's values", async () => {
    const { stdout } = await dvol("--json", "inspect", "local", "app_data");
    expect(stdout).not.toMatch(ACTS_ON);
    const doc = JSON.parse(stdout) as { hosts: { volume: { labels: Record<string, string> } }[] };
    expect(doc.hosts[0]?.volume.labels).toEqual(VOLUMES[0]?.Labels);
  });
});

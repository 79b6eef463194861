// The built CLI as a process, under pressure (issue 10): its output into a pipe whose reader
// closes early (`dvol ls … | head -1`), onto a full disk (/dev/full), --help and --version, and
// files it may not read. Built by scripts/build.mjs into a copy of the project's layout in a temp
// folder, so that the other tests' builds of dist/ are not raced. The engine is a stand-in on a
// unix socket answering the Engine API's JSON for `ls`, with enough volumes to fill a pipe.
import { execFile, spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const execFileP = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string })
  .version;

/** 5,000 volumes: about 1 MB of --json, far more than a pipe holds (64 KiB). */
const VOLUMES = Array.from({ length: 5000 }, (_, i) => ({
  Name: `vol-${String(i).padStart(5, "0")}`,
  Driver: "local",
  Mountpoint: `/var/lib/docker/volumes/vol-${i}/_data`,
  CreatedAt: "2026-11-29T15:51:00Z",
  Labels: { "com.docker.compose.project": "shop" },
  Scope: "local",
  Options: null,
  UsageData: { Size: 1000 * i, RefCount: i % 3 },
}));

let dir: string;
let build: string;
let server: Server;
let socket: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "dvol-process-"));
  // Readable by another user too (the permission test runs the CLI as nobody when run as root).
  chmodSync(dir, 0o755);
  build = path.join(dir, "build");
  for (const d of ["scripts", "bin"]) mkdirSync(path.join(build, d), { recursive: true });
  copyFileSync(path.join(ROOT, "scripts/build.mjs"), path.join(build, "scripts/build.mjs"));
  copyFileSync(path.join(ROOT, "bin/dvol.cjs"), path.join(build, "bin/dvol.cjs"));
  copyFileSync(path.join(ROOT, "package.json"), path.join(build, "package.json"));
  symlinkSync(path.join(ROOT, "src"), path.join(build, "src"));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(build, "node_modules"));
  await execFileP(process.execPath, ["scripts/build.mjs"], { cwd: build });

  socket = path.join(dir, "docker.sock");
  const df = JSON.stringify({ Volumes: VOLUMES });
  const volumes = JSON.stringify({ Volumes: VOLUMES.map((v) => ({ ...v, UsageData: null })) });
  server = createServer((req, res) => {
    const p = new URL(req.url ?? "/", "http://engine").pathname.replace(/^\/v1\.\d+/, "");
    const headers = { "Content-Type": "application/json", "Api-Version": "1.51", Server: "Docker/28.5.2" };
    const known = ["/system/df", "/version", "/volumes", "/containers/json"];
    res.writeHead(known.includes(p) ? 200 : 404, headers);
    if (p === "/version")
      res.end(JSON.stringify({ ApiVersion: "1.51", Version: "28.5.2", MinAPIVersion: "1.24" }));
    else if (p === "/system/df") res.end(df);
    // The fast listing (issue 12): /volumes without usage, and the containers (none here).
    else if (p === "/volumes") res.end(volumes);
    else if (p === "/containers/json") res.end("[]");
    else res.end(JSON.stringify({ message: `no such path ${p}` }));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  chmodSync(socket, 0o777);
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, DOCKER_HOST: `unix://${socket}` };
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/dvol.cjs of the build; `stdout` is "pipe" (read whole) or a file descriptor. */
function dvol(
  args: string[],
  opts: { stdout?: "pipe" | number; uid?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(build, "bin/dvol.cjs"), ...args], {
      cwd: dir,
      env: opts.env ?? env(),
      stdio: ["ignore", opts.stdout ?? "pipe", "pipe"],
      ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.uid }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe("a closed pipe", () => {
  it("`dvol --json ls local | head -1`: the reader stops early, dvol ends quietly with exit 0", async () => {
    const cmd = `"${process.execPath}" "${path.join(build, "bin/dvol.cjs")}" --json ls local | head -c 100; echo "dvol=\${PIPESTATUS[0]}" >&2`;
    const r = await new Promise<Exit>((resolve, reject) => {
      const child = spawn("bash", ["-c", cmd], { cwd: dir, env: env(), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString("utf8");
      });
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString("utf8");
      });
      child.on("error", reject);
      child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    // The first 100 characters of the document (`at`: when the hosts were asked, issue 12).
    expect(r.stdout).toHaveLength(100);
    expect(r.stdout).toMatch(
      /^\{"command":"ls","at":"[0-9T:.Z-]{24}","hosts":\[\{"host":"local","ok":true,"error":null,"mat/,
    );
    // Nothing but the shell's own line: no stack trace, no "EPIPE", no "internal error".
    expect(r.stderr).toBe("dvol=0\n");
  });

  it("a reader that is gone before the first byte: exit 0, nothing on stderr", async () => {
    const r = await new Promise<Exit>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(build, "bin/dvol.cjs"), "--json", "ls", "local"], {
        cwd: dir,
        env: env(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout.destroy();
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString("utf8");
      });
      child.on("error", reject);
      child.on("close", (code, signal) => resolve({ code, signal, stdout: "", stderr }));
    });
    expect(r.stderr).toBe("");
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
  });

  it("keeps the command's own status: a host that failed is still exit 1", async () => {
    const config = path.join(dir, "two.yaml");
    writeFileSync(
      config,
      `hosts:\n  - name: local\n    socket: ${socket}\n  - name: gone\n    socket: ${path.join(dir, "nobody-listens.sock")}\n`,
    );
    const cmd = `"${process.execPath}" "${path.join(build, "bin/dvol.cjs")}" --config "${config}" --json ls all | head -c 10 >/dev/null; echo "dvol=\${PIPESTATUS[0]}" >&2`;
    const { stderr } = await execFileP("bash", ["-c", cmd], { cwd: dir, env: env() });
    expect(stderr).toBe("dvol=1\n");
  });
});

describe("a full disk", () => {
  it("writing to /dev/full: one clear line on stderr, exit 1", async () => {
    const full = openSync("/dev/full", "w");
    try {
      const r = await dvol(["--json", "ls", "local"], { stdout: full });
      expect(r.stderr).toBe("dvol: cannot write the output: no space left on device\n");
      expect(r.code).toBe(1);
    } finally {
      closeSync(full);
    }
  });

  it("even for help, which asks no host", async () => {
    const full = openSync("/dev/full", "w");
    try {
      const r = await dvol(["help"], { stdout: full });
      expect(r.stderr).toBe("dvol: cannot write the output: no space left on device\n");
      expect(r.code).toBe(1);
    } finally {
      closeSync(full);
    }
  });
});

describe("--help, -h and --version of the built CLI", () => {
  it("--version prints dvol and package.json's version, exit 0", async () => {
    const r = await dvol(["--version"]);
    expect(r).toMatchObject({ code: 0, stdout: `dvol ${VERSION}\n`, stderr: "" });
  });

  it.each([["--help"], ["-h"]])("%s prints the command list on stdout, exit 0", async (flag) => {
    const r = await dvol([flag]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe((await dvol(["help"])).stdout);
    expect(r.stdout).toMatch(/^dvol: the Docker storage of your hosts/);
  });

  it("ls --help prints ls's help, exit 0", async () => {
    const r = await dvol(["ls", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe((await dvol(["help", "ls"])).stdout);
  });
});

describe("files dvol may not read", () => {
  // Root reads a file whatever its mode: as root, the CLI runs as nobody (65534) for this.
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot ? 65534 : undefined;

  it("a config file without read permission: its name and 'permission denied', exit 2", async () => {
    const config = path.join(dir, "secret.yaml");
    writeFileSync(config, `hosts:\n  - name: local\n    socket: ${socket}\n`);
    chmodSync(config, 0o000);
    const r = await dvol(["--config", config, "ls", "all"], {
      ...(uid === undefined ? {} : { uid }),
      env: { ...env(), NODE_DISABLE_COMPILE_CACHE: "1" },
    });
    expect(r.stderr.split("\n")[0]).toBe(`dvol: config: cannot read ${config}: permission denied`);
    expect(r.code).toBe(2);
  });

  it("a TLS key without read permission: the host's error names the file and the cause, exit 1", async () => {
    const certs = path.join(dir, "certs");
    mkdirSync(certs, { recursive: true, mode: 0o755 });
    for (const f of ["ca.pem", "cert.pem", "key.pem"]) writeFileSync(path.join(certs, f), "not PEM");
    chmodSync(path.join(certs, "key.pem"), 0o000);
    const config = path.join(dir, "tls.yaml");
    writeFileSync(
      config,
      [
        "hosts:",
        "  - name: h",
        "    url: tcp://127.0.0.1:1",
        "    tls:",
        "      ca: file:certs/ca.pem",
        "      cert: file:certs/cert.pem",
        "      key: file:certs/key.pem",
        "",
      ].join("\n"),
    );
    chmodSync(config, 0o644);
    const r = await dvol(["--config", config, "--json", "ls", "h"], {
      ...(uid === undefined ? {} : { uid }),
      env: { ...env(), NODE_DISABLE_COMPILE_CACHE: "1" },
    });
    const doc = JSON.parse(r.stdout) as { hosts: { ok: boolean; error: string }[] };
    expect(doc.hosts[0]?.ok).toBe(false);
    expect(doc.hosts[0]?.error).toContain(
      `cannot read certs/key.pem (${path.join(certs, "key.pem")}): permission denied`,
    );
    expect(r.code).toBe(1);
  });
});

// `dvol gate` as it runs on a host (README "The gate", "Running it"): the built CLI as its own
// process, `node bin/dvol.cjs gate --config gate.yaml`, in front of a real engine's unix socket
// (the shared docker28 of the test bed: only read here), its audit in a file. dvol, also built and
// run as a process, reaches the engine through it; SIGTERM stops it with exit status 0; a config
// error names its key and starts nothing. Built by scripts/build.mjs into a copy of the project's
// layout in a temp folder, as cli-process.test.ts does, so that other builds of dist/ are not raced.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { GATE_SERVER_NAME, type GatePki, generateGatePki } from "../support/gate.js";
import { requireTestbed } from "../support/testbed-types.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const execFileP = promisify(execFile);
const testbed = requireTestbed();
const engine = testbed.engines.docker28;

let dir: string;
let build: string;
let pki: GatePki;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "dvol-gate-process-"));
  build = path.join(dir, "build");
  for (const d of ["scripts", "bin"]) mkdirSync(path.join(build, d), { recursive: true });
  copyFileSync(path.join(ROOT, "scripts/build.mjs"), path.join(build, "scripts/build.mjs"));
  copyFileSync(path.join(ROOT, "bin/dvol.cjs"), path.join(build, "bin/dvol.cjs"));
  copyFileSync(path.join(ROOT, "package.json"), path.join(build, "package.json"));
  symlinkSync(path.join(ROOT, "src"), path.join(build, "src"));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(build, "node_modules"));
  await execFileP(process.execPath, ["scripts/build.mjs"], { cwd: build });
  pki = await generateGatePki(path.join(dir, "pki"));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const bin = () => path.join(build, "bin/dvol.cjs");
const env = () => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir });

function dvol(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin(), ...args], { cwd: dir, env: env() }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? null) : 0;
      if (err && typeof (err as { code?: unknown }).code !== "number") reject(err);
      else resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `dvol gate --config FILE`; resolves once it says it listens. */
function startGate(
  config: string,
): Promise<{ child: ChildProcess; stderr: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [bin(), "gate", "--config", config], {
    cwd: dir,
    env: env(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gate did not start: ${stderr}`)), 20_000);
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
      if (stderr.includes("listening on")) {
        clearTimeout(timer);
        resolve({ child, stderr: () => stderr, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the gate exited ${code}: ${stderr}`));
    });
  });
}

describe("dvol gate, the built CLI as a process", () => {
  it("serves dvol's ls and hosts in front of the engine's socket, audits to its file (0640), and stops on SIGTERM with status 0", async () => {
    const port = await freePort();
    const audit = path.join(dir, "audit.jsonl");
    const gateConfig = path.join(dir, "gate.yaml");
    writeFileSync(
      gateConfig,
      stringify({
        listen: `127.0.0.1:${port}`,
        socket: engine.socketPath,
        tls: { ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key },
        clients: [{ subject: "dvol-reader", allow: ["read"] }],
        audit,
      }),
    );
    const dvolConfig = path.join(dir, "dvol.yaml");
    writeFileSync(
      dvolConfig,
      stringify({
        hosts: [
          {
            name: "h",
            url: `tcp://127.0.0.1:${port}`,
            tls: {
              ca: `file:${pki.ca.cert}`,
              cert: `file:${pki.clients.reader.cert}`,
              key: `file:${pki.clients.reader.key}`,
              serverName: GATE_SERVER_NAME,
            },
          },
        ],
      }),
    );
    const gate = await startGate(gateConfig);
    try {
      expect(gate.stderr()).toMatch(
        new RegExp(
          `^dvol gate: listening on 127\\.0\\.0\\.1:${port} \\(mutual TLS\\), engine unix://${engine.socketPath}, 1 client, audit to ${audit}\\n`,
        ),
      );
      const hosts = await dvol(["--config", dvolConfig, "--json", "hosts"]);
      expect(hosts.code).toBe(0);
      expect(JSON.parse(hosts.stdout).hosts[0]).toMatchObject({
        host: "h",
        ok: true,
        gated: true,
        apiVersion: engine.apiVersion,
      });
      const ls = await dvol(["--config", dvolConfig, "--json", "ls", "h", "--name", "plain-"]);
      expect(ls.code).toBe(0);
      expect(JSON.parse(ls.stdout).hosts[0].volumes.map((v: { name: string }) => v.name)).toEqual([
        "plain-a",
        "plain-b",
      ]);
    } finally {
      gate.child.kill("SIGTERM");
    }
    expect(await gate.exited).toBe(0);
    expect(gate.stderr()).toContain("dvol gate: stopping");
    const lines = readFileSync(audit, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(new Set(lines.map((l) => `${l.client} ${l.decision}`))).toEqual(
      new Set(["subject:dvol-reader allowed"]),
    );
    expect(lines.map((l) => l.operation)).toEqual(expect.arrayContaining(["info", "volume-list", "df"]));
    expect(statSync(audit).mode & 0o777).toBe(0o640);
  }, 60_000);

  it("a config error names its key and starts nothing", async () => {
    const bad = path.join(dir, "bad.yaml");
    writeFileSync(
      bad,
      stringify({
        listen: "127.0.0.1:2376",
        socket: engine.socketPath,
        tls: { ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key },
        clients: [{ subject: "dvol-bot", allow: ["read", "write"] }],
      }),
    );
    const run = await dvol(["gate", "--config", bad]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 2,
      stderr: 'dvol: config: clients[0].allow[1]: expected one of read, delete, backup, got string "write"\n',
    });
    expect(run.stderr).not.toContain("listening");
  });
});

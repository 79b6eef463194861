// The gate's server against an engine newer than this dvol (API 1.53: no such engine exists to
// run here, so a stand-in on a unix socket answers /version and /volumes as the Engine API does).
// The gate pins the highest version it knows (1.52) and says so in /version, so that a client
// newer than its gate negotiates a version the gate offers instead of one it refuses.
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_API_VERSION } from "../../../src/docker/versions.js";
import { type GatePki, generateGatePki, startTestGate, type TestGate } from "../../support/gate.js";
import { sendRaw } from "../../support/gate-hostile.js";

let dir: string;
let engine: Server;
let pki: GatePki;
let gate: TestGate;
const asked: string[] = [];
const VERSION = { Version: "30.0.0", ApiVersion: "1.53", MinAPIVersion: "1.24", Os: "linux" };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dvol-gate-server-"));
  const socket = join(dir, "engine.sock");
  engine = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json", "Api-Version": "1.53" });
      res.end(JSON.stringify(body));
    };
    // An engine says its own version whatever the prefix asked.
    if (/^(?:\/v1\.\d+)?\/version$/.test(req.url ?? "")) json(200, VERSION);
    else if (req.url === `/v${MAX_API_VERSION}/volumes`) json(200, { Volumes: [], Warnings: null });
    else json(404, { message: `page not found: ${req.url}` });
  });
  await new Promise<void>((resolve) => engine.listen(socket, resolve));
  pki = await generateGatePki(join(dir, "pki"));
  gate = await startTestGate(pki, socket, join(dir, "gate"));
}, 60_000);

afterAll(async () => {
  await gate?.close();
  await new Promise<void>((resolve) => engine?.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

const ask = (line: string) =>
  sendRaw(gate.port, pki, pki.clients.reader, `${line} HTTP/1.1\r\nHost: gate\r\n\r\n`, (f) =>
    readFileSync(f),
  );

describe("a gate in front of an engine newer than dvol", () => {
  it("speaks the highest version it knows, and its /version says that one", async () => {
    const v = await ask("GET /version");
    expect(v.status).toBe(200);
    expect(v.headers["api-version"]).toBe(MAX_API_VERSION);
    expect(JSON.parse(v.body)).toEqual({ ...VERSION, ApiVersion: MAX_API_VERSION });
    const list = await ask(`GET /v${MAX_API_VERSION}/volumes`);
    expect([list.status, JSON.parse(list.body)]).toEqual([200, { Volumes: [], Warnings: null }]);
    expect(asked).toContain(`GET /v${MAX_API_VERSION}/volumes`);
  });

  it("refuses the engine's own higher version, which it does not speak", async () => {
    const before = asked.length;
    const refused = await ask("GET /v1.53/volumes");
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).message).toBe(
      `dvol gate: refused: API version 1.53 is not offered: this gate speaks ${MAX_API_VERSION}`,
    );
    expect(asked.slice(before)).toEqual([]);
  });
});

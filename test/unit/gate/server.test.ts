// The gate's server before what no engine here does on demand, so a stand-in on a unix socket
// answers as the Engine API does: an engine newer than this dvol (API 1.53), whose version the
// gate pins to the highest it knows (1.52) and says so in /version, so that a client newer than
// its gate negotiates a version the gate offers; and a volume that appears between the gate's
// check that there is none and its create (the engine then answers 201 with the old volume).
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_API_VERSION } from "../../../src/docker/versions.js";
import { helperTemplate } from "../../../src/gate/operations.js";
import { type GatePki, generateGatePki, startTestGate, type TestGate } from "../../support/gate.js";
import { sendRaw } from "../../support/gate-hostile.js";

let dir: string;
let engine: Server;
let pki: GatePki;
let gate: TestGate;
const asked: string[] = [];
const volumes = new Map<string, string>();
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
    const v = `/v${MAX_API_VERSION}`;
    // An engine says its own version whatever the prefix asked.
    if (/^(?:\/v1\.\d+)?\/version$/.test(req.url ?? "")) json(200, VERSION);
    else if (req.url === `${v}/volumes`) json(200, { Volumes: [], Warnings: null });
    else if (req.method === "GET" && req.url?.startsWith(`${v}/volumes/`)) {
      const name = req.url.slice(`${v}/volumes/`.length);
      if (volumes.has(name)) json(200, { Name: name, CreatedAt: volumes.get(name) });
      else json(404, { message: `get ${name}: no such volume` });
    } else if (req.method === "POST" && req.url === `${v}/volumes/create`) {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        const { Name } = JSON.parse(body) as { Name: string };
        // "race-*" appears between the gate's check and its create (another client of the
        // engine): the engine answers 201 with the existing volume, as Docker does.
        const createdAt = Name.startsWith("race-") ? "2020-01-01T00:00:00Z" : new Date().toISOString();
        volumes.set(Name, createdAt);
        json(201, { Name, Driver: "local", CreatedAt: createdAt, Labels: {}, Options: {} });
      });
    } else if (req.method === "POST" && req.url?.startsWith(`${v}/containers/create?`)) {
      req.resume();
      json(201, { Id: "c".repeat(64), Warnings: [] });
    } else json(404, { message: `page not found: ${req.url}` });
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

describe("a restore's volume that another client of the engine made first", () => {
  const post = (path: string, body: unknown) => {
    const text = JSON.stringify(body);
    return sendRaw(
      gate.port,
      pki,
      pki.clients.backup,
      `POST /v${MAX_API_VERSION}${path} HTTP/1.1\r\nHost: gate\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      (f) => readFileSync(f),
    );
  };
  const helper = (volume: string) =>
    post("/containers/create?name=dvol-helper-00112233445566ff", helperTemplate(volume, false));

  it("is not the gate's: no writable helper on it, though the engine answered 201", async () => {
    expect((await post("/volumes/create", { Name: "fresh-1", Driver: "local" })).status).toBe(201);
    expect((await helper("fresh-1")).status).toBe(201);

    expect((await post("/volumes/create", { Name: "race-1", Driver: "local" })).status).toBe(201);
    const refused = await helper("race-1");
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).message).toBe(
      "dvol gate: refused: a writable helper is offered only for a volume this gate created in this run (race-1)",
    );
  });
});

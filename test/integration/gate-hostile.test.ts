// A dvol gate in front of a real engine (API 1.41 and 1.51) under attack: every row of the hostile
// table (test/support/gate-hostile.ts) is sent raw over mutual TLS with a valid client
// certificate, and must be answered 403 with its reason, as one audit line of the gate; the
// engine's events over the whole table must show that nothing happened, and its volumes and
// containers are as before. Then the certificates: one of another CA, one of the engine's own CA
// and none at all are refused at the handshake; one of the gate's CA that gate.yaml does not list
// is answered 403 (the handshake succeeds: the gate's CA signed it) and audited as unknown.
//
// This file starts its own engines: the events of the shared ones carry other files' work.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { pack } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { helperTemplate } from "../../src/gate/operations.js";
import {
  BUSYBOX_IMAGE,
  type Engine,
  type EngineKind,
  runDocker,
  socketGetJson,
  socketRequest,
  startEngine,
} from "../support/engines.js";
import {
  GATE_SERVER_NAME,
  type GatePki,
  generateGatePki,
  startTestGate,
  type TestGate,
} from "../support/gate.js";
import { HOSTILE_ROWS, type HostileTargets, sendRaw } from "../support/gate-hostile.js";
import { CONTAINERS, createScenario, VOLUMES } from "../support/scenario.js";
import { requireTestbed } from "../support/testbed-types.js";

const testbed = requireTestbed();
const KINDS: readonly EngineKind[] = ["docker20", "docker28"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (at most 2 s) until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await sleep(10);
}

/** Every event the engine recorded from `since` (seconds) to now. */
async function eventsSince(engine: Engine, since: number): Promise<{ Type: string; Action: string }[]> {
  const until = Math.ceil(Date.now() / 1000) + 1;
  const res = await socketRequest(engine.socketPath, "GET", `/events?since=${since}&until=${until}`, 30_000);
  if (res.status !== 200) throw new Error(`GET /events: HTTP ${res.status} ${res.body}`);
  return res.body
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));
}

/** What must not change: the names of the volumes and of the containers, with their state. */
async function engineState(engine: Engine) {
  const v = await socketGetJson<{ Volumes: { Name: string }[] }>(engine.socketPath, "/volumes");
  const c = await socketGetJson<{ Names: string[]; State: string }[]>(
    engine.socketPath,
    "/containers/json?all=1",
  );
  return {
    volumes: v.Volumes.map((x) => x.Name).sort(),
    containers: c.map((x) => `${x.Names.join(",")}:${x.State}`).sort(),
  };
}

describe("the hostile table", () => {
  it("has at least 30 rows, each with a name of its own", () => {
    expect(HOSTILE_ROWS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(HOSTILE_ROWS.map((r) => r.name)).size).toBe(HOSTILE_ROWS.length);
  });
});

describe.each(KINDS)("a gate under attack, on a %s engine of its own", (kind) => {
  let engine: Engine;
  let pki: GatePki;
  let gate: TestGate;
  let targets: HostileTargets;
  const read = (f: string) => readFileSync(f);

  beforeAll(async () => {
    const dir = join(testbed.dir, `gate-hostile-${kind}-${process.pid}`);
    engine = await startEngine({ kind, pki: testbed.pki, dir });
    await createScenario(engine);
    for (const name of ["gate-victim", "keep-me"]) {
      const res = await socketRequest(engine.socketPath, "POST", "/volumes/create", 10_000, { Name: name });
      if (res.status !== 201) throw new Error(`creating ${name}: HTTP ${res.status}`);
    }
    const runner = await socketGetJson<{ Id: string }>(
      engine.socketPath,
      `/containers/${CONTAINERS.runner}/json`,
    );
    pki = await generateGatePki(join(dir, "gate-pki"));
    gate = await startTestGate(pki, engine.socketPath, join(dir, "gate"), { deny: ["keep-*"] });
    targets = {
      foreign: runner.Id,
      inUseRunning: VOLUMES.inUseRunning,
      inUseCreated: VOLUMES.inUseCreated,
      victim: "gate-victim",
      denied: "keep-me",
      api: engine.apiVersion,
    };
  }, 180_000);
  afterAll(async () => {
    await gate?.close();
    await engine?.stop();
  }, 60_000);

  it("refuses every row with 403 and its reason, audits each as one JSON line, and the engine's events show nothing happened", async () => {
    const before = await engineState(engine);
    // Events have one-second precision: start on a fresh second, after the setup's own events.
    await sleep(1000 - (Date.now() % 1000) + 10);
    const since = Math.floor(Date.now() / 1000);
    const results: { name: string; status: number; reason: string; audit: unknown[] }[] = [];
    for (const row of HOSTILE_ROWS) {
      const client = pki.clients[row.client ?? "all"];
      const auditBefore = gate.audit.length;
      const answer = await sendRaw(gate.port, pki, client, row.request(targets), read).catch(
        (err: Error) => ({ status: 0, headers: {} as Record<string, string>, body: `(${err.message})` }),
      );
      let reason = answer.body;
      try {
        reason = (JSON.parse(answer.body) as { message: string }).message;
      } catch {
        // left as the raw body: the comparison below shows it
      }
      expect({ row: row.name, gateHeader: answer.headers["dvol-gate"] }).toEqual({
        row: row.name,
        gateHeader: "1",
      });
      results.push({
        name: row.name,
        status: answer.status,
        reason,
        audit: gate.audit.slice(auditBefore).map((l) => JSON.parse(l)),
      });
    }
    for (const [i, r] of results.entries()) {
      const row = HOSTILE_ROWS[i];
      if (!row) throw new Error("no row");
      expect({ row: r.name, status: r.status }).toEqual({ row: row.name, status: 403 });
      expect({ row: r.name, reason: r.reason }).toEqual({
        row: row.name,
        reason: expect.stringMatching(new RegExp(`^dvol gate: refused: .*${row.reason.source}`)),
      });
      expect(r.reason.length, r.name).toBeLessThan(200);
      const cn = { reader: "dvol-reader", backup: "dvol-backup", all: "dvol-all" }[
        (row.client ?? "all") as "reader" | "backup" | "all"
      ];
      expect({ row: r.name, audit: r.audit }).toEqual({
        row: row.name,
        audit: [
          expect.objectContaining({
            client: `subject:${cn}`,
            decision: "refused",
            status: 403,
            reason: r.reason.replace("dvol gate: refused: ", ""),
            time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          }),
        ],
      });
    }
    expect(await eventsSince(engine, since)).toEqual([]);
    expect(await engineState(engine)).toEqual(before);

    // The events query sees what does happen: one allowed delete through the same gate.
    const allowed = await sendRaw(
      gate.port,
      pki,
      pki.clients.deleter,
      `DELETE /v${engine.apiVersion}/volumes/gate-victim HTTP/1.1\r\nHost: gate\r\n\r\n`,
      read,
    );
    expect(allowed.status).toBe(204);
    await until(() => JSON.parse(gate.audit.at(-1) as string).decision === "allowed");
    const events = await eventsSince(engine, since);
    expect(events.map((e) => `${e.Type} ${e.Action}`)).toEqual(["volume destroy"]);
    expect(JSON.parse(gate.audit.at(-1) as string)).toMatchObject({
      client: "subject:dvol-bot",
      operation: "volume-delete",
      decision: "allowed",
      status: 204,
      volume: "gate-victim",
      path: `/v${engine.apiVersion}/volumes/gate-victim`,
    });
  });

  it("refuses at the TLS handshake a client certificate of another CA, of the engine's own CA, and none", async () => {
    const ping = "GET /_ping HTTP/1.1\r\nHost: gate\r\n\r\n";
    const auditBefore = gate.audit.length;
    for (const client of [testbed.pki.rogueClient, testbed.pki.client, null]) {
      const err = await sendRaw(gate.port, pki, client, ping, read).then(
        (a) => new Error(`answered ${a.status}`),
        (e: Error) => e,
      );
      // TLS 1.3: the server's alert arrives after the client's handshake ends, as an error or a close.
      expect(err.message).toMatch(
        /certificate|alert|ECONNRESET|closed without a whole answer|socket hang up/i,
      );
      expect(err.message).not.toMatch(/answered/);
    }
    expect(gate.audit.length).toBe(auditBefore);
    // The same ping with a listed certificate is answered.
    const ok = await sendRaw(gate.port, pki, pki.clients.reader, ping, read);
    expect([ok.status, ok.body]).toEqual([200, "OK"]);
    // An allowed request is audited once its answer is sent whole: the line follows the answer.
    await until(() => gate.audit.length > auditBefore);
    expect(gate.audit.slice(auditBefore).map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({
        client: "subject:dvol-reader",
        operation: "ping",
        decision: "allowed",
        status: 200,
      }),
    ]);
  });

  it("answers 403 to a certificate of the gate's CA that gate.yaml does not list, and audits it as unknown", async () => {
    const auditBefore = gate.audit.length;
    const answer = await sendRaw(
      gate.port,
      pki,
      pki.clients.stranger,
      "GET /_ping HTTP/1.1\r\nHost: gate\r\n\r\n",
      read,
    );
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).message).toMatch(
      /^dvol gate: refused: the client certificate is not one of the gate's clients \(unknown:CN=dvol-stranger,pin=sha256\/[A-Za-z0-9+/]{43}=\)$/,
    );
    expect(gate.audit.slice(auditBefore).map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({
        client: expect.stringMatching(/^unknown:CN=dvol-stranger,/),
        decision: "refused",
        status: 403,
      }),
    ]);
  });

  it("passes the whole container list on as each container's Id and volume mounts, and nothing else", async () => {
    const answer = await sendRaw(
      gate.port,
      pki,
      pki.clients.reader,
      `GET /v${engine.apiVersion}/containers/json?all=1 HTTP/1.1\r\nHost: gate\r\n\r\n`,
      read,
    );
    expect(answer.status).toBe(200);
    const direct = await socketGetJson<{ Id: string; Mounts: { Type: string; Name?: string }[] }[]>(
      engine.socketPath,
      "/containers/json?all=1",
    );
    expect(direct.some((c) => c.Mounts.some((m) => m.Type === "volume"))).toBe(true);
    expect(JSON.parse(answer.body)).toEqual(
      direct.map((c) => ({
        Id: c.Id,
        Mounts: c.Mounts.filter((m) => m.Type === "volume").map((m) => ({ Type: "volume", Name: m.Name })),
      })),
    );
    expect(answer.body).not.toMatch(/Command|Image|Labels|Names/);
  });

  describe("a restore's archive through the gate", () => {
    type Entry = {
      name: string;
      type?: "file" | "directory" | "symlink" | "link" | "character-device" | "fifo";
      mode?: number;
      linkname?: string;
      body?: string;
    };
    const tarOf = async (entries: Entry[]): Promise<Buffer> => {
      const p = pack();
      for (const e of entries) {
        const { body, ...header } = e;
        p.entry(
          {
            type: "file",
            mode: 0o644,
            ...header,
            ...(e.type === "character-device" ? { devmajor: 1, devminor: 3 } : {}),
          },
          body ?? "",
        );
      }
      p.finalize();
      const chunks: Buffer[] = [];
      for await (const c of p) chunks.push(Buffer.from(c as Uint8Array));
      return Buffer.concat(chunks);
    };
    const as = (bytes: string | Buffer) => sendRaw(gate.port, pki, pki.clients.backup, bytes, read);
    const request = (line: string, head: string[], body?: Buffer | string) => {
      const b = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
      const lines = [
        line,
        "Host: gate",
        ...head,
        ...(body === undefined ? [] : [`Content-Length: ${b.length}`]),
      ];
      return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`), b]);
    };

    /** A helper the gate creates on `volume` (read-only: a backup's); its ID. */
    async function backupHelper(volume: string, readOnly = true): Promise<string> {
      const hex = Math.random().toString(16).slice(2, 10).padEnd(8, "0");
      const c = await as(
        request(
          `POST /v${engine.apiVersion}/containers/create?name=dvol-helper-${hex}${hex} HTTP/1.1`,
          ["Content-Type: application/json"],
          JSON.stringify(helperTemplate(volume, readOnly)),
        ),
      );
      expect(c.status, c.body).toBe(201);
      return (JSON.parse(c.body) as { Id: string }).Id;
    }

    /** A volume made through the gate, and a writable helper on it: what a restore makes. */
    async function restoreTarget(name: string): Promise<string> {
      const v = await as(
        request(
          `POST /v${engine.apiVersion}/volumes/create HTTP/1.1`,
          ["Content-Type: application/json"],
          JSON.stringify({ Name: name, Driver: "local", Labels: {} }),
        ),
      );
      expect(v.status).toBe(201);
      return backupHelper(name, false);
    }

    it("refuses a device, a setuid file, an escaping link and an absolute name mid-stream, and the engine extracts nothing", async () => {
      // The helper image first (a restore's first calls), through the gate.
      const image = await as(
        request(
          `POST /v${engine.apiVersion}/images/create?fromSrc=-&repo=dvol-helper&tag=1&changes=CMD%20%5B%22%2Fdvol-helper%22%5D HTTP/1.1`,
          ["Content-Type: application/x-tar"],
          Buffer.alloc(1024),
        ),
      );
      expect(image.status).toBe(200);
      const cases: [string, Entry, RegExp][] = [
        [
          "a device",
          { name: "volume/null", type: "character-device" },
          /the entry "volume\/null" is a character-device/,
        ],
        [
          "a setuid file",
          { name: "volume/su", mode: 0o4755, body: "x" },
          /the entry "volume\/su" is setuid or setgid/,
        ],
        [
          "a symlink out",
          { name: "volume/etc", type: "symlink", linkname: "../../../../etc" },
          /the symlink "volume\/etc" leads out of volume\//,
        ],
        [
          "a hard link out",
          { name: "volume/shadow", type: "link", linkname: "etc/shadow" },
          /the hard link "volume\/shadow" leads out of volume\//,
        ],
        ["an absolute name", { name: "/etc/cron.d/x", body: "* * * * * root id" }, /has an absolute name/],
      ];
      const volume = `restore-${kind}`;
      const helper = await restoreTarget(volume);
      await sleep(1000 - (Date.now() % 1000) + 10);
      const since = Math.floor(Date.now() / 1000);
      for (const [what, bad, reason] of cases) {
        const tar = await tarOf([
          { name: "volume/", type: "directory", mode: 0o755 },
          { name: "volume/good", body: "fine" },
          bad,
          { name: "volume/after", body: "never" },
        ]);
        const answer = await as(
          request(
            `PUT /v${engine.apiVersion}/containers/${helper}/archive?path=/ HTTP/1.1`,
            ["Content-Type: application/x-tar"],
            tar,
          ),
        );
        expect({ what, status: answer.status }).toEqual({ what, status: 403 });
        expect({ what, message: JSON.parse(answer.body).message }).toEqual({
          what,
          message: expect.stringMatching(reason),
        });
        const line = JSON.parse(gate.audit.at(-1) as string);
        expect({ what, line }).toEqual({
          what,
          line: expect.objectContaining({
            operation: "helper-archive-put",
            decision: "refused",
            status: 403,
            container: helper,
          }),
        });
      }
      const events = await eventsSince(engine, since);
      expect(events.filter((e) => e.Action === "extract-to-dir")).toEqual([]);

      // A good archive through the same helper is extracted (the events show it, once).
      const good = await tarOf([
        { name: "volume/", type: "directory", mode: 0o750 },
        { name: "volume/good", body: "fine" },
        { name: "volume/link", type: "symlink", linkname: "good" },
      ]);
      const ok = await as(
        request(
          `PUT /v${engine.apiVersion}/containers/${helper}/archive?path=/ HTTP/1.1`,
          ["Content-Type: application/x-tar"],
          good,
        ),
      );
      expect(ok.status).toBe(200);
      const removed = await as(request(`DELETE /v${engine.apiVersion}/containers/${helper} HTTP/1.1`, []));
      expect(removed.status).toBe(204);
      expect((await eventsSince(engine, since)).filter((e) => e.Action === "extract-to-dir")).toHaveLength(1);
      const tree = await runDocker(engine, [
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        `${volume}:/data:ro`,
        BUSYBOX_IMAGE,
        "sh",
        "-c",
        "cd /data && find . | sort && cat good",
      ]);
      expect(tree.split("\n")).toEqual([".", "./good", "./link", "fine"]);
    });

    it("a client that goes away mid-archive: the gate audits how much of the answer went, and goes on", async () => {
      const helper = await backupHelper(VOLUMES.sized5m);
      const got = await new Promise<number>((resolve, reject) => {
        const socket = connect({
          host: "127.0.0.1",
          port: gate.port,
          servername: GATE_SERVER_NAME,
          ca: read(pki.ca.cert),
          cert: read(pki.clients.backup.cert),
          key: read(pki.clients.backup.key),
        });
        let bytes = 0;
        socket.once("secureConnect", () =>
          socket.write(
            `GET /v${engine.apiVersion}/containers/${helper}/archive?path=/volume HTTP/1.1\r\nHost: gate\r\n\r\n`,
          ),
        );
        socket.on("data", (c: Buffer) => {
          bytes += c.length;
          if (bytes > 64 * 1024) {
            socket.destroy();
            resolve(bytes);
          }
        });
        socket.on("error", reject);
      });
      expect(got).toBeGreaterThan(64 * 1024);
      await until(() => gate.audit.some((l) => l.includes("went away")));
      const line = JSON.parse(gate.audit.find((l) => l.includes("went away")) as string);
      expect(line).toMatchObject({
        operation: "helper-archive-get",
        decision: "allowed",
        status: 200,
        container: helper,
      });
      expect(line.reason).toMatch(/^the client went away after \d+ bytes of the answer$/);
      expect(line.bytesOut).toBeLessThan(5 * 1024 * 1024);
      // The gate goes on: the helper is removed through it.
      const removed = await as(request(`DELETE /v${engine.apiVersion}/containers/${helper} HTTP/1.1`, []));
      expect(removed.status).toBe(204);
    });
  });
});

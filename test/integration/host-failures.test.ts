// Each way a host can fail, against the real engines of the test bed: a clear error naming the
// host and the cause, within the deadline, without holding up the other hosts.
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LsResult } from "../../src/commands/ls/run.js";
import { SecretResolver } from "../../src/config/secrets.js";
import { type ConnectionFactory, tlsConnectionFactory } from "../../src/docker/connection.js";
import { engineHost, runCli, writeConfig } from "../support/dvol.js";
import { requireTestbed } from "../support/testbed-types.js";

const testbed = requireTestbed();
const engine = testbed.engines.docker28;
const { pki } = testbed;

/** A port that nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let silent: Server;
let silentPort = 0;
const held: Socket[] = [];

beforeAll(async () => {
  // Accepts TCP connections and never says a word.
  silent = createServer((sock) => held.push(sock));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  silentPort = (silent.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
});

async function lsOne(host: Parameters<typeof writeConfig>[0][number]) {
  const started = Date.now();
  const run = await runCli<LsResult>(["--config", writeConfig([host]), "--json", "ls", host.name]);
  return { ...run, ms: Date.now() - started, result: run.json.hosts[0] };
}

describe("a host that cannot be asked", () => {
  it("refuses the connection", async () => {
    const r = await lsOne(engineHost("h", engine, testbed, { url: `tcp://127.0.0.1:${await closedPort()}` }));
    expect(r.code).toBe(1);
    expect(r.result).toMatchObject({ host: "h", ok: false });
    expect(r.result?.error).toMatch(/^h: connection refused \(tcp:\/\/127\.0\.0\.1:\d+\)$/);
  });

  it("accepts TCP and never answers: fails at the deadline, never hangs", async () => {
    const r = await lsOne(
      engineHost("h", engine, testbed, { url: `tcp://127.0.0.1:${silentPort}`, timeoutSeconds: 1 }),
    );
    expect(r.code).toBe(1);
    expect(r.result?.error).toBe(`h: timed out: no answer from tcp://127.0.0.1:${silentPort} within 1 s`);
    expect(r.ms).toBeGreaterThanOrEqual(900);
    expect(r.ms).toBeLessThan(5000);
  });

  it("presents a server certificate from a CA we do not trust", async () => {
    const host = engineHost("h", engine, testbed);
    const r = await lsOne({ ...host, tls: { ...host.tls, ca: `file:${pki.rogueCa.cert}` } });
    expect(r.code).toBe(1);
    expect(r.result?.error).toContain("unknown CA");
  });

  it("rejects our client certificate, issued by another CA", async () => {
    const host = engineHost("h", engine, testbed);
    const r = await lsOne({
      ...host,
      tls: { ...host.tls, cert: `file:${pki.rogueClient.cert}`, key: `file:${pki.rogueClient.key}` },
    });
    expect(r.code).toBe(1);
    expect(r.result?.error).toContain("TLS: the engine rejected our client certificate");
  });

  it("presents a certificate for another name", async () => {
    const host = engineHost("h", engine, testbed);
    const r = await lsOne({ ...host, tls: { ...host.tls, serverName: "not-the-engine.example" } });
    expect(r.code).toBe(1);
    expect(r.result?.error).toContain("name mismatch");
  });

  it("verifies the name of a URL given as an address against the certificate's IP entries", async () => {
    const host = engineHost("h", engine, testbed);
    const r = await lsOne({ ...host, tls: { ca: host.tls.ca, cert: host.tls.cert, key: host.tls.key } });
    expect(r.code).toBe(0);
    expect(r.result?.ok).toBe(true);
  });
});

describe("TLS material that cannot be used", () => {
  it("is a clear error naming the key, and never shows the material", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dvol-badkey-"));
    const badKey = join(dir, "key.pem");
    writeFileSync(badKey, "-----BEGIN PRIVATE KEY-----\nTOPSECRETMATERIAL\n-----END PRIVATE KEY-----\n");
    const host = engineHost("h", engine, testbed);
    const r = await lsOne({ ...host, tls: { ...host.tls, key: `file:${badKey}` } });
    expect(r.code).toBe(1);
    expect(r.result?.error).toContain("config: hosts (h).tls: the CA, certificate or key is not usable");
    expect(r.stdout + r.stderr).not.toContain("TOPSECRETMATERIAL");
  });
});

describe("with one host down", () => {
  it("ls all still reports the others, and exits 1", async () => {
    const config = writeConfig([
      engineHost("a", testbed.engines.docker20, testbed),
      engineHost("dead", engine, testbed, { url: `tcp://127.0.0.1:${silentPort}`, timeoutSeconds: 2 }),
      engineHost("b", testbed.engines.docker28, testbed),
    ]);
    const run = await runCli<LsResult>(["--config", config, "--json", "ls", "all"]);
    expect(run.code).toBe(1);
    expect(run.json.hosts.map((h) => [h.host, h.ok])).toEqual([
      ["a", true],
      ["dead", false],
      ["b", true],
    ]);
    const text = await runCli(["--config", config, "ls", "all", "--name", "sized-5m"]);
    expect(text.stdout).toContain("dead: unavailable: timed out");
    expect(text.stdout.match(/sized-5m/g)).toHaveLength(2);
  });
});

describe("commands refused before any request leaves the process", () => {
  const config = writeConfig([engineHost("h", engine, testbed)]);
  let calls = 0;
  const real = tlsConnectionFactory(new SecretResolver({ baseDir: "/" }));
  const counting: ConnectionFactory = async (host) => {
    const conn = await real(host);
    return {
      host: conn.host,
      close: () => conn.close(),
      call: (req) => {
        calls++;
        return conn.call(req);
      },
    };
  };

  it.each([["../containers/x"], ["a?force=1"], [""], ["x".repeat(300)], ["données"], ["-rf"]])(
    "inspect with the volume name %j: exit 2, nothing sent",
    async (name) => {
      calls = 0;
      const run = await runCli(["--config", config, "inspect", "h", name], { connect: counting });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/invalid volume name|inspect: (missing|unknown option)/);
      expect(calls).toBe(0);
    },
  );

  it("an unknown host: exit 2 naming the registered hosts, nothing sent", async () => {
    calls = 0;
    const run = await runCli(["--config", config, "ls", "nope"], { connect: counting });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown host "nope"');
    expect(run.stderr).toContain("Registered hosts: h.");
    expect(calls).toBe(0);
  });

  it("a tcp:// host without TLS material is a config error", async () => {
    const bad = writeConfig([{ name: "h", url: engine.url }]);
    const run = await runCli(["--config", bad, "ls", "h"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("config: hosts[0] (h).tls: a tcp:// host needs tls");
  });
});

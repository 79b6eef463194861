// A dvol gate in front of an engine's unix socket, for the tests: its own PKI (a CA of its own,
// generated with openssl like pki.ts; nothing committed), a gate.yaml read by the gate's own
// loader, the gate started in this process with its audit lines kept, and dvol host entries that
// reach the engine through it with one client certificate or another.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { auditTo } from "../../src/gate/audit.js";
import { loadGateConfig } from "../../src/gate/config.js";
import { type RunningGate, startGate } from "../../src/gate/server.js";
import type { HostEntry } from "./dvol.js";
import { type CertFiles, CLIENT_EXT, makeCa, makeLeaf } from "./pki.js";

export const GATE_SERVER_NAME = "gate.dvol.test";

/** The clients of the test gate: the CN of each certificate, and what gate.yaml allows it. */
export const GATE_CLIENTS = {
  reader: { cn: "dvol-reader", allow: ["read"] },
  deleter: { cn: "dvol-bot", allow: ["read", "delete"] },
  backup: { cn: "dvol-backup", allow: ["read", "backup"] },
  all: { cn: "dvol-all", allow: ["read", "delete", "backup"] },
  /** Signed by the gate's CA, and not listed in gate.yaml. */
  stranger: { cn: "dvol-stranger", allow: [] },
} as const;
export type GateClientName = keyof typeof GATE_CLIENTS;

export interface GatePki {
  dir: string;
  ca: CertFiles;
  server: CertFiles;
  clients: Record<GateClientName, CertFiles>;
}

/** A CA of the gate's own, its server certificate (gate.dvol.test, 127.0.0.1) and one client certificate per set of permissions. */
export async function generateGatePki(dir: string): Promise<GatePki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = await makeCa(dir, "gate-ca", "dvol gate test CA");
  const server = await makeLeaf(dir, "gate-server", GATE_SERVER_NAME, ca, [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth",
    `subjectAltName=DNS:${GATE_SERVER_NAME},IP:127.0.0.1`,
  ]);
  const names = Object.keys(GATE_CLIENTS) as GateClientName[];
  const leaves = await Promise.all(
    names.map((n) => makeLeaf(dir, `gate-client-${n}`, GATE_CLIENTS[n].cn, ca, CLIENT_EXT)),
  );
  const clients = Object.fromEntries(names.map((n, i) => [n, leaves[i]])) as Record<
    GateClientName,
    CertFiles
  >;
  for (const f of [ca, server, ...leaves]) await chmod(f.key, 0o600);
  return { dir, ca, server, clients };
}

export interface TestGate extends RunningGate {
  /** The audit lines written so far, each exactly as the gate wrote it (one JSON text per line). */
  audit: string[];
  configFile: string;
}

/**
 * Writes a gate.yaml for `socket` and starts the gate in this process on a free loopback port.
 * `deny` and `deletesPerMinute` go into the file as given.
 */
export async function startTestGate(
  pki: GatePki,
  socket: string,
  dir: string,
  extra: { deny?: string[]; deletesPerMinute?: number } = {},
): Promise<TestGate> {
  await mkdir(dir, { recursive: true });
  const clients = (Object.keys(GATE_CLIENTS) as GateClientName[])
    .filter((n) => GATE_CLIENTS[n].allow.length > 0)
    .map((n) => `  - subject: ${GATE_CLIENTS[n].cn}\n    allow: [${GATE_CLIENTS[n].allow.join(", ")}]`);
  const yaml = [
    "listen: 127.0.0.1:2376",
    `socket: ${socket}`,
    `tls: { ca: ${pki.ca.cert}, cert: ${pki.server.cert}, key: ${pki.server.key} }`,
    "clients:",
    ...clients,
    ...(extra.deny ? [`deny: [${extra.deny.map((d) => JSON.stringify(d)).join(", ")}]`] : []),
    ...(extra.deletesPerMinute !== undefined ? [`deletesPerMinute: ${extra.deletesPerMinute}`] : []),
    "",
  ].join("\n");
  const configFile = join(dir, "gate.yaml");
  await writeFile(configFile, yaml);
  const config = await loadGateConfig(configFile, dir);
  // The file says the usual port; the test takes any free one instead (0), so runs never collide.
  config.listen = { host: "127.0.0.1", port: 0 };
  const audit: string[] = [];
  const gate = await startGate(config, {
    audit: auditTo(null, (text) => {
      for (const l of text.split("\n")) if (l !== "") audit.push(l);
    }),
  });
  return Object.assign(gate, { audit, configFile });
}

/** A dvol host entry that reaches the engine through the gate with the named client certificate. */
export function gatedHost(name: string, gate: RunningGate, pki: GatePki, client: GateClientName): HostEntry {
  const c = pki.clients[client];
  return {
    name,
    url: `tcp://127.0.0.1:${gate.port}`,
    tls: {
      ca: `file:${pki.ca.cert}`,
      cert: `file:${c.cert}`,
      key: `file:${c.key}`,
      serverName: GATE_SERVER_NAME,
    },
  };
}

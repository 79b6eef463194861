/**
 * The gate's config file (`dvol gate --config gate.yaml`), read and validated once at start-up;
 * every error names the bad key, as dvol's own config does (src/config/validate.ts).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { describe, expectObj as obj, onlyKeys, str } from "../config/checks.js";
import { ConfigError, fileErrorText, pathAsGiven } from "../errors.js";

export type Permission = "read" | "delete" | "backup";
export const PERMISSIONS: readonly Permission[] = ["read", "delete", "backup"];

/** Who a client is: its certificate's subject CN, or the sha256 of its public key (SPKI). */
export type ClientMatch = { kind: "subject"; cn: string } | { kind: "pin"; sha256: string };

export interface GateClient {
  match: ClientMatch;
  allow: ReadonlySet<Permission>;
  /** How the audit names it: `subject:dvol-bot` or `pin:sha256/…`. */
  id: string;
}

export interface GateConfig {
  source: string;
  listen: { host: string; port: number };
  socket: string;
  /** PEM files (absolute paths). */
  tls: { ca: string; cert: string; key: string };
  clients: GateClient[];
  /** The audit file, or null for standard output. */
  audit: string | null;
  /** Volume name patterns (`*`, `?`) that no client may delete through this gate. */
  deny: string[];
  /** The most volume deletes the gate forwards in any 60 seconds, all clients together. */
  deletesPerMinute: number;
}

export const DEFAULT_DELETES_PER_MINUTE = 60;
const TOP_KEYS = ["listen", "socket", "tls", "clients", "audit", "deny", "deletesPerMinute"] as const;

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (all addresses). */
export function parseListen(v: unknown, key: string): { host: string; port: number } {
  const s = str(v, key);
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !(port >= 1 && port <= 65535)) {
    throw new ConfigError(`"${s}" is not HOST:PORT (e.g. 0.0.0.0:2376)`, { key });
  }
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

const PIN_RE = /^sha256\/([A-Za-z0-9+/]{43}=)$/;

function parseClient(v: unknown, i: number): GateClient {
  const at = `clients[${i}]`;
  const o = obj(v, at);
  onlyKeys(o, ["subject", "pin", "allow"], at);
  let match: ClientMatch;
  if (o.subject !== undefined && o.pin !== undefined) {
    throw new ConfigError("give either subject or pin, not both", { key: at });
  } else if (o.subject !== undefined) {
    match = { kind: "subject", cn: str(o.subject, `${at}.subject`) };
  } else if (o.pin !== undefined) {
    const pin = str(o.pin, `${at}.pin`);
    const m = PIN_RE.exec(pin);
    if (!m) {
      throw new ConfigError('expected "sha256/<base64 of the SHA-256 of the certificate\'s public key>"', {
        key: `${at}.pin`,
        hint: "openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64",
      });
    }
    match = { kind: "pin", sha256: m[1] as string };
  } else {
    throw new ConfigError("each client needs subject (its certificate's CN) or pin (sha256/…)", { key: at });
  }
  if (!Array.isArray(o.allow) || o.allow.length === 0) {
    throw new ConfigError(`expected a non-empty list of ${PERMISSIONS.join(", ")}`, { key: `${at}.allow` });
  }
  const allow = new Set<Permission>();
  o.allow.forEach((p, j) => {
    if (!PERMISSIONS.includes(p as Permission)) {
      throw new ConfigError(`expected one of ${PERMISSIONS.join(", ")}, got ${describe(p)}`, {
        key: `${at}.allow[${j}]`,
      });
    }
    allow.add(p as Permission);
  });
  const id = match.kind === "subject" ? `subject:${match.cn}` : `pin:sha256/${match.sha256}`;
  return { match, allow, id };
}

/** Validates a parsed YAML document; relative paths are read from `baseDir`. */
export function validateGateConfig(doc: unknown, source: string, baseDir: string): GateConfig {
  const o = obj(doc ?? {}, "");
  onlyKeys(o, TOP_KEYS, "");
  for (const k of ["listen", "socket", "tls", "clients"]) {
    if (o[k] === undefined || o[k] === null) throw new ConfigError("is required", { key: k });
  }
  const file = (v: unknown, key: string) => path.resolve(baseDir, str(v, key));
  const tls = obj(o.tls, "tls");
  onlyKeys(tls, ["ca", "cert", "key"], "tls");
  const socket = str(o.socket, "socket").replace(/^unix:\/\//, "");
  if (!socket.startsWith("/")) {
    throw new ConfigError("expected the absolute path of the engine's unix socket", { key: "socket" });
  }
  if (!Array.isArray(o.clients) || o.clients.length === 0) {
    throw new ConfigError("expected a non-empty list of clients", { key: "clients" });
  }
  const clients = o.clients.map(parseClient);
  const seen = new Map<string, number>();
  clients.forEach((c, i) => {
    const before = seen.get(c.id);
    if (before !== undefined) {
      throw new ConfigError(`the same client as clients[${before}]`, { key: `clients[${i}]` });
    }
    seen.set(c.id, i);
  });
  let deny: string[] = [];
  if (o.deny !== undefined && o.deny !== null) {
    if (!Array.isArray(o.deny))
      throw new ConfigError(`expected a list of name patterns, got ${describe(o.deny)}`, { key: "deny" });
    deny = o.deny.map((d, i) => str(d, `deny[${i}]`));
  }
  let deletesPerMinute = DEFAULT_DELETES_PER_MINUTE;
  if (o.deletesPerMinute !== undefined && o.deletesPerMinute !== null) {
    const n = o.deletesPerMinute;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 100_000) {
      throw new ConfigError(`expected a whole number from 0 to 100000, got ${describe(n)}`, {
        key: "deletesPerMinute",
      });
    }
    deletesPerMinute = n;
  }
  return {
    source,
    listen: parseListen(o.listen, "listen"),
    socket,
    tls: { ca: file(tls.ca, "tls.ca"), cert: file(tls.cert, "tls.cert"), key: file(tls.key, "tls.key") },
    clients,
    audit: o.audit === undefined || o.audit === null ? null : file(o.audit, "audit"),
    deny,
    deletesPerMinute,
  };
}

/** Parses the file's text; `file` names it in errors. */
export function parseGateConfig(text: string, file: string): GateConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  const first = doc.errors[0];
  if (first) {
    throw new ConfigError(
      `${file} is not valid YAML at line ${lines.linePos(first.pos[0]).line}: ${first.message.split("\n")[0]}`,
      { cause: first },
    );
  }
  return validateGateConfig(doc.toJS(), file, path.dirname(file));
}

export async function loadGateConfig(given: string, cwd: string): Promise<GateConfig> {
  const file = path.resolve(cwd, given);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new ConfigError(`cannot read ${pathAsGiven(given, file)}: ${fileErrorText(cause)}`, {
      cause,
      hint: "Check dvol gate --config.",
    });
  }
  return parseGateConfig(text, file);
}

// Hostile requests to a dvol gate, one row per attack, each sent raw over mutual TLS with a valid
// client certificate (byte-exact: the attack is often in the framing), each to be refused with 403
// and a short reason. test/integration/gate-hostile.test.ts sends them to a gate in front of a real
// engine and checks the answer, the audit line and the engine's events.
import { connect } from "node:tls";
import { helperTemplate } from "../../src/gate/operations.js";
import type { GateClientName, GatePki } from "./gate.js";
import { GATE_SERVER_NAME } from "./gate.js";

/** What the rows need of the engine behind the gate. */
export interface HostileTargets {
  /** The full ID of a container the gate did not create (the scenario's running one). */
  foreign: string;
  /** A volume used by a running container, and one used by a container never started. */
  inUseRunning: string;
  inUseCreated: string;
  /** An unused volume that must survive every row. */
  victim: string;
  /** An unused volume on the gate's deny list (`keep-*`). */
  denied: string;
  /** The engine's API version (what the gate pins). */
  api: string;
}

export interface HostileRow {
  name: string;
  /** Whose certificate sends it (default `all`: read, delete and backup). */
  client?: GateClientName;
  /** The whole request, as bytes on the wire. */
  request: (t: HostileTargets) => string | Buffer;
  /** The reason the gate must give (the answer's message after "dvol gate: refused: "). */
  reason: RegExp;
}

const HELPER_NAME = "dvol-helper-0123456789abcdef";

/** An HTTP/1.1 request: head lines as given, then the body with its Content-Length unless `head` frames it. */
function http(
  line: string,
  head: string[] = [],
  body?: string | Buffer,
  opts: { length?: boolean } = {},
): Buffer {
  const b = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  const lines = [line, "Host: gate", ...head];
  if (body !== undefined && opts.length !== false) lines.push(`Content-Length: ${b.length}`);
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`), b]);
}

const JSON_TYPE = "Content-Type: application/json";

/** POST /containers/create of a helper whose body is the gate's template changed by `change`. */
function create(t: HostileTargets, change: (body: ReturnType<typeof helperTemplate>) => unknown): Buffer {
  const body = helperTemplate(t.victim, true);
  return http(
    `POST /v${t.api}/containers/create?name=${HELPER_NAME} HTTP/1.1`,
    [JSON_TYPE],
    JSON.stringify(change(body)),
  );
}

type HC = ReturnType<typeof helperTemplate>["HostConfig"] & Record<string, unknown>;
const withHost = (extra: Record<string, unknown>) => (b: ReturnType<typeof helperTemplate>) => ({
  ...b,
  HostConfig: { ...(b.HostConfig as HC), ...extra },
});

const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
const NOT_TEMPLATE = /the helper's body is not the gate's template/;

export const HOSTILE_ROWS: readonly HostileRow[] = [
  // --- containers/create: anything beyond the template -----------------------------------------
  {
    name: "privileged create",
    request: (t) => create(t, withHost({ Privileged: true })),
    reason: NOT_TEMPLATE,
  },
  {
    name: "a bind of the host's root",
    request: (t) => create(t, withHost({ Binds: ["/:/host"] })),
    reason: NOT_TEMPLATE,
  },
  {
    name: "a bind-type mount",
    request: (t) =>
      create(t, withHost({ Mounts: [{ Type: "bind", Source: "/", Target: "/volume", ReadOnly: true }] })),
    reason: NOT_TEMPLATE,
  },
  {
    name: "a second mount",
    request: (t) =>
      create(
        t,
        withHost({
          Mounts: [
            { Type: "volume", Source: t.victim, Target: "/volume", ReadOnly: true },
            { Type: "volume", Source: t.inUseRunning, Target: "/other", ReadOnly: false },
          ],
        }),
      ),
    reason: NOT_TEMPLATE,
  },
  {
    name: "VolumesFrom",
    request: (t) => create(t, withHost({ VolumesFrom: ["dvol-runner"] })),
    reason: NOT_TEMPLATE,
  },
  {
    name: "the host's network",
    request: (t) => create(t, withHost({ NetworkMode: "host" })),
    reason: NOT_TEMPLATE,
  },
  {
    name: "the host's pid namespace",
    request: (t) => create(t, withHost({ PidMode: "host" })),
    reason: NOT_TEMPLATE,
  },
  { name: "CapAdd", request: (t) => create(t, withHost({ CapAdd: ["SYS_ADMIN"] })), reason: NOT_TEMPLATE },
  {
    name: "a device",
    request: (t) =>
      create(
        t,
        withHost({
          Devices: [{ PathOnHost: "/dev/sda", PathInContainer: "/dev/sda", CgroupPermissions: "rwm" }],
        }),
      ),
    reason: NOT_TEMPLATE,
  },
  {
    name: "another image",
    request: (t) => create(t, (b) => ({ ...b, Image: "busybox:dvol-test" })),
    reason: NOT_TEMPLATE,
  },
  {
    name: "a command of its own",
    request: (t) => create(t, (b) => ({ ...b, Cmd: ["sh", "-c", "cat /etc/shadow"] })),
    reason: NOT_TEMPLATE,
  },
  {
    name: "a case-folded key beside the template's (Go would read hostconfig as HostConfig)",
    request: (t) => create(t, (b) => ({ ...b, hostconfig: { Privileged: true } })),
    reason: NOT_TEMPLATE,
  },
  {
    name: "a case-folded key inside HostConfig",
    request: (t) => create(t, withHost({ privileged: true })),
    reason: NOT_TEMPLATE,
  },
  {
    name: "a duplicated key, the last one privileged (Go keeps the last)",
    request: (t) => {
      const b = helperTemplate(t.victim, true);
      const good = JSON.stringify(b).slice(0, -1);
      const text = `${good},"HostConfig":${JSON.stringify({ ...b.HostConfig, Privileged: true })}}`;
      return http(`POST /v${t.api}/containers/create?name=${HELPER_NAME} HTTP/1.1`, [JSON_TYPE], text);
    },
    reason: /the body is not strict JSON: duplicated key "HostConfig"/,
  },
  {
    name: "a helper not named dvol-helper-<hex>",
    request: (t) =>
      http(
        `POST /v${t.api}/containers/create?name=evil HTTP/1.1`,
        [JSON_TYPE],
        JSON.stringify(helperTemplate(t.victim, true)),
      ),
    reason: /containers\/create is offered for helpers named dvol-helper-<16 hex> only/,
  },
  {
    name: "a writable helper of a volume the gate did not create",
    request: (t) => create(t, () => helperTemplate(t.victim, false)),
    reason: /a writable helper is offered only for a volume this gate created/,
  },
  {
    name: "a read-only certificate creating a helper",
    client: "reader",
    request: (t) => create(t, (b) => b),
    reason: /subject:dvol-reader may not helper-create \(it needs backup\)/,
  },

  // --- framing -----------------------------------------------------------------------------------
  {
    name: "an empty Content-Length with a body (CVE-2024-41110)",
    request: (t) =>
      http(
        `POST /v${t.api}/containers/create?name=${HELPER_NAME} HTTP/1.1`,
        [JSON_TYPE, "Content-Length: "],
        '{"Image":"busybox"}',
        {
          length: false,
        },
      ),
    reason: /not a well-formed HTTP request|Content-Length is not a number/,
  },
  {
    name: "both Content-Length and Transfer-Encoding",
    request: (t) =>
      http(
        `POST /v${t.api}/volumes/create HTTP/1.1`,
        [JSON_TYPE, "Content-Length: 4", "Transfer-Encoding: chunked"],
        `${chunk('{"Name":"x"}')}0\r\n\r\n`,
        { length: false },
      ),
    reason: /not a well-formed HTTP request|both Content-Length and Transfer-Encoding/,
  },
  {
    name: "a chunked create body",
    request: (t) =>
      http(
        `POST /v${t.api}/containers/create?name=${HELPER_NAME} HTTP/1.1`,
        [JSON_TYPE, "Transfer-Encoding: chunked"],
        `${chunk(JSON.stringify({ ...helperTemplate(t.victim, true), HostConfig: { Privileged: true } }))}0\r\n\r\n`,
        { length: false },
      ),
    reason: /a JSON body comes with a Content-Length, not chunked/,
  },
  {
    name: "a chunked body on a delete",
    request: (t) =>
      http(
        `DELETE /v${t.api}/volumes/${t.victim} HTTP/1.1`,
        ["Transfer-Encoding: chunked"],
        `${chunk("force=1")}0\r\n\r\n`,
        {
          length: false,
        },
      ),
    reason: /a body where none is expected/,
  },
  {
    name: "a body on a read",
    request: (t) => http(`GET /v${t.api}/containers/json HTTP/1.1`, [JSON_TYPE], '{"all":true}'),
    reason: /a body where none is expected/,
  },
  {
    name: "a JSON body over 64 KiB",
    request: (t) =>
      http(
        `POST /v${t.api}/volumes/create HTTP/1.1`,
        [JSON_TYPE],
        JSON.stringify({ Name: "big", Labels: { x: "y".repeat(70_000) } }),
      ),
    reason: /a JSON body is more than 65536 bytes/,
  },

  // --- paths -------------------------------------------------------------------------------------
  {
    name: "an odd version prefix /v1.45./",
    request: () => http("GET /v1.45./volumes HTTP/1.1"),
    reason: /odd version prefix "v1\.45\."/,
  },
  {
    name: "a version prefix with a leading zero",
    request: () => http("GET /v01.41/volumes HTTP/1.1"),
    reason: /odd version prefix "v01\.41"/,
  },
  {
    name: "an old API version",
    request: () => http("GET /v1.24/volumes HTTP/1.1"),
    reason: /API version 1\.24 is not offered: this gate speaks 1\.\d+/,
  },
  {
    name: "a percent-encoded slash",
    request: () => http("GET /volumes/..%2Fcontainers%2Fjson HTTP/1.1"),
    reason: /percent-encoded paths are not offered/,
  },
  {
    name: "a percent-encoded volume name",
    request: (t) => http(`DELETE /v${t.api}/volumes/${t.victim.replace("-", "%2D")} HTTP/1.1`),
    reason: /percent-encoded paths are not offered/,
  },
  {
    name: "a .. segment",
    request: (t) => http(`GET /v${t.api}/volumes/../containers/json HTTP/1.1`),
    reason: /the path is not canonical/,
  },
  {
    name: "a double slash",
    request: () => http("GET //containers/json HTTP/1.1"),
    reason: /the path is not canonical/,
  },
  {
    name: "a trailing slash",
    request: (t) => http(`DELETE /v${t.api}/volumes/${t.victim}/ HTTP/1.1`),
    reason: /the path is not canonical/,
  },
  {
    name: "a duplicated query key",
    request: (t) => http(`GET /v${t.api}/containers/json?all=0&all=1 HTTP/1.1`),
    reason: /the query key "all" is given twice/,
  },

  {
    name: "a container list filtered otherwise than by volume",
    client: "reader",
    request: (t) =>
      http(
        `GET /v${t.api}/containers/json?all=1&filters=${encodeURIComponent('{"status":["running"]}')} HTTP/1.1`,
      ),
    reason: /status/,
  },

  // --- hijacks and upgrades ----------------------------------------------------------------------
  {
    name: "exec in a container",
    request: (t) =>
      http(
        `POST /v${t.api}/containers/${t.foreign}/exec HTTP/1.1`,
        [JSON_TYPE],
        JSON.stringify({ Cmd: ["id"], AttachStdout: true }),
      ),
    reason: /exec is not offered/,
  },
  {
    name: "exec start",
    request: (t) =>
      http(`POST /v${t.api}/exec/${"a".repeat(64)}/start HTTP/1.1`, [JSON_TYPE], '{"Detach":false}'),
    reason: /exec is not offered/,
  },
  {
    name: "attach with an upgrade",
    request: (t) =>
      http(`POST /v${t.api}/containers/${t.foreign}/attach?stream=1&stdin=1&stdout=1 HTTP/1.1`, [
        "Connection: Upgrade",
        "Upgrade: tcp",
      ]),
    reason: /upgrades are not offered/,
  },
  {
    name: "attach without an upgrade",
    request: (t) => http(`POST /v${t.api}/containers/${t.foreign}/attach?stream=1&stdout=1 HTTP/1.1`),
    reason: /attach is not offered/,
  },
  {
    name: "an h2c upgrade of a ping",
    request: () =>
      http("GET /_ping HTTP/1.1", [
        "Connection: Upgrade, HTTP2-Settings",
        "Upgrade: h2c",
        "HTTP2-Settings: AAMAAABkAAQAAP__",
      ]),
    reason: /upgrades are not offered/,
  },
  {
    name: "/grpc",
    request: (t) => http(`POST /v${t.api}/grpc HTTP/1.1`, ["Connection: Upgrade", "Upgrade: h2c"]),
    reason: /upgrades are not offered/,
  },
  {
    name: "/session",
    request: (t) => http(`POST /v${t.api}/session HTTP/1.1`),
    reason: /session is not offered/,
  },
  { name: "CONNECT", request: () => http("CONNECT 127.0.0.1:22 HTTP/1.1"), reason: /CONNECT is not offered/ },

  // --- images --------------------------------------------------------------------------------------
  {
    name: "images/create from a URL",
    request: (t) =>
      http(
        `POST /v${t.api}/images/create?fromSrc=http%3A%2F%2F127.0.0.1%3A9%2Froot.tar&repo=dvol-helper&tag=1&changes=CMD%20%5B%22%2Fdvol-helper%22%5D HTTP/1.1`,
        ["Content-Type: application/x-tar"],
        Buffer.alloc(1024),
      ),
    reason: /images\/create is offered for the helper image only \(fromSrc\)/,
  },
  {
    name: "images/create pulling an image",
    request: (t) => http(`POST /v${t.api}/images/create?fromImage=busybox&tag=latest HTTP/1.1`),
    reason: /the query key "fromImage" is not offered here/,
  },
  {
    name: "the helper image with content",
    request: (t) => {
      const tar = Buffer.alloc(1536);
      tar.write("etc/passwd", 0);
      return http(
        `POST /v${t.api}/images/create?fromSrc=-&repo=dvol-helper&tag=1&changes=CMD%20%5B%22%2Fdvol-helper%22%5D HTTP/1.1`,
        ["Content-Type: application/x-tar"],
        tar,
      );
    },
    reason: /the helper image's content is an empty tar, and only that/,
  },

  // --- containers the gate did not create ---------------------------------------------------------
  {
    name: "the archive of a container the gate did not create",
    request: (t) => http(`GET /v${t.api}/containers/${t.foreign}/archive?path=/volume HTTP/1.1`),
    reason: /the container is not a helper this gate created/,
  },
  {
    name: "the archive of / of a container",
    request: (t) => http(`GET /v${t.api}/containers/${t.foreign}/archive?path=/ HTTP/1.1`),
    reason: /the archive is offered of \/volume only/,
  },
  {
    name: "an archive put into a container the gate did not create",
    request: (t) =>
      http(
        `PUT /v${t.api}/containers/${t.foreign}/archive?path=/ HTTP/1.1`,
        ["Content-Type: application/x-tar"],
        Buffer.alloc(1024),
      ),
    reason: /the container is not a helper this gate created/,
  },
  {
    name: "the delete of a container the gate did not create",
    request: (t) => http(`DELETE /v${t.api}/containers/${t.foreign} HTTP/1.1`),
    reason: /the container is not a helper this gate created/,
  },
  {
    name: "the delete of a container with force",
    request: (t) => http(`DELETE /v${t.api}/containers/${t.foreign}?force=1&v=1 HTTP/1.1`),
    reason: /a helper is removed without v or force/,
  },
  {
    name: "a container by name",
    request: (t) => http(`DELETE /v${t.api}/containers/dvol-runner HTTP/1.1`),
    reason: /containers are named by their full ID here/,
  },
  {
    name: "starting a container",
    request: (t) => http(`POST /v${t.api}/containers/${t.foreign}/start HTTP/1.1`),
    reason: /POST containers\/… is not an operation of the gate/,
  },

  // --- volumes -------------------------------------------------------------------------------------
  {
    name: "a volume delete with force",
    request: (t) => http(`DELETE /v${t.api}/volumes/${t.victim}?force=1 HTTP/1.1`),
    reason: /force is not offered/,
  },
  {
    name: "the delete of a volume a running container uses",
    request: (t) => http(`DELETE /v${t.api}/volumes/${t.inUseRunning} HTTP/1.1`),
    reason: /the volume in-use-running is used by dvol-runner/,
  },
  {
    name: "the delete of a volume a created container uses",
    request: (t) => http(`DELETE /v${t.api}/volumes/${t.inUseCreated} HTTP/1.1`),
    reason: /the volume in-use-created is used by dvol-created/,
  },
  {
    name: "the delete of a volume on the deny list",
    request: (t) => http(`DELETE /v${t.api}/volumes/${t.denied} HTTP/1.1`),
    reason: /is on the gate's deny list \(keep-\*\)/,
  },
  {
    name: "a form body overriding the query",
    request: (t) =>
      http(
        `DELETE /v${t.api}/volumes/${t.victim} HTTP/1.1`,
        ["Content-Type: application/x-www-form-urlencoded"],
        "force=1",
      ),
    reason: /form bodies are not offered/,
  },
  {
    name: "a read-only certificate deleting a volume",
    client: "reader",
    request: (t) => http(`DELETE /v${t.api}/volumes/${t.victim} HTTP/1.1`),
    reason: /subject:dvol-reader may not volume-delete \(it needs delete\)/,
  },
  {
    name: "a backup certificate deleting a volume",
    client: "backup",
    request: (t) => http(`DELETE /v${t.api}/volumes/${t.victim} HTTP/1.1`),
    reason:
      /a backup certificate deletes only a volume this gate created for a restore in this run \(gate-victim\)/,
  },
  {
    name: "a volume binding a host directory (local driver options)",
    request: (t) =>
      http(
        `POST /v${t.api}/volumes/create HTTP/1.1`,
        [JSON_TYPE],
        JSON.stringify({
          Name: "etc-copy",
          Driver: "local",
          DriverOpts: { type: "none", o: "bind", device: "/etc" },
        }),
      ),
    reason: /volumes are created without driver options/,
  },
  {
    name: "a volume of another driver",
    request: (t) =>
      http(
        `POST /v${t.api}/volumes/create HTTP/1.1`,
        [JSON_TYPE],
        JSON.stringify({ Name: "nfs", Driver: "nfs" }),
      ),
    reason: /volumes are created with the local driver only/,
  },
  {
    name: "swarm init",
    request: (t) => http(`POST /v${t.api}/swarm/init HTTP/1.1`, [JSON_TYPE], "{}"),
    reason: /is not an operation of the gate/,
  },
  {
    name: "build",
    request: (t) => http(`POST /v${t.api}/build HTTP/1.1`),
    reason: /POST build is not an operation of the gate/,
  },
  {
    name: "a method not offered",
    request: (t) => http(`PATCH /v${t.api}/volumes/${t.victim} HTTP/1.1`),
    reason: /method PATCH is not offered/,
  },
];

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `bytes` over mutual TLS to the gate as `client` and reads one HTTP answer. */
export function sendRaw(
  port: number,
  pki: GatePki,
  client: { cert: string; key: string } | null,
  bytes: string | Buffer,
  read: (file: string) => Buffer,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: "127.0.0.1",
      port,
      servername: GATE_SERVER_NAME,
      ca: read(pki.ca.cert),
      ...(client ? { cert: read(client.cert), key: read(client.key) } : {}),
    });
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no whole answer in 10 s; got ${JSON.stringify(data.toString("latin1"))}`));
    }, 10_000);
    const done = (err: Error | null, answer?: RawAnswer) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer as RawAnswer);
    };
    const parse = (): RawAnswer | null => {
      const end = data.indexOf("\r\n\r\n");
      if (end < 0) return null;
      const [statusLine = "", ...lines] = data.subarray(0, end).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(":");
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const status = Number(statusLine.split(" ")[1]);
      const body = data.subarray(end + 4);
      if (headers["transfer-encoding"] === "chunked") {
        // The engine's streamed answers (images/create's progress) come chunked through the gate.
        const parts: Buffer[] = [];
        let at = 0;
        for (;;) {
          const eol = body.indexOf("\r\n", at);
          if (eol < 0) return null;
          const size = Number.parseInt(body.subarray(at, eol).toString("latin1"), 16);
          if (size === 0) return { status, headers, body: Buffer.concat(parts).toString("utf8") };
          if (body.length < eol + 2 + size + 2) return null;
          parts.push(body.subarray(eol + 2, eol + 2 + size));
          at = eol + 2 + size + 2;
        }
      }
      // A 204 has no body and no Content-Length.
      const length = status === 204 ? 0 : Number(headers["content-length"] ?? Number.NaN);
      if (!Number.isFinite(length) || body.length < length) return null;
      return { status, headers, body: body.subarray(0, length).toString("utf8") };
    };
    socket.once("secureConnect", () => socket.write(bytes));
    socket.on("data", (c: Buffer) => {
      data = Buffer.concat([data, c]);
      const answer = parse();
      if (answer) done(null, answer);
    });
    socket.on("end", () =>
      done(new Error(`the gate closed without a whole answer: ${JSON.stringify(data.toString("latin1"))}`)),
    );
    socket.on("error", (err) => done(err));
  });
}

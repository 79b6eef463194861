/**
 * The gate's fixed table of operations: what dvol asks of an engine, and nothing else. Each entry
 * recognises a request the door let through and builds the engine's request itself: the pinned API
 * version, a canonical path, only the query keys it knows (re-serialised from the values it
 * checked), and a body from its own template. A request no entry recognises is refused.
 *
 * Over 400 lines on purpose: the table is the gate's whole allow-list, and is reviewed as one thing
 * (what a gated client can make an engine do); split, an operation could hide in a second file.
 */
import { VOLUME_NAME_MAX, VOLUME_NAME_RE } from "../volume-names.js";
import type { Permission } from "./config.js";
import type { DoorRequest, Method } from "./door.js";
import { parseStrictJson } from "./strict-json.js";

/** The helper image dvol imports (README, "Backups"): no files, its containers never started. */
export const HELPER_IMAGE = "dvol-helper:1";
export const HELPER_LABEL = "dvol.helper";
/** Where a helper mounts its one volume. */
export const HELPER_TARGET = "/volume";
const HELPER_NAME_RE = /^dvol-helper-[0-9a-f]{16}$/;
const CONTAINER_ID_RE = /^[0-9a-f]{64}$/;
/** The empty tar the gate sends as the helper image's content (two zero blocks). */
export const EMPTY_TAR = Buffer.alloc(1024);
const MAX_JSON_BODY = 64 * 1024;
const MAX_EMPTY_TAR = 10 * 1024;

/** The request the gate sends to the engine. */
export interface EngineCall {
  method: Method;
  /** Without the version prefix (the server adds the pinned one): `/volumes/x`. */
  path: string;
  query: [string, string][];
  body: { kind: "none" } | { kind: "bytes"; bytes: Buffer; contentType: string } | { kind: "tar" };
}

/** What the gate confirms itself before it forwards. */
export type Check =
  | { kind: "delete-allowed"; volume: string }
  | { kind: "volume-unused"; volume: string }
  | { kind: "volume-absent"; volume: string }
  | { kind: "volume-exists"; volume: string; made: boolean }
  | { kind: "own-helper"; container: string; writable: boolean }
  | { kind: "made-volume"; volume: string };

/** How the request's body is read before the engine call can be built. */
export type BodySpec =
  | { kind: "none" }
  | { kind: "json"; max: number; build: (value: unknown) => Built }
  | { kind: "empty-tar"; max: number }
  | { kind: "tar" };

/** A request recognised: its operation and everything the server needs to carry it out. */
export interface Planned {
  operation: string;
  allow: readonly Permission[];
  volume?: string;
  container?: string;
  checks: Check[];
  body: BodySpec;
  /** The engine call, when it needs no body (or the body is one the gate makes itself). */
  call?: EngineCall;
  /**
   * Checks added when the client holds only these of `allow`: a permission that allows the
   * operation in a narrower case (a backup certificate deletes only a restore's own volume).
   */
  narrowed?: Partial<Record<Permission, Check[]>>;
  /** Afterwards: what the gate remembers of an answer (a helper it made, a volume it made). */
  remember?: "helper" | "volume" | "forget-helper" | "forget-volume";
  /** A container's write access, for a helper the gate creates. */
  writable?: boolean;
  /**
   * The engine's answer is rebuilt before it is passed on: `volume-mounts` keeps of each container
   * only its Id and its volume mounts' Type and Name (what a ref count needs), nothing else.
   */
  reshape?: "volume-mounts";
}

export type Built =
  | { ok: true; call: EngineCall; checks: Check[]; volume: string; writable?: boolean }
  | { ok: false; reason: string };
export type PlanResult = { ok: true; plan: Planned } | { ok: false; reason: string };

const no = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });
const READ: readonly Permission[] = ["read"];
const ANY: readonly Permission[] = ["read", "delete", "backup"];
const BACKUP: readonly Permission[] = ["backup"];

export function isVolumeName(s: string): boolean {
  return s.length <= VOLUME_NAME_MAX && VOLUME_NAME_RE.test(s);
}

/** Refuses any query key outside `known`. */
function onlyQuery(req: DoorRequest, known: readonly string[]): string | null {
  for (const k of req.query.keys()) {
    if (!known.includes(k)) return `the query key ${JSON.stringify(k)} is not offered here`;
  }
  return null;
}

function noBody(req: DoorRequest): string | null {
  return req.body.kind === "none" ? null : "a body where none is expected";
}

const call = (method: Method, path: string, query: [string, string][] = []): EngineCall => ({
  method,
  path,
  query,
  body: { kind: "none" },
});

function boolValue(v: string | undefined): "1" | "0" | null | undefined {
  if (v === undefined) return undefined;
  if (v === "1" || v === "true" || v === "True") return "1";
  if (v === "0" || v === "false" || v === "False") return "0";
  return null;
}

/** A filters query value: a JSON object of string lists, each key one of `keys`, checked by `value`. */
function readFilters(
  raw: string,
  keys: Record<string, (v: string) => boolean>,
): { ok: true; filters: Record<string, string[]> } | { ok: false; reason: string } {
  let parsed: unknown;
  try {
    parsed = parseStrictJson(raw);
  } catch (err) {
    return no(`filters is not strict JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return no("filters is not an object");
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed)) {
    const check = keys[k];
    if (!check) return no(`the filter ${JSON.stringify(k)} is not offered here`);
    if (!Array.isArray(v) || v.length === 0 || v.length > 16)
      return no(`the filter ${k} is not a list of values`);
    for (const item of v) {
      if (typeof item !== "string" || !check(item)) return no(`a value of the filter ${k} is not offered`);
    }
    out[k] = v as string[];
  }
  return { ok: true, filters: out };
}

const LABEL_FILTER_RE = /^[A-Za-z0-9_.:/-]{1,128}(?:=[A-Za-z0-9_.:/@+ -]{0,256})?$/;

/** Recognises a request the door let through, or says why it is refused. */
export function planRequest(req: DoorRequest): PlanResult {
  const s = req.segments;
  const m = req.method;
  const key = `${m} ${s[0]}`;
  const path = `/${s.join("/")}`;

  // --- reads ----------------------------------------------------------------------------------
  if (m === "GET" && s.length === 1 && (s[0] === "_ping" || s[0] === "version" || s[0] === "info")) {
    const bad = onlyQuery(req, []) ?? noBody(req);
    if (bad) return no(bad);
    return plan({
      operation: s[0] === "_ping" ? "ping" : (s[0] as string),
      allow: s[0] === "info" ? READ : ANY,
      call: call("GET", path),
    });
  }
  if (m === "GET" && path === "/system/df") {
    const bad = onlyQuery(req, ["type", "verbose"]) ?? noBody(req);
    if (bad) return no(bad);
    const query: [string, string][] = [];
    const type = req.query.get("type");
    if (type !== undefined) {
      if (type !== "volume") return no("system/df is offered for volumes only (type=volume), or whole");
      query.push(["type", "volume"]);
    }
    const verbose = boolValue(req.query.get("verbose"));
    if (verbose === null) return no("verbose is 1 or 0");
    if (verbose !== undefined) query.push(["verbose", verbose]);
    return plan({ operation: "df", allow: READ, call: call("GET", path, query) });
  }
  if (m === "GET" && path === "/volumes") {
    const bad = onlyQuery(req, ["filters"]) ?? noBody(req);
    if (bad) return no(bad);
    const query: [string, string][] = [];
    const raw = req.query.get("filters");
    if (raw !== undefined) {
      const f = readFilters(raw, {
        dangling: (v) => ["true", "false", "1", "0"].includes(v),
        name: (v) => /^[A-Za-z0-9_.-]{1,255}$/.test(v),
        label: (v) => LABEL_FILTER_RE.test(v),
        driver: (v) => /^[A-Za-z0-9_.:/-]{1,128}$/.test(v),
      });
      if (!f.ok) return f;
      query.push(["filters", JSON.stringify(f.filters)]);
    }
    return plan({ operation: "volume-list", allow: READ, call: call("GET", path, query) });
  }
  if (m === "GET" && s[0] === "volumes" && s.length === 2) {
    const volume = s[1] as string;
    if (!isVolumeName(volume)) return no("not a volume name");
    const bad = onlyQuery(req, []) ?? noBody(req);
    if (bad) return no(bad);
    return plan({ operation: "volume-inspect", allow: ["read", "backup"], volume, call: call("GET", path) });
  }
  if (m === "GET" && path === "/containers/json") {
    const bad = onlyQuery(req, ["all", "filters"]) ?? noBody(req);
    if (bad) return no(bad);
    const query: [string, string][] = [];
    const all = boolValue(req.query.get("all"));
    if (all === null) return no("all is 1 or 0");
    if (all !== undefined) query.push(["all", all]);
    // The containers of a volume (dvol's `inspect`), as the engine gives them; or the whole list
    // (a ref count of every volume), rebuilt by the gate down to each container's Id and volume
    // mounts, since as the engine gives it, it shows every container's command, image, labels and
    // bind mounts.
    const raw = req.query.get("filters");
    if (raw === undefined) {
      return plan({
        operation: "container-mounts",
        allow: READ,
        call: call("GET", path, query),
        reshape: "volume-mounts",
      });
    }
    const f = readFilters(raw, { volume: isVolumeName });
    if (!f.ok) return f;
    if (!f.filters.volume) return no("containers/json is offered with a volume filter, or none");
    query.push(["filters", JSON.stringify(f.filters)]);
    return plan({ operation: "container-list", allow: READ, call: call("GET", path, query) });
  }

  // --- delete ---------------------------------------------------------------------------------
  if (m === "DELETE" && s[0] === "volumes" && s.length === 2) {
    const volume = s[1] as string;
    if (!isVolumeName(volume)) return no("not a volume name");
    if (req.query.has("force")) return no("force is not offered");
    const bad = onlyQuery(req, []) ?? noBody(req);
    if (bad) return no(bad);
    return plan({
      operation: "volume-delete",
      allow: ["delete", "backup"],
      volume,
      checks: [
        { kind: "delete-allowed", volume },
        { kind: "volume-unused", volume },
      ],
      // A restore that fails removes the volume it made: backup covers that volume, and only it.
      narrowed: { backup: [{ kind: "made-volume", volume }] },
      remember: "forget-volume",
      call: call("DELETE", path),
    });
  }

  // --- backups and restores -------------------------------------------------------------------
  if (m === "GET" && path === `/images/${HELPER_IMAGE}/json`) {
    const bad = onlyQuery(req, []) ?? noBody(req);
    if (bad) return no(bad);
    return plan({ operation: "helper-image-inspect", allow: BACKUP, call: call("GET", path) });
  }
  if (m === "POST" && path === "/images/create") {
    const bad = onlyQuery(req, ["fromSrc", "repo", "tag", "changes"]);
    if (bad) return no(bad);
    const want: [string, string][] = [
      ["fromSrc", "-"],
      ["repo", "dvol-helper"],
      ["tag", "1"],
      ["changes", 'CMD ["/dvol-helper"]'],
    ];
    for (const [k, v] of want) {
      if (req.query.get(k) !== v) return no(`images/create is offered for the helper image only (${k})`);
    }
    if (req.contentType !== "application/x-tar") return no("images/create takes an application/x-tar body");
    return plan({
      operation: "helper-image-create",
      allow: BACKUP,
      body: { kind: "empty-tar", max: MAX_EMPTY_TAR },
      call: {
        method: "POST",
        path,
        query: want,
        body: { kind: "bytes", bytes: EMPTY_TAR, contentType: "application/x-tar" },
      },
    });
  }
  if (m === "POST" && path === "/containers/create") {
    const bad = onlyQuery(req, ["name"]);
    if (bad) return no(bad);
    const name = req.query.get("name");
    if (name === undefined || !HELPER_NAME_RE.test(name))
      return no("containers/create is offered for helpers named dvol-helper-<16 hex> only");
    if (req.contentType !== "application/json") return no("containers/create takes an application/json body");
    return plan({
      operation: "helper-create",
      allow: BACKUP,
      remember: "helper",
      body: { kind: "json", max: MAX_JSON_BODY, build: (v) => buildHelper(v, name) },
    });
  }
  if (m === "POST" && path === "/volumes/create") {
    const bad = onlyQuery(req, []);
    if (bad) return no(bad);
    if (req.contentType !== "application/json") return no("volumes/create takes an application/json body");
    return plan({
      operation: "volume-create",
      allow: BACKUP,
      remember: "volume",
      body: { kind: "json", max: MAX_JSON_BODY, build: buildVolume },
    });
  }
  if (s[0] === "containers" && s.length >= 2) {
    const container = s[1] as string;
    if (!CONTAINER_ID_RE.test(container))
      return no("containers are named by their full ID here, and only the gate's helpers");
    if (m === "GET" && s.length === 3 && s[2] === "archive") {
      const bad = onlyQuery(req, ["path"]) ?? noBody(req);
      if (bad) return no(bad);
      if (req.query.get("path") !== HELPER_TARGET)
        return no(`the archive is offered of ${HELPER_TARGET} only`);
      return plan({
        operation: "helper-archive-get",
        allow: BACKUP,
        container,
        checks: [{ kind: "own-helper", container, writable: false }],
        call: call("GET", path, [["path", HELPER_TARGET]]),
      });
    }
    if (m === "PUT" && s.length === 3 && s[2] === "archive") {
      const bad = onlyQuery(req, ["path"]);
      if (bad) return no(bad);
      if (req.query.get("path") !== "/")
        return no("an archive is unpacked at / only (its entries all under volume/)");
      if (req.contentType !== "application/x-tar") return no("an archive is an application/x-tar body");
      if (req.body.kind === "none") return no("an archive with no body");
      return plan({
        operation: "helper-archive-put",
        allow: BACKUP,
        container,
        checks: [{ kind: "own-helper", container, writable: true }],
        body: { kind: "tar" },
        call: { method: "PUT", path, query: [["path", "/"]], body: { kind: "tar" } },
      });
    }
    if (m === "DELETE" && s.length === 2) {
      if (req.query.size > 0) return no("a helper is removed without v or force");
      const bad = noBody(req);
      if (bad) return no(bad);
      return plan({
        operation: "helper-delete",
        allow: BACKUP,
        container,
        remember: "forget-helper",
        checks: [{ kind: "own-helper", container, writable: false }],
        call: call("DELETE", path),
      });
    }
  }
  return no(`${key.trim()}${s.length > 1 ? "/…" : ""} is not an operation of the gate`);
}

function plan(p: Partial<Planned> & Pick<Planned, "operation" | "allow">): PlanResult {
  return { ok: true, plan: { checks: [], body: { kind: "none" }, ...p } };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether two parsed JSON values are equal, keys compared exactly (case included). */
function sameJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]))
    );
  }
  if (isObj(a) || isObj(b)) {
    if (!isObj(a) || !isObj(b)) return false;
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]))
    );
  }
  return a === b;
}

/** The helper container's body: the gate's own template, the only blanks the volume and read-only. */
export function helperTemplate(volume: string, readOnly: boolean) {
  return {
    Image: HELPER_IMAGE,
    Cmd: ["/dvol-helper"],
    Labels: { [HELPER_LABEL]: "1", "dvol.volume": volume },
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: "none",
      Mounts: [{ Type: "volume", Source: volume, Target: HELPER_TARGET, ReadOnly: readOnly }],
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
    },
  };
}

/** A helper's body is the template exactly, for some volume and read-only flag; anything more is refused. */
export function buildHelper(value: unknown, name: string): Built {
  const v = isObj(value) ? value : {};
  const labels = isObj(v.Labels) ? v.Labels : {};
  const volume = labels["dvol.volume"];
  if (typeof volume !== "string" || !isVolumeName(volume))
    return no("the helper's body names no volume (Labels.dvol.volume)");
  const host = isObj(v.HostConfig) ? v.HostConfig : {};
  const mount = Array.isArray(host.Mounts) && isObj(host.Mounts[0]) ? host.Mounts[0] : {};
  const readOnly = mount.ReadOnly;
  if (typeof readOnly !== "boolean") return no("the helper's mount has no ReadOnly true or false");
  const template = helperTemplate(volume, readOnly);
  if (!sameJson(value, template)) return no("the helper's body is not the gate's template");
  return {
    ok: true,
    volume,
    writable: !readOnly,
    checks: [{ kind: "volume-exists", volume, made: !readOnly }],
    call: {
      method: "POST",
      path: "/containers/create",
      query: [["name", name]],
      body: { kind: "bytes", bytes: Buffer.from(JSON.stringify(template)), contentType: "application/json" },
    },
  };
}

const LABEL_KEY_RE = /^[A-Za-z0-9_.:/-]{1,128}$/;

/**
 * A restore's new volume: Name, Driver `local`, no driver options (options of the local driver
 * can bind a host path: `o=bind,device=/etc`), and labels.
 */
export function buildVolume(value: unknown): Built {
  if (!isObj(value)) return no("the volume's body is not an object");
  for (const k of Object.keys(value)) {
    if (!["Name", "Driver", "DriverOpts", "Labels"].includes(k))
      return no(`the volume's body has ${JSON.stringify(k)}`);
  }
  const name = value.Name;
  if (typeof name !== "string" || !isVolumeName(name)) return no("the volume's Name is not a volume name");
  if (value.Driver !== undefined && value.Driver !== "local")
    return no("volumes are created with the local driver only");
  const opts = value.DriverOpts;
  if (opts !== undefined && opts !== null && !(isObj(opts) && Object.keys(opts).length === 0)) {
    return no("volumes are created without driver options");
  }
  const labels: Record<string, string> = {};
  if (value.Labels !== undefined && value.Labels !== null) {
    if (!isObj(value.Labels)) return no("the volume's Labels is not an object");
    const entries = Object.entries(value.Labels);
    if (entries.length > 64) return no("too many labels");
    for (const [k, v] of entries) {
      if (!LABEL_KEY_RE.test(k) || typeof v !== "string" || v.length > 4096)
        return no(`the label ${JSON.stringify(k)} is not offered`);
      labels[k] = v;
    }
  }
  const body = { Name: name, Driver: "local", DriverOpts: {}, Labels: labels };
  return {
    ok: true,
    volume: name,
    checks: [{ kind: "volume-absent", volume: name }],
    call: {
      method: "POST",
      path: "/volumes/create",
      query: [],
      body: { kind: "bytes", bytes: Buffer.from(JSON.stringify(body)), contentType: "application/json" },
    },
  };
}

/**
 * The whole container list as the gate passes it on: each container's Id and the Type and Name of
 * its volume mounts, and nothing else (no command, image, labels, environment or bind mounts).
 * Null when the engine's answer is not a list.
 */
export function volumeMountsOnly(body: Buffer): Buffer | null {
  let list: unknown;
  try {
    list = JSON.parse(body.toString("utf8"));
  } catch {
    return null;
  }
  if (!Array.isArray(list)) return null;
  const out = list.map((c: unknown) => {
    const o = (c ?? {}) as { Id?: unknown; Mounts?: unknown };
    const mounts = Array.isArray(o.Mounts) ? o.Mounts : [];
    return {
      Id: typeof o.Id === "string" ? o.Id : "",
      Mounts: mounts
        .map((m: unknown) => (m ?? {}) as { Type?: unknown; Name?: unknown })
        .filter((m) => m.Type === "volume" && typeof m.Name === "string")
        .map((m) => ({ Type: "volume", Name: m.Name as string })),
    };
  });
  return Buffer.from(JSON.stringify(out));
}

/**
 * The checks a YAML document is read with, shared by dvol's config (validate.ts) and the gate's
 * (src/gate/config.ts): each error is a ConfigError that names the key.
 */
import { ConfigError } from "../errors.js";

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "a mapping" : `${typeof v} ${JSON.stringify(v)}`;
}

export function expectObj(v: unknown, key: string): Obj {
  if (!isObj(v)) throw new ConfigError(`expected a mapping, got ${describe(v)}`, { key });
  return v;
}

export function onlyKeys(o: Obj, allowed: readonly string[], at: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new ConfigError(`unknown key (allowed here: ${allowed.join(", ")})`, {
        key: at ? `${at}.${k}` : k,
      });
    }
  }
}

export function str(v: unknown, key: string): string {
  if (typeof v !== "string" || v.trim() === "") {
    throw new ConfigError(`expected a non-empty string, got ${describe(v)}`, { key });
  }
  return v;
}

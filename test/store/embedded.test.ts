// The embedded store (src/store/embedded.ts): the Store contract on a SQLite file, several
// processes on one file, where openStore puts the file, what users read when it cannot, and that
// better-sqlite3 is loaded only when a store is opened.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { StoreError } from "../../src/errors.js";
import { EmbeddedStore, openEmbeddedStore, sqliteError } from "../../src/store/embedded.js";
import { openStore, storeLocation } from "../../src/store/open.js";
import { auditKey } from "../../src/store/shared.js";
import { makeRequest, storeContract } from "./contract.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "dvol-store-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

storeContract("embedded (SQLite)", async () => {
  const dir = tempDir();
  return {
    open: (opts) => openEmbeddedStore({ file: path.join(dir, "dvol.sqlite"), ...opts }),
    plantAudit: async (record, stored) => {
      const Database = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");
      const db = new Database(path.join(dir, "dvol.sqlite"), { timeout: 5000 });
      try {
        db.prepare("INSERT INTO audit (request_id, key, data) VALUES (?, ?, ?)").run(
          record.requestId,
          auditKey(record),
          JSON.stringify(stored),
        );
      } finally {
        db.close();
      }
    },
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe("embedded store: several processes on one file", () => {
  it("gives each claim and each version to exactly one of 4 processes (10 rounds)", async () => {
    const file = path.join(tempDir(), "dvol.sqlite");
    const store = await openEmbeddedStore({ file });
    const r = makeRequest();
    await store.createRequest(r);
    await store.close();
    const rounds = 10;
    const goAt = Date.now() + 4000;
    const children = Array.from({ length: 4 }, (_, i) =>
      run(
        process.execPath,
        [
          "--import",
          "tsx",
          path.join(ROOT, "test/store/embedded-child.ts"),
          file,
          r.id,
          String(goAt),
          "10",
          "100",
          `p${i}`,
        ],
        { cwd: ROOT },
      ),
    );
    const results = (await Promise.all(children)).map(
      (c) => JSON.parse(c.stdout) as { claims: boolean[]; updates: boolean[] },
    );
    for (let round = 0; round < rounds; round++) {
      expect(
        results.filter((x) => x.claims[round]),
        `claim of round ${round}`,
      ).toHaveLength(1);
      expect(
        results.filter((x) => x.updates[round]),
        `update of round ${round}`,
      ).toHaveLength(1);
    }
    const after = await openEmbeddedStore({ file });
    expect((await after.getRequest(r.id))?.version).toBe(rounds + 1);
    await after.close();
  }, 60_000);
});

describe("openStore without DVOL_TABLE", () => {
  it("opens dvol.sqlite in DVOL_STATE_DIR, relative to cwd, and .dvol/ by default", async () => {
    const cwd = tempDir();
    expect(storeLocation({}, { cwd })).toEqual({
      kind: "embedded",
      file: path.join(cwd, ".dvol", "dvol.sqlite"),
    });
    expect(storeLocation({ DVOL_STATE_DIR: "state", DVOL_TABLE: " " }, { cwd })).toEqual({
      kind: "embedded",
      file: path.join(cwd, "state", "dvol.sqlite"),
    });
    expect(storeLocation({ DVOL_TABLE: "dvol-prod" })).toEqual({ kind: "dynamodb", table: "dvol-prod" });

    const store = await openStore({ DVOL_STATE_DIR: "state/nested" }, { cwd });
    expect(store).toBeInstanceOf(EmbeddedStore);
    await store.putMemo("m", "v", null);
    await store.close();
    expect(existsSync(path.join(cwd, "state/nested/dvol.sqlite"))).toBe(true);
    const again = await openStore({}, { cwd: path.join(cwd, "state/nested"), now: Date.now });
    await again.close();
    const same = await openStore({ DVOL_STATE_DIR: path.join(cwd, "state/nested") });
    expect(await same.getMemo("m")).toBe("v");
    await same.close();
  });

  it("uses WAL mode, so that readers and a writer in other processes do not block each other", async () => {
    const dir = tempDir();
    const store = await openEmbeddedStore({ file: path.join(dir, "dvol.sqlite") });
    await store.putMemo("m", "v", null);
    expect(existsSync(path.join(dir, "dvol.sqlite-wal"))).toBe(true);
    await store.close();
  });

  it("says which file and what to check when the directory cannot be made", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "plain-file"), "");
    const err = await openStore({ DVOL_STATE_DIR: "plain-file/state" }, { cwd: dir }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toContain(path.join(dir, "plain-file/state/dvol.sqlite"));
    expect((err as StoreError).hint).toMatch(/DVOL_STATE_DIR/);
  });

  it("refuses a file that is not a dvol store, or one from a newer dvol", async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, "dvol.sqlite"),
      "this is not a database, just some text that is long enough\n".repeat(20),
    );
    const err = await openStore({ DVOL_STATE_DIR: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(/SQLITE_NOTADB/);
    expect((err as StoreError).hint).toMatch(/not a dvol store/);

    const newer = tempDir();
    const Database = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");
    const db = new Database(path.join(newer, "dvol.sqlite"));
    db.pragma("user_version = 99");
    db.close();
    const err2 = await openStore({ DVOL_STATE_DIR: newer }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(StoreError);
    expect((err2 as StoreError).message).toMatch(/newer dvol \(schema 99/);
  });
});

describe("loading", () => {
  it("loads better-sqlite3 only when the embedded store is opened, and the AWS SDK only for DynamoDB (bundled as the CLI is)", async () => {
    const dir = tempDir();
    const entry = path.join(dir, "entry.ts");
    writeFileSync(
      entry,
      `const Module = require("node:module");
const loaded: string[] = [];
const load = Module._load;
Module._load = function (request: string, ...rest: unknown[]) {
  loaded.push(request);
  return load.call(this, request, ...rest);
};
const ext = (l: string[]) => l.filter((m) => m === "better-sqlite3" || m.startsWith("@aws-sdk/"));
(async () => {
  const { openStore } = await import(${JSON.stringify(path.join(ROOT, "src/store/open.ts"))});
  const atImport = ext(loaded);
  const store = await openStore({ DVOL_STATE_DIR: ${JSON.stringify(path.join(dir, "state"))} });
  await store.close();
  console.log(JSON.stringify({ atImport, afterOpen: ext(loaded) }));
})();
`,
    );
    const out = path.join(dir, "bundle.cjs");
    // The options of scripts/build.mjs that matter here; import() of the externals becomes require(),
    // which the entry can watch.
    await build({
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      external: ["@aws-sdk/*", "better-sqlite3"],
      supported: { "dynamic-import": false },
      logLevel: "silent",
    });
    const { stdout } = await run(process.execPath, [out], {
      cwd: ROOT,
      env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") },
    });
    expect(JSON.parse(stdout)).toEqual({ atImport: [], afterOpen: ["better-sqlite3"] });
  });
});

describe("a native module built for another Node.js", () => {
  it("is named as such, with the rebuild command, not as a permissions problem", () => {
    const dlopen = Object.assign(
      new Error(
        "The module '/x/better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 137. This version of Node.js requires NODE_MODULE_VERSION 115.",
      ),
      { code: "ERR_DLOPEN_FAILED" },
    );
    const err = sqliteError("/tmp/dvol.sqlite", "open", dlopen);
    expect(err.message).toContain("better-sqlite3 was built for another Node.js");
    expect(err.hint).toContain("npm rebuild better-sqlite3");
    expect(err.hint).not.toContain("DVOL_STATE_DIR exists");
  });
});

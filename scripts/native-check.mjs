// Checks that better-sqlite3 (the embedded store's native module) loads in this Node and opens a
// database. It is ABI-specific: built for one NODE_MODULE_VERSION (115 for Node 20, 137 for Node 24)
// it refuses every other one, so a suite run on the wrong build fails here, once, saying how to
// rebuild, instead of in every store test. `node scripts/native-check.mjs` (exit 1 on failure), or
// checkNative() (throws), used by the test bed's global setup.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);

/** Returns a one-line description of the module that loaded; throws an Error saying what to do when it does not. */
export function checkNative() {
  const here = `Node ${process.version} (NODE_MODULE_VERSION ${process.versions.modules}, ${process.execPath})`;
  try {
    const Database = require("better-sqlite3");
    const db = new Database(":memory:");
    const { v } = db.prepare("select sqlite_version() as v").get();
    db.close();
    return `better-sqlite3 loads on ${here}, SQLite ${v}`;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const built = /version using\s+NODE_MODULE_VERSION (\d+)/.exec(message);
    const what = built
      ? `it was built for NODE_MODULE_VERSION ${built[1]}, another Node than this one`
      : message.split("\n")[0];
    throw new Error(
      `better-sqlite3 does not load on ${here}: ${what}.\n` +
        "Rebuild it for the Node that runs the tests (node-gyp builds it against that Node's headers):\n" +
        '  Node 24 (or 22): eval "$(bash scripts/nodejs.sh 24 --env)" && npm rebuild better-sqlite3\n' +
        "  the machine's Node, in a shell where `node` is that Node: npm rebuild better-sqlite3",
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    console.log(`[native-check] ${checkNative()}`);
  } catch (err) {
    console.error(`[native-check] ERROR: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

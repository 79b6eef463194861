// Bundles the dvol CLI into dist/cli.cjs (run by `npm ci` through "prepare", and by `npm run build`).
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

await build({
  entryPoints: ["src/cli-main.ts"],
  outfile: "dist/cli.cjs",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  minify: true,
  sourcemap: true,
  legalComments: "none",
  // The AWS SDK is only loaded for ssm: references and the DynamoDB store; better-sqlite3 (a native
  // module) only when the embedded store is opened: both are required from node_modules then.
  external: ["@aws-sdk/*", "better-sqlite3"],
  // yaml's ES module build (its package's "default" export, the same code and version) instead of
  // its CommonJS one (the "node" export): esbuild then hoists its modules into the bundle instead
  // of wrapping each of its 80 files in a function run at start-up, which cost about 15 ms of CPU
  // in every run of `dvol ls` on Node 24 (bench/results.md). What differs between the two builds
  // is nothing the config reads: a YAML warning is written with console.warn rather than
  // process.emitWarning, `!!binary` (YAML 1.1 only) decodes with atob, and yaml's own debugging
  // variables (LOG_TOKENS, LOG_STREAM) are not read.
  alias: { yaml: "./node_modules/yaml/browser/index.js" },
  // What `dvol --version` prints (src/cli-main.ts).
  define: { __DVOL_VERSION__: JSON.stringify(version) },
  logLevel: "warning",
});

// Bundles the dvol CLI into dist/cli.cjs (run by `npm ci` through "prepare", and by `npm run build`).
import { createRequire } from "node:module";
import { build } from "esbuild";

// The same `no-ssh` stub as the Lambda bundles (scripts/esbuild-plugins.cjs).
const require = createRequire(import.meta.url);
const { noSsh } = require("./esbuild-plugins.cjs");

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
  // The AWS SDK is only loaded for ssm: references; ssh2's native parts are optional.
  external: ["@aws-sdk/*", "cpu-features", "*.node"],
  plugins: [noSsh],
  logLevel: "warning",
});

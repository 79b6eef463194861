// Bundles the dvol CLI into dist/cli.cjs (run by `npm ci` through "prepare", and by `npm run build`).
import { build } from "esbuild";

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
  logLevel: "warning",
});

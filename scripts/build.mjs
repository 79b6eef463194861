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
  // The AWS SDK is only loaded for ssm: references.
  external: ["@aws-sdk/*"],
  logLevel: "warning",
});

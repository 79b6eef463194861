// Bundles the dvol CLI into dist/cli.cjs (run by `npm ci` through "prepare", and by `npm run build`).
import { build } from "esbuild";

/** dvol speaks to engines over TLS or a unix socket, never ssh: leave ssh2 (and its crypto) out. */
const noSsh = {
  name: "no-ssh",
  setup(b) {
    b.onResolve({ filter: /^ssh2$/ }, () => ({ path: "ssh2", namespace: "no-ssh" }));
    b.onLoad({ filter: /.*/, namespace: "no-ssh" }, () => ({
      contents: "module.exports = { Client() { throw new Error('ssh:// hosts are not supported'); } };",
    }));
  },
};

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

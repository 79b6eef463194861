// esbuild plugins for the Lambda bundles; serverless-esbuild loads this file (custom.esbuild.plugins
// in serverless.yml) and calls it with the serverless instance.
const fs = require("node:fs");
const path = require("node:path");

/**
 * Modules that @slack/bolt requires as it loads but only uses for what dvol's Lambda functions never
 * do, and only inside constructors or request-reading helpers:
 * - `@slack/socket-mode` (and `ws`): SocketModeReceiver;
 * - `@slack/oauth` (and `jsonwebtoken`): InstallProvider, made only when OAuth is configured;
 * - `express`: ExpressReceiver;
 * - `raw-body` (and iconv-lite, 480 KB of code pages): reading a Node request body, for Bolt's
 *   HTTP receivers; the Lambda handler gets its body from the API Gateway event.
 * Each becomes a stub that throws, naming itself, if anything ever calls it. `npm start` runs from
 * source with the real packages, so Socket Mode and Bolt's HTTP receiver still work locally.
 */
const UNUSED = ["@slack/socket-mode", "@slack/oauth", "express", "raw-body"];

const unusedParts = {
  name: "unused-parts",
  setup(b) {
    const escaped = UNUSED.map((m) => m.replace(/[/.@-]/g, "\\$&"));
    b.onResolve({ filter: new RegExp(`^(${escaped.join("|")})$`) }, (args) => ({
      path: args.path,
      namespace: "unused-parts",
    }));
    b.onLoad({ filter: /.*/, namespace: "unused-parts" }, (args) => ({
      contents: `const what = ${JSON.stringify(args.path)};
const fail = (name) => function () {
  throw new Error(what + " is not bundled in dvol's Lambda functions (called " + name + ")");
};
module.exports = new Proxy({}, {
  get: (_t, key) => (typeof key === "string" && key !== "__esModule" && key !== "then" ? fail(key) : undefined),
});`,
    }));
  },
};

/**
 * Writes each bundle's metafile to `.serverless/meta/<function entry>.json` (for scripts/package.mjs
 * and the tests, which check what went into the Slack handler) instead of into the zips.
 */
function metafileWriter(serviceDir) {
  return {
    name: "metafile-writer",
    setup(b) {
      b.initialOptions.metafile = true;
      const entry = [b.initialOptions.entryPoints ?? []].flat()[0];
      const name = typeof entry === "string" ? path.basename(entry).replace(/\.[cm]?[jt]s$/, "") : "bundle";
      b.onEnd((result) => {
        if (!result.metafile) return;
        const dir = path.join(serviceDir, ".serverless", "meta");
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(result.metafile));
      });
    },
  };
}

module.exports = (serverless) => [
  unusedParts,
  metafileWriter(serverless?.serviceDir ?? serverless?.config?.servicePath ?? process.cwd()),
];
module.exports.UNUSED = UNUSED;

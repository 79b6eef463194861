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

/**
 * Bolt's own receivers, required by its index.js (to export them) and by App.js (to make one when
 * the App is given none), and the HTTP helpers only they use (with path-to-regexp, for their
 * custom routes): about 36 KB of the Slack handler's bundle. dvol's functions always pass their
 * own receiver (src/slack/receiver.ts's ApiGatewayReceiver) and never set socketMode, so App.js
 * reaches neither of its receivers; dvol imports none of these. Stubbed only when required from
 * inside @slack/bolt/dist; a stub class throws, naming itself, if it is ever constructed.
 */
const BOLT_UNUSED = [
  "AwsLambdaReceiver",
  "ExpressReceiver",
  "HTTPReceiver",
  "SocketModeReceiver",
  "HTTPModuleFunctions",
  "HTTPResponseAck",
];

/** The stub module: a function that throws when called or constructed, as are all its exports. */
const stub = (what) => `const what = ${JSON.stringify(what)};
const fail = (name) => function () {
  throw new Error(what + " is not bundled in dvol's Lambda functions (called " + name + ")");
};
const self = fail("it");
module.exports = new Proxy(self, {
  get: (t, key) =>
    key === "prototype" ? t.prototype
    : typeof key === "string" && key !== "__esModule" && key !== "then" ? fail(key)
    : undefined,
});`;

const unusedParts = {
  name: "unused-parts",
  setup(b) {
    const escaped = UNUSED.map((m) => m.replace(/[/.@-]/g, "\\$&"));
    b.onResolve({ filter: new RegExp(`^(${escaped.join("|")})$`) }, (args) => ({
      path: args.path,
      namespace: "unused-parts",
    }));
    b.onResolve(
      {
        filter: new RegExp(
          `^\\.{1,2}/receivers/(${BOLT_UNUSED.join("|")})$|^\\./(${BOLT_UNUSED.join("|")})$`,
        ),
      },
      (args) => {
        if (!/[\\/]node_modules[\\/]@slack[\\/]bolt[\\/]dist[\\/]/.test(args.importer)) return undefined;
        return { path: `@slack/bolt/dist/receivers/${path.basename(args.path)}`, namespace: "unused-parts" };
      },
    );
    b.onLoad({ filter: /.*/, namespace: "unused-parts" }, (args) => ({ contents: stub(args.path) }));
  },
};

/**
 * yaml's ES module build (its package's "default" export: the same code and version) instead of its
 * CommonJS one (the "node" export), as scripts/build.mjs does for the CLI: esbuild then hoists its
 * modules instead of wrapping each of its 80 files in a function with its own exports object, which
 * spares about 20 KB of every function's bundle and their running at each cold start. What differs
 * is nothing the config reads (scripts/build.mjs says what).
 */
const yamlModules = {
  name: "yaml-esm",
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, (args) => {
      const pkg = require.resolve("yaml/package.json", { paths: [args.resolveDir] });
      return { path: path.join(path.dirname(pkg), "browser", "index.js") };
    });
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
  yamlModules,
  metafileWriter(serverless?.serviceDir ?? serverless?.config?.servicePath ?? process.cwd()),
];
module.exports.UNUSED = UNUSED;
module.exports.BOLT_UNUSED = BOLT_UNUSED;

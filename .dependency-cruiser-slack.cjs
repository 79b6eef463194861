/**
 * handlers/slack.ts answers within Slack's 3 s and never talks to an engine: no src/docker module
 * is among its runtime imports, direct or not, so its bundle holds no engine code by its imports
 * (not by esbuild's tree-shaking). Type-only imports are left out here (erased at compile time);
 * the layers and cycles, type-only imports included, are .dependency-cruiser.cjs's.
 * `npm run lint:deps` runs both.
 */
const base = require("./.dependency-cruiser.cjs");

module.exports = {
  forbidden: [
    {
      name: "slack-handler-no-engine",
      severity: "error",
      comment: "handlers/slack.ts reaches a src/docker module at runtime",
      from: { path: "^handlers/slack\\.ts$" },
      to: { path: "^src/docker/", reachable: true },
    },
  ],
  options: { ...base.options, tsPreCompilationDeps: false },
};

/**
 * handlers/slack.ts answers within Slack's 3 s and never talks to an engine: no src/docker module
 * is among its runtime imports, direct or not, so its bundle holds no engine code by its imports
 * (not by esbuild's tree-shaking); nor does it reach a command's runner or the command table
 * (src/commands/table.ts, each command's run.ts and index.ts): of the commands it imports only
 * the grammar, the parser and Slack renderings. Type-only imports are left out here (erased at compile time);
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
    {
      name: "slack-handler-no-runner",
      severity: "error",
      comment: "handlers/slack.ts reaches a command's runner or the command table at runtime",
      from: { path: "^handlers/slack\\.ts$" },
      to: { path: "^src/commands/(table|[^/]+/(run|index))\\.ts$", reachable: true },
    },
  ],
  options: { ...base.options, tsPreCompilationDeps: false },
};

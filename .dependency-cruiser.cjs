/**
 * The layers of dvol (README "How it is built"), checked by `npm run lint:deps` (part of `npm test`).
 * Top to bottom; a module imports only from its own layer or the ones below, type-only imports
 * included:
 *
 *   entries     handlers/, src/cli*.ts, src/server*.ts
 *   front ends  src/slack/, src/jobs/, src/gate/ (the `dvol gate` server)
 *   commands    src/commands/
 *   core        src/approvals/, src/report/, src/backup/, src/sizes/
 *   adapters    src/docker/, src/store/, src/config/
 *   shared      src/*.ts other than the entries (errors, log, metrics, cached, format, glob), and
 *               src/blocks/ (the Block Kit toolkit and Slack's limits)
 */
const ENTRIES = "^(handlers/|src/cli[^/]*\\.ts$|src/server[^/]*\\.ts$)";
const FRONT = "^src/(slack|jobs|gate)/";
const COMMANDS = "^src/commands/";
const CORE = "^src/(approvals|report|backup|sizes)/";
const ADAPTERS = "^src/(docker|store|config)/";
const SHARED = "^src/((?!cli|server)[^/]+\\.ts$|blocks/)";

/** `from` may not import `to`: a layer and what is above it. */
function upward(name, from, above) {
  return {
    name,
    severity: "error",
    comment: `the ${name.replace(/^no-up-from-/, "")} layer imports from a layer above it`,
    from: { path: from },
    to: { path: above },
  };
}

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "an import cycle (type-only imports count)",
      from: {},
      to: { circular: true },
    },
    upward("no-up-from-shared", SHARED, `${ADAPTERS}|${CORE}|${COMMANDS}|${FRONT}|${ENTRIES}`),
    upward("no-up-from-adapters", ADAPTERS, `${CORE}|${COMMANDS}|${FRONT}|${ENTRIES}`),
    upward("no-up-from-core", CORE, `${COMMANDS}|${FRONT}|${ENTRIES}`),
    upward("no-up-from-commands", COMMANDS, `${FRONT}|${ENTRIES}`),
    upward("no-up-from-front-ends", FRONT, ENTRIES),
    {
      name: "no-config-loader-in-adapters",
      severity: "error",
      comment: "the engine and store code take a loaded Config; reading the file is the entries' job",
      from: { path: "^src/(docker|store)/" },
      to: { path: "^src/config/load\\.ts$" },
    },
    {
      name: "in-a-layer",
      severity: "error",
      comment: "a folder of src/ that is in no layer: add it to one here and in the README",
      from: {
        path: "^src/[^/]+/",
        pathNot: "^src/(slack|jobs|gate|commands|approvals|report|backup|sizes|docker|store|config|blocks)/",
      },
      to: {},
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "an import that resolves to nothing",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".d.ts"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

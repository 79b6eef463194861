// serverless.yml's wiring, run for real: `osls offline` (serverless-offline) serves the HTTP API and
// the Lambda API of both functions from their esbuild bundles. A signed slash command goes to
// POST /slack/events; the Slack handler acknowledges it and invokes the worker asynchronously
// through the AWS SDK, pointed at serverless-offline's Lambda endpoint (AWS_ENDPOINT_URL_LAMBDA,
// DVOL_WORKER_FUNCTION from serverless.yml); the worker asks a real engine of the test bed over
// mutual TLS and posts the result to the Slack stand-in.
//
// It runs in a copy of the service in a temp dir (sources, serverless.yml, node_modules linked),
// so its .esbuild/ work folder never meets `npm run package`'s in the repository.
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { engineHost } from "../support/dvol.js";
import { VOLUMES } from "../support/scenario.js";
import { signedHttpRequest, slashCommandBody, TEST_SIGNING_SECRET } from "../support/slack-requests.js";
import { type SlackStandin, startSlackStandin } from "../support/slack-standin.js";
import { requireTestbed } from "../support/testbed-types.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const STAGE = "offline";
const BOT_TOKEN = "xoxb-offline-test-token";
const START_DEADLINE_MS = 150_000;

const testbed = requireTestbed();

let service: string;
let standin: SlackStandin;
let offline: ChildProcess | undefined;
let output = "";
let httpPort: number;
let lambdaPort: number;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A copy of the service: what osls reads and esbuild bundles, with the test bed's config. */
function makeService(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "dvol-offline-"));
  for (const f of [
    "serverless.yml",
    "package.json",
    "tsconfig.json",
    "handlers",
    "src",
    "scripts/esbuild-plugins.cjs",
  ]) {
    cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  }
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  // serverless.yml's DVOL_CONFIG is dvol.config.yaml, relative to the function's working directory.
  writeFileSync(
    path.join(dir, "dvol.config.yaml"),
    stringify({ hosts: [engineHost("host1", testbed.engines.docker28, testbed)] }),
  );
  return dir;
}

function waitForOutput(pattern: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = setInterval(() => {
      if (pattern.test(output)) {
        clearInterval(tick);
        resolve();
      } else if (offline?.exitCode !== null || Date.now() - started > ms) {
        clearInterval(tick);
        reject(
          new Error(`osls offline: no ${pattern} within ${ms} ms (exit ${offline?.exitCode}):\n${output}`),
        );
      }
    }, 100);
  });
}

async function stopOffline(): Promise<void> {
  const child = offline;
  if (!child?.pid || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), s);
    } catch {
      // gone
    }
  };
  signal("SIGINT"); // serverless-offline and serverless-esbuild clean up on SIGINT
  const timer = setTimeout(() => signal("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
  signal("SIGKILL"); // anything left in the group (esbuild's service process)
}

describe("osls offline: HTTP API → Slack handler → Lambda Invoke (Event) → worker → Slack", () => {
  beforeAll(async () => {
    service = makeService();
    standin = await startSlackStandin({ token: BOT_TOKEN });
    [httpPort, lambdaPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
    Object.assign(env, {
      // The SDK signs requests, so it needs credentials; serverless-offline does not check them.
      AWS_ACCESS_KEY_ID: "offline-test",
      AWS_SECRET_ACCESS_KEY: "offline-test",
      AWS_REGION: "eu-west-1",
      AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${lambdaPort}`,
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
      // Locally the secrets come from the environment (SPEC §7), not from SSM.
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      DVOL_OFFLINE_HTTP_PORT: String(httpPort),
      DVOL_OFFLINE_LAMBDA_PORT: String(lambdaPort),
    });
    const osls = path.join(ROOT, "node_modules/osls/bin/serverless.js");
    offline = spawn(
      process.execPath,
      [
        osls,
        "offline",
        "start",
        "--stage",
        STAGE,
        "--localEnvironment",
        "--host",
        "127.0.0.1",
        `--param=slackApiUrl=${standin.apiUrl}`,
      ],
      { cwd: service, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    const collect = (d: Buffer) => {
      output += d.toString();
    };
    offline.stdout?.on("data", collect);
    offline.stderr?.on("data", collect);
    await waitForOutput(/Server ready/, START_DEADLINE_MS);
    expect(output).toContain(`worker: dvol-${STAGE}-worker`);
  }, START_DEADLINE_MS + 10_000);

  afterAll(async () => {
    await stopOffline();
    await standin?.close();
    if (service) rmSync(service, { recursive: true, force: true });
  }, 30_000);

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`http://127.0.0.1:${httpPort}/slack/events`, { method: "POST", headers, body });

  it("refuses an unsigned request with 401, and nothing runs", async () => {
    const res = await post("token=x&text=ls+host1", { "content-type": "application/x-www-form-urlencoded" });
    expect(res.status).toBe(401);
    expect(standin.calls).toEqual([]);
  });

  it("acknowledges `/dvol ls host1` at once and the worker posts the volumes in the channel", async () => {
    const body = slashCommandBody({
      text: "ls host1",
      channel_id: "C0FFLINE",
      response_url: standin.responseUrl("ls"),
    });
    const req = signedHttpRequest(body);
    const started = Date.now();
    const res = await post(req.body, req.headers);
    const ackMs = Date.now() - started;
    expect(res.status).toBe(200);
    const ack = (await res.json()) as { response_type: string; text: string };
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toMatch(/Working on/);
    expect(ackMs).toBeLessThan(3000); // Slack's limit, even for this cold start

    await standin.waitFor(() => standin.callsTo("chat.postMessage").length > 0, 60_000);
    const [call] = standin.callsTo("chat.postMessage");
    expect(call?.token).toBe(BOT_TOKEN);
    expect(call?.args.channel).toBe("C0FFLINE");
    const posted = JSON.stringify(call?.args);
    expect(posted).toContain(VOLUMES.sized5m);
    expect(posted).toContain(VOLUMES.shopDb);

    // The worker ran as its own function, invoked through the Lambda endpoint.
    await waitForOutput(/\(λ: worker\) RequestId/, 10_000);
  });

  it("answers a usage error at once, ephemeral, without the worker", async () => {
    const before = output.match(/\(λ: worker\) RequestId/g)?.length ?? 0;
    const body = slashCommandBody({ text: "ls", response_url: standin.responseUrl("usage") });
    const req = signedHttpRequest(body);
    const res = await post(req.body, req.headers);
    expect(res.status).toBe(200);
    const ack = (await res.json()) as { response_type: string; text: string };
    expect(ack.response_type).toBe("ephemeral");
    await new Promise((r) => setTimeout(r, 1000));
    expect(output.match(/\(λ: worker\) RequestId/g)?.length ?? 0).toBe(before);
  });
});

// The local server (`npm start`, src/server.ts) under a burst: --requests concurrent signed
// `/dvol ls docker20,docker28` slash commands (default 100), each one's acknowledgement timed from
// the request sent to the answer read, as Slack would see it (its limit: 3 s), then the time until
// every job has posted its result in the channel.
//
// The server runs as `npm start` does, in a process of its own (`node --import tsx
// src/server-main.ts` from this checkout; --baseline DIR: another checkout too, e.g. the build
// before a change), configured from the environment alone, against two real engines of the test
// bed (docker20 and docker28, mutual TLS, each started here in a temp dir with --volumes volumes:
// default 1,000, where the unbounded in-process jobs of the build before issue 10 passed 3 s) and
// the Slack Web API stand-in of test/support (in this process). Rounds alternate between the
// builds, so before and after are compared within one run on the same machine. --in-process runs
// the server in this process instead (startServer, as the e2e test does).
//
//   npx tsx bench/server-burst.ts [--requests 100] [--rounds 5] [--volumes 1000] [--baseline DIR]
//                                 [--in-process] [--node FILE] [--out FILE]
//
// As root, after scripts/testbed/install.sh. Prints a table and writes bench/burst-results.md (or
// --out).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generatePki } from "../test/support/pki.js";
import { signedHttpRequest, slashCommandBody } from "../test/support/slack-requests.js";
import { type SlackStandin, startSlackStandin } from "../test/support/slack-standin.js";
import { log, mapLimit, max, median, withCleanup } from "./lib.js";
import { cleanEnv, createVolume, REPO, withEngine, writeDvolConfig } from "./testbed.js";

const { values: opts } = parseArgs({
  options: {
    requests: { type: "string", default: "100" },
    volumes: { type: "string", default: "1000" },
    rounds: { type: "string", default: "5" },
    baseline: { type: "string" },
    node: { type: "string" },
    "in-process": { type: "boolean", default: false },
    out: { type: "string" },
  },
});
const REQUESTS = Number(opts.requests);
const ROUNDS = Number(opts.rounds);
const VOLUMES = Number(opts.volumes);
const NODE = opts.node ? resolve(opts.node) : process.execPath;
const NODE_VERSION = execFileSync(NODE, ["--version"]).toString().trim();
const SECRET = "burst-signing-secret-0123456789ab";
const TOKEN = "xoxb-dvol-burst";
const CHANNEL = "C0BURST01";
const SLACK_LIMIT_MS = 3000;

interface Build {
  label: string;
  repo: string;
}

interface Round {
  build: string;
  acks: number[];
  /** Requests answered other than 200 (or not at all). */
  failed: number;
  /** From the first request sent to the last result posted. */
  allPostedMs: number;
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

/** Starts `npm start`'s program from `repo` and resolves with the server's URL. */
async function startServer(repo: string, env: NodeJS.ProcessEnv): Promise<RunningServer> {
  if (opts["in-process"]) {
    const mod = (await import(join(repo, "src/server.ts"))) as typeof import("../src/server.js");
    const quiet = { info: () => {}, warn: () => {}, error: (m: string) => log(m) };
    const server = await mod.startServer({ env, port: 0, host: "127.0.0.1", logger: quiet });
    return { url: server.url ?? "", stop: () => server.stop() };
  }
  const child = spawn(NODE, ["--import", "tsx", "src/server-main.ts"], {
    cwd: repo,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "listening" line within 30 s: ${out}`)), 30_000);
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+);/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.stderr?.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.once("exit", (code) => fail(new Error(`server exited ${code}: ${out}`)));
  });
  return { url, stop: () => stopChild(child) };
}

interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  await exited;
}

async function round(build: Build, standin: SlackStandin, env: NodeJS.ProcessEnv): Promise<Round> {
  const server = await startServer(build.repo, env);
  const { url } = server;
  try {
    // A warm-up command, answered and posted, so the round measures a started server.
    const warm = signedHttpRequest(slashCommandBody({ text: "ls docker20,docker28", channel_id: CHANNEL }), {
      secret: SECRET,
    });
    await (await fetch(url, { method: "POST", headers: warm.headers, body: warm.body })).text();
    await standin.waitFor(() => standin.callsTo("chat.postMessage").length >= 1, 30_000);
    standin.reset();

    const bodies = Array.from({ length: REQUESTS }, (_, i) =>
      signedHttpRequest(
        slashCommandBody({
          text: "ls docker20,docker28",
          channel_id: CHANNEL,
          user_id: `U${String(i).padStart(8, "0")}`,
          response_url: standin.responseUrl(`r${i}`),
        }),
        { secret: SECRET },
      ),
    );
    const t0 = performance.now();
    const acks = await Promise.all(
      bodies.map(async (req) => {
        const start = performance.now();
        try {
          const res = await fetch(url, { method: "POST", headers: req.headers, body: req.body });
          await res.text();
          return { ms: performance.now() - start, ok: res.status === 200 };
        } catch {
          return { ms: performance.now() - start, ok: false };
        }
      }),
    );
    await standin.waitFor(() => standin.callsTo("chat.postMessage").length >= REQUESTS, 120_000);
    const allPostedMs = performance.now() - t0;
    standin.reset();
    return {
      build: build.label,
      acks: acks.map((a) => a.ms),
      failed: acks.filter((a) => !a.ok).length,
      allPostedMs,
    };
  } finally {
    await server.stop();
  }
}

function row(label: string, rounds: Round[]): string {
  const acks = rounds.flatMap((r) => r.acks);
  const over = acks.filter((a) => a >= SLACK_LIMIT_MS).length;
  const maxes = rounds.map((r) => max(r.acks));
  return [
    label,
    `${rounds.length} x ${REQUESTS}`,
    `${Math.round(percentile(acks, 50))} ms`,
    `${Math.round(percentile(acks, 99))} ms`,
    `${Math.round(max(acks))} ms (${maxes.map((m) => Math.round(m)).join(", ")})`,
    `${over}`,
    `${rounds.reduce((n, r) => n + r.failed, 0)}`,
    `${(median(rounds.map((r) => r.allPostedMs)) / 1000).toFixed(1)} s`,
  ].join(" | ");
}

async function main(): Promise<void> {
  const builds: Build[] = [{ label: "now", repo: REPO }];
  if (opts.baseline) builds.unshift({ label: "before", repo: resolve(opts.baseline) });
  const dir = await mkdtemp(join(tmpdir(), "dvol-burst-"));
  await withCleanup(
    `work dir ${dir}`,
    () => rm(dir, { recursive: true, force: true }),
    async () => {
      const pki = await generatePki(join(dir, "pki"));
      await withEngine("docker20", pki, join(dir, "docker20"), (e20) =>
        withEngine("docker28", pki, join(dir, "docker28"), async (e28) => {
          const names = Array.from({ length: VOLUMES }, (_, i) => `burst-${String(i).padStart(5, "0")}`);
          for (const e of [e20, e28]) {
            await mapLimit(names, 8, (name, i) => createVolume(e, name, { app: `a${i % 3}` }));
          }
          const config = await writeDvolConfig(join(dir, "cfg"), pki, [
            { name: "docker20", url: e20.url, serverName: e20.serverName },
            { name: "docker28", url: e28.url, serverName: e28.serverName },
          ]);
          await writeFile(config, `${await readFile(config, "utf8")}access:\n  channels: [${CHANNEL}]\n`);
          const standin = await startSlackStandin({ token: TOKEN });
          const env = cleanEnv({
            PORT: "0",
            SLACK_SIGNING_SECRET: SECRET,
            SLACK_BOT_TOKEN: TOKEN,
            SLACK_API_URL: standin.apiUrl,
            DVOL_CONFIG: config,
            DVOL_STATE_DIR: join(dir, "state"),
          });
          const load = [loadavg()[0] ?? 0];
          const rounds: Round[] = [];
          try {
            for (let r = 0; r < ROUNDS; r++) {
              for (const b of builds) {
                const res = await round(b, standin, env);
                load.push(loadavg()[0] ?? 0);
                log(
                  `round ${r + 1} ${b.label}: ack p50 ${Math.round(percentile(res.acks, 50))} ms, ` +
                    `max ${Math.round(max(res.acks))} ms, failed ${res.failed}, ` +
                    `all posted ${(res.allPostedMs / 1000).toFixed(1)} s`,
                );
                rounds.push(res);
              }
            }
          } finally {
            await standin.close();
          }
          const header = [
            `# The local server under a burst (\`npx tsx bench/server-burst.ts\`)`,
            "",
            `${new Date().toISOString().slice(0, 10)}, Node ${NODE_VERSION}, ${cpus().length} cores ` +
              `(${cpus()[0]?.model.trim() ?? "?"}), load average ${Math.min(...load).toFixed(1)} to ` +
              `${Math.max(...load).toFixed(1)}; ${REQUESTS} concurrent signed \`/dvol ls docker20,docker28\` ` +
              `over loopback HTTP to \`npm start\`'s program, both engines of the test bed over mutual TLS, ${VOLUMES} volumes each.`,
            "",
            "| build | rounds | ack p50 | ack p99 | ack max (each round) | acks >= 3 s | not 200 | all results posted (median) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
          ];
          const lines = builds.map((b) =>
            `| ${row(
              b.label,
              rounds.filter((r) => r.build === b.label),
            )} |`.replace(/^\| (before|now) /, (_m, l: string) => `| ${l === "now" ? "**now**" : l} `),
          );
          const md = `${[...header, ...lines].join("\n")}\n`;
          process.stdout.write(md);
          await writeFile(opts.out ?? join(REPO, "bench/burst-results.md"), md);
        }),
      );
    },
  );
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});

// The backup commands end to end through the Lambda handlers (SPEC §2, §6, §10): handlers/slack.ts
// is invoked with signed API Gateway v2 events; its dispatcher invokes handlers/worker.ts's
// handler as Lambda's asynchronous invoke would (on a copy that went through JSON), with a Lambda
// context; the worker talks to a REAL engine over mutual TLS and keeps the backups in S3 through
// the real AWS SDK, against s3rver on loopback (test/support/s3.ts): a STAND-IN for Amazon S3,
// which ignores server-side encryption, so the encryption dvol asks for is checked on the
// requests themselves. Slack is the Web API stand-in.
//
// A round trip (backup, the volume deleted on the engine, restore: the same tree), the list, the
// refusals (restore onto an existing volume, a non-requester), and a backup refused at once when
// it cannot fit in the worker's time left.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSlackHandler } from "../../handlers/slack.js";
import { createWorkerHandler } from "../../handlers/worker.js";
import type { SlackMessage } from "../../src/blocks/message.js";
import type { Job } from "../../src/jobs/job.js";
import type { WorkerOutcome } from "../../src/jobs/run-request.js";
import { busybox, createVolume, FILL, helpersLeft, removeVolume, treeOf } from "../support/backup-trees.js";
import { engineHost, writeConfig } from "../support/dvol.js";
import { type Engine, importBusyboxImage, startEngine } from "../support/engines.js";
import { lambdaContext } from "../support/lambda-context.js";
import { type S3Standin, startS3 } from "../support/s3.js";
import { expectWithinSlackLimits } from "../support/slack-limits.js";
import { signedSlashCommand, TEST_SIGNING_SECRET } from "../support/slack-requests.js";
import { type SlackStandin, startSlackStandin } from "../support/slack-standin.js";
import { requireTestbed } from "../support/testbed-types.js";

const testbed = requireTestbed();
const CHANNEL = "C0OPS0001";
const BOT_TOKEN = "xoxb-dvol-backup-e2e";
const ALICE = "U0ALICE01"; // requester
const EVE = "U0EVE0001"; // viewer only
const BUCKET = "dvol-e2e-backups";
const vname = (what: string) => `bse2e-${process.pid}-${what}-${Math.random().toString(36).slice(2, 7)}`;

let engine: Engine;
let s3: S3Standin;
let standin: SlackStandin;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dvol-bse2e-"));
  [engine, s3, standin] = await Promise.all([
    startEngine({ kind: "docker28", pki: testbed.pki, dir: join(testbed.dir, `bse2e-${process.pid}`) }),
    startS3(BUCKET),
    startSlackStandin({ token: BOT_TOKEN }),
  ]);
  await importBusyboxImage(engine);
  env = {
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: standin.apiUrl,
    DVOL_STATE_DIR: join(dir, "state"),
    DVOL_CONFIG: writeConfig([engineHost("h", engine, testbed)], {
      access: { channels: [CHANNEL], viewers: ["*"], requesters: [ALICE], approvers: [ALICE] },
      backup: { bucket: BUCKET, beforeDelete: "off" },
    }),
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: s3.region,
  };
}, 180_000);
afterAll(async () => {
  await Promise.all([engine?.stop(), s3?.stop(), standin?.close()]);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);
afterEach(() => {
  for (const c of standin.callsTo("chat.postMessage")) {
    expectWithinSlackLimits({
      text: String(c.args.text ?? ""),
      blocks: (c.args.blocks ?? []) as SlackMessage["blocks"],
    });
  }
  standin.reset();
});

/** The two Lambdas; the worker's invocations get a Lambda context with `remainingMs` left. */
function lambdas(remainingMs = 110_000) {
  const runs: Promise<WorkerOutcome>[] = [];
  const worker = createWorkerHandler({ env, s3: { credentials: s3.credentials } });
  const slack = createSlackHandler({
    env,
    dispatch: async (job: Job) => {
      const copy = JSON.parse(JSON.stringify(job)) as Job;
      const end = performance.now() + remainingMs;
      runs.push(worker(copy, lambdaContext({ remainingMs: () => end - performance.now() })));
    },
  });
  return { slack, runs };
}

const text = (m: { text?: unknown; blocks?: unknown }) =>
  `${String(m.text ?? "")}\n${JSON.stringify(m.blocks ?? [])}`.replace(/&lt;/g, "<").replace(/&gt;/g, ">");

/** `/dvol <text>` typed by `user`: the acknowledgement, and the worker's outcome (none when refused at once). */
async function slash(command: string, user = ALICE, remainingMs?: number) {
  const l = lambdas(remainingMs);
  const seen = standin.callsTo("chat.postMessage").length;
  const rid = `r-${Math.random().toString(36).slice(2, 8)}`;
  const res = (await l.slack(
    signedSlashCommand({
      text: command,
      channel_id: CHANNEL,
      user_id: user,
      response_url: standin.responseUrl(rid),
    }),
  )) as APIGatewayProxyStructuredResultV2;
  expect(res.statusCode).toBe(200);
  const ack = JSON.parse(res.body ?? "{}") as SlackMessage & { response_type?: string };
  const outcomes = await Promise.all(l.runs);
  const posted = standin
    .callsTo("chat.postMessage")
    .slice(seen)
    .map((c) => text(c.args));
  const told = standin.responsesTo(rid).map((r) => text(r.json));
  return { ack: text(ack), outcomes, posted, told };
}

describe("backup, backups and restore in Slack, S3 store (s3rver stand-in), docker28 engine", () => {
  it("round trip: /dvol backup, the volume deleted on the engine, /dvol restore: the same tree; SSE asked on every write", async () => {
    const name = vname("rt");
    await createVolume(engine, name, { "com.docker.compose.project": "shop" });
    await busybox(engine, name, FILL);
    const before = await treeOf(engine, name);

    const b = await slash(`backup h ${name} --reason "before the upgrade"`);
    expect(b.ack).toContain(`Working on`);
    expect(b.outcomes.map((o) => o.status)).toEqual(["posted"]);
    expect(b.posted).toHaveLength(1);
    const id = /backed up as `(bk-\d{8}-\d{6}-[0-9a-f]{8})`/.exec(b.posted[0] ?? "")?.[1];
    expect(id, b.posted[0]).toBeDefined();
    expect(b.posted[0]).toContain(`s3://${BUCKET}/backups/`);
    expect(b.posted[0]).toContain("before the upgrade");
    // The archive and the manifest were written with server-side encryption (SSE-S3: no KMS key).
    const writes = s3.requests.filter((r) => r.method === "PUT" || r.method === "POST");
    const keys = writes.map((r) => r.url.split("?")[0]);
    expect(keys).toEqual(
      expect.arrayContaining([`/${BUCKET}/backups/${id}.tar.gz`, `/${BUCKET}/backups/${id}.json`]),
    );
    for (const w of writes.filter((r) => !r.url.includes("uploadId="))) {
      expect(w.headers["x-amz-server-side-encryption"], w.url).toBe("AES256");
    }

    const listed = await slash(`backups h --volume ${name}`, EVE);
    expect(listed.posted[0]).toContain(id);
    expect(listed.posted[0]).toContain("complete");
    expect(listed.posted[0]).toContain(ALICE);

    await removeVolume(engine, name);
    const r = await slash(`restore h ${id}`);
    expect(r.outcomes.map((o) => o.status)).toEqual(["posted"]);
    expect(r.posted[0]).toContain(`Restored \`${id}\` into the new volume *${name}* on *h*`);
    expect(await treeOf(engine, name)).toBe(before);
    expect(await helpersLeft(engine)).toEqual([]);

    // Again onto the same name: refused, told only to the person, and nothing changed.
    await busybox(engine, name, "echo changed > /data/new");
    const changed = await treeOf(engine, name);
    const again = await slash(`restore h ${id}`);
    expect(again.posted).toEqual([]);
    expect(again.told.join("\n")).toContain(
      `a volume named ${name} already exists: a restore never writes over a volume`,
    );
    expect(await treeOf(engine, name)).toBe(changed);

    // --as: beside it.
    const copy = vname("copy");
    const as = await slash(`restore h ${id} --as ${copy}`);
    expect(as.posted[0]).toContain(`into the new volume *${copy}*`);
    expect(await treeOf(engine, copy)).toBe(before);
  });

  it("a volume larger than one part goes up as a multipart upload (SSE asked when it is created) and restores whole", async () => {
    const name = vname("multi");
    await createVolume(engine, name);
    await busybox(engine, name, "dd if=/dev/urandom of=/data/big bs=1M count=20 2>/dev/null");
    const before = await treeOf(engine, name);
    const seen = s3.requests.length;
    const b = await slash(`backup h ${name}`);
    const id = /backed up as `(bk-[0-9a-f-]+)`/.exec(b.posted[0] ?? "")?.[1] ?? "";
    expect(id, b.posted[0]).not.toBe("");
    const mine = s3.requests.slice(seen).filter((r) => r.url.startsWith(`/${BUCKET}/backups/${id}.tar.gz`));
    const created = mine.filter((r) => r.method === "POST" && /[?&]uploads(=|&|$)/.test(r.url));
    expect(created).toHaveLength(1);
    expect(created[0]?.headers["x-amz-server-side-encryption"]).toBe("AES256");
    expect(
      mine.filter((r) => r.method === "PUT" && r.url.includes("partNumber=")).length,
    ).toBeGreaterThanOrEqual(3);
    await removeVolume(engine, name);
    const r = await slash(`restore h ${id}`);
    expect(r.outcomes.map((o) => o.status)).toEqual(["posted"]);
    expect(await treeOf(engine, name)).toBe(before);
  });

  it("refuses backup and restore to someone who is not a requester, at once, with nothing run", async () => {
    const name = vname("eve");
    await createVolume(engine, name);
    const before = s3.requests.length;
    for (const command of [`backup h ${name}`, "restore h bk-20200101-000000-00000000"]) {
      const r = await slash(command, EVE);
      expect(r.outcomes).toEqual([]);
      expect(r.posted).toEqual([]);
      expect(r.ack).toContain("You are not one of dvol's requesters");
      expect(r.ack).toContain("access.requesters");
    }
    expect(s3.requests.length).toBe(before);
  });

  it("refuses a backup at once when it cannot fit in the worker's time left, pointing to the CLI", async () => {
    const name = vname("late");
    await createVolume(engine, name);
    await busybox(engine, name, "echo x > /data/x");
    const before = s3.requests.filter((r) => r.method === "PUT").length;
    // 30 s left: less than the host's deadline (20 s) and the margin (20 s) to finish in.
    const r = await slash(`backup h ${name}`, ALICE, 30_000);
    expect(r.outcomes.map((o) => o.status)).toEqual(["posted"]);
    expect(r.posted[0]).toContain(`${name}* not backed up: h: ${name}`);
    expect(r.posted[0]).toContain("cannot be backed up in the time this worker has left");
    expect(r.posted[0]).toContain(`dvol backup h ${name}`);
    expect(s3.requests.filter((q) => q.method === "PUT").length).toBe(before);
  });
});

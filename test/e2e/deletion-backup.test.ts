// Backups before deletion and the Restore button, end to end through the Lambda handlers (SPEC §4.8,
// §10): handlers/slack.ts invoked with signed API Gateway v2 events, its dispatcher invoking
// handlers/worker.ts as Lambda's asynchronous invoke would (on a JSON copy), the worker talking to
// a REAL engine over mutual TLS, the embedded store and the local store of backups (DVOL_BACKUP_DIR)
// in temp directories, posting to the Slack stand-in. The config says `backup: { beforeDelete:
// required }`.
//
// Each engine is this file's own (like test/integration/backup.test.ts): backups import dvol's
// helper image and make helper containers, which the other files' listings of the shared engines
// must not see. One backup is made to fail: the worker's connection factory is the real one,
// wrapped so that the archive of the helper container made for a volume named `*-cutme` ends
// cleanly after 4 KiB (as a daemon was seen to end a truncated archive with a clean 200): dvol's
// tar reader must refuse it.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSlackHandler } from "../../handlers/slack.js";
import { createWorkerHandler } from "../../handlers/worker.js";
import type { BackupManifest } from "../../src/backup/manifest.js";
import type { SlackMessage } from "../../src/blocks/message.js";
import { APPROVE_ACTION_ID, RESTORE_ACTION_ID } from "../../src/commands/delete/slack-actions.js";
import { loadConfig } from "../../src/config/load.js";
import { SecretResolver } from "../../src/config/secrets.js";
import { type ConnectionFactory, tlsConnectionFactory } from "../../src/docker/connection.js";
import type { StreamAnswer, StreamRequest } from "../../src/docker/stream.js";
import type { Job } from "../../src/jobs/job.js";
import type { WorkerOutcome } from "../../src/jobs/run-request.js";
import { openStore } from "../../src/store/open.js";
import type { AuditRecord, DeletionRequest } from "../../src/store/records.js";
import {
  busybox,
  createVolume as createPlainVolume,
  FILL,
  LIST,
  volumeExists,
} from "../support/backup-trees.js";
import { engineHost, runCli, writeConfig } from "../support/dvol.js";
import {
  type Engine,
  type EngineKind,
  importBusyboxImage,
  socketRequest,
  startEngine,
} from "../support/engines.js";
import { expectWithinSlackLimits } from "../support/slack-limits.js";
import { signedBlockActions, signedSlashCommand, TEST_SIGNING_SECRET } from "../support/slack-requests.js";
import { type SlackStandin, startSlackStandin } from "../support/slack-standin.js";
import { requireTestbed } from "../support/testbed-types.js";

const testbed = requireTestbed();
const CHANNEL = "C0OPS0001";
const BOT_TOKEN = "xoxb-dvol-backup-e2e";
const ALICE = "U0ALICE01"; // requester
const BOB = "U0BOB0001"; // approver
const EVE = "U0EVE0001"; // neither requester nor approver
const run = randomBytes(3).toString("hex");
const vname = (what: string) => `dbk-${run}-${what}`;
/** A compose-labelled volume, so that a restore must bring its labels back for Compose. */
const createVolume = (engine: Engine, name: string) =>
  createPlainVolume(engine, name, {
    "com.docker.compose.project": "e2eshop",
    "com.docker.compose.volume": name,
  });

/**
 * The real connection factory, with the archive of a helper made for a volume whose name contains
 * `marker` ended early and cleanly (4 KiB, then the end of the body): a truncated archive.
 */
function cuttingArchives(real: ConnectionFactory, marker: string) {
  const doomed = new Set<string>();
  let cuts = 0;
  const wrap =
    (stream: (req: StreamRequest) => Promise<StreamAnswer>) =>
    async (req: StreamRequest): Promise<StreamAnswer> => {
      const answer = await stream(req);
      if (req.method === "POST" && req.path.endsWith("/containers/create")) {
        if (!(Buffer.isBuffer(req.body) && req.body.toString().includes(marker))) return answer;
        const chunks: Buffer[] = [];
        for await (const c of answer.body) chunks.push(c as Buffer);
        const bytes = Buffer.concat(chunks);
        doomed.add((JSON.parse(bytes.toString()) as { Id: string }).Id);
        return { ...answer, body: Readable.from([bytes]) };
      }
      const id = /\/containers\/([0-9a-f]+)\/archive$/.exec(req.path)?.[1];
      if (req.method !== "GET" || !id || !doomed.has(id)) return answer;
      cuts++;
      const cut = new PassThrough();
      let sent = 0;
      answer.body.on("data", (c: Buffer) => {
        if (sent >= 4096) return;
        const part = c.subarray(0, 4096 - sent);
        sent += part.length;
        cut.write(part);
        if (sent >= 4096) {
          cut.end();
          answer.body.destroy();
        }
      });
      answer.body.on("end", () => cut.end());
      answer.body.on("error", () => cut.end());
      return { ...answer, body: cut };
    };
  const connect: ConnectionFactory = async (host) => {
    const conn = await real(host);
    const stream = conn.stream?.bind(conn);
    return new Proxy(conn, {
      get(target, prop) {
        if (prop === "stream" && stream) return wrap(stream);
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  };
  return { connect, cuts: () => cuts };
}

let standin: SlackStandin;
beforeAll(async () => {
  standin = await startSlackStandin({ token: BOT_TOKEN });
});
afterAll(async () => {
  await standin.close();
});
afterEach(() => {
  for (const c of [...standin.callsTo("chat.postMessage"), ...standin.callsTo("chat.update")]) {
    expectWithinSlackLimits({
      text: String(c.args.text ?? ""),
      blocks: (c.args.blocks ?? []) as SlackMessage["blocks"],
    });
  }
  standin.reset();
});

const blocksText = (blocks: unknown) =>
  JSON.stringify(blocks ?? [])
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

const KINDS: readonly EngineKind[] = ["docker28", "docker20"];

describe.each(KINDS)("backups before deletion, in Slack, on a %s engine of its own", (kind) => {
  let engine: Engine;
  let env: NodeJS.ProcessEnv;
  let cutter: ReturnType<typeof cuttingArchives>;
  const stateDir = mkdtempSync(join(tmpdir(), "dvol-state-"));
  const backupDir = mkdtempSync(join(tmpdir(), "dvol-bk-"));
  const runs: Promise<WorkerOutcome>[] = [];
  let slack: ReturnType<typeof createSlackHandler>;

  beforeAll(async () => {
    engine = await startEngine({
      kind,
      pki: testbed.pki,
      dir: join(testbed.dir, `bdel-${kind}-${process.pid}`),
    });
    await importBusyboxImage(engine);
    const file = writeConfig([engineHost("h", engine, testbed)], {
      access: {
        channels: [CHANNEL],
        viewers: ["*"],
        requesters: [ALICE, BOB],
        approvers: [BOB],
        allowSelfApproval: false,
      },
      backup: { beforeDelete: "required", keepDays: 7 },
    });
    const config = await loadConfig({ file, env: {} });
    cutter = cuttingArchives(
      tlsConnectionFactory(new SecretResolver({ baseDir: config.baseDir, env: {} })),
      "-cutme",
    );
    env = {
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: standin.apiUrl,
      DVOL_CONFIG: file,
      DVOL_STATE_DIR: stateDir,
      DVOL_BACKUP_DIR: backupDir,
    };
    const worker = createWorkerHandler({ env, connect: cutter.connect });
    slack = createSlackHandler({
      env,
      dispatch: async (job: Job) => {
        runs.push(worker(JSON.parse(JSON.stringify(job)) as Job));
      },
    });
  }, 180_000);
  afterAll(async () => {
    await engine?.stop();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(backupDir, { recursive: true, force: true });
  }, 60_000);

  const settle = async () => {
    const out: WorkerOutcome[] = [];
    while (runs.length > 0) out.push(...(await Promise.all(runs.splice(0))));
    return out;
  };

  async function stored<T>(fn: (s: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> {
    const s = await openStore(env);
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  }

  /** `/dvol <text>` by ALICE; the request, its parent and its plan. */
  async function request(text: string) {
    const res = (await slack(
      signedSlashCommand({ text, channel_id: CHANNEL, user_id: ALICE, response_url: standin.responseUrl() }),
    )) as APIGatewayProxyStructuredResultV2;
    expect(res.statusCode).toBe(200);
    const [outcome] = await settle();
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ status: "opened" });
    const opened = outcome as Extract<WorkerOutcome, { status: "opened" }>;
    const [plan] = standin.thread(CHANNEL, opened.parent.ts);
    return {
      id: opened.request.id,
      parentTs: opened.parent.ts,
      planTs: plan?.ts ?? "",
      plan: blocksText(plan?.blocks),
    };
  }

  async function click(
    o: { id: string; parentTs: string },
    messageTs: string,
    user: string,
    actionId: string,
    value: string,
  ) {
    const rid = `${user}-${randomBytes(3).toString("hex")}`;
    const res = (await slack(
      signedBlockActions({
        actionId,
        value,
        channel_id: CHANNEL,
        user_id: user,
        response_url: standin.responseUrl(rid),
        message_ts: messageTs,
        thread_ts: o.parentTs,
      }),
    )) as APIGatewayProxyStructuredResultV2;
    expect(res.statusCode).toBe(200);
    const [outcome] = await settle();
    return { rid, outcome };
  }

  const ephemeralTo = (rid: string) => blocksText(standin.responsesTo(rid).at(-1)?.json.blocks);

  it("backs every volume up first, deletes only those whose backup completed, names each backup; the Restore button restores, once, for requesters only", async () => {
    const [keep, cutme, plain] = [vname("keep"), vname("x-cutme"), vname("plain")];
    for (const v of [keep, cutme, plain]) await createVolume(engine, v);
    await busybox(engine, keep, FILL);
    await busybox(engine, cutme, "dd if=/dev/urandom of=/data/big bs=1k count=200 2>/dev/null");
    const before = await busybox(engine, keep, LIST);
    expect(before).toContain(".|directory|-|700:999:999:");

    const o = await request(`rm h ${keep} ${cutme} ${plain} --reason "retire e2eshop"`);
    expect(o.plan).toContain("backed up first");
    expect(o.plan).toMatch(/Each volume is \*backed up first\*/);

    await click(o, o.planTs, BOB, APPROVE_ACTION_ID, o.id);
    expect(cutter.cuts()).toBe(1);
    // Deleted: the two whose backups completed; the one whose archive was cut is still there.
    expect(await volumeExists(engine, keep)).toBe(false);
    expect(await volumeExists(engine, plain)).toBe(false);
    expect(await volumeExists(engine, cutme)).toBe(true);

    const r = (await stored((s) => s.getRequest(o.id))) as DeletionRequest;
    expect(r.status).toBe("paused");
    const out = Object.fromEntries(r.outcomes.map((x) => [x.name, x]));
    const keepId = out[keep]?.result === "deleted" ? out[keep].backupId : undefined;
    const plainId = out[plain]?.result === "deleted" ? out[plain].backupId : undefined;
    expect(keepId).toMatch(/^bk-/);
    expect(plainId).toMatch(/^bk-/);
    expect(out[cutme]).toMatchObject({
      result: "failed",
      error: expect.stringContaining("its backup did not complete"),
    });

    // The store of backups: complete manifests for the two, a failed one for the third.
    const manifests = readdirSync(backupDir)
      .filter((f) => f.endsWith(".json") && f.startsWith("bk-"))
      .map((f) => JSON.parse(readFileSync(join(backupDir, f), "utf8")) as BackupManifest);
    const byVolume = (n: string) => manifests.filter((m) => m.volume.name === n);
    expect(byVolume(keep).map((m) => [m.id, m.status])).toEqual([[keepId, "complete"]]);
    expect(byVolume(cutme).map((m) => m.status)).toEqual(["failed"]);
    expect(byVolume(keep)[0]?.why).toBe(`before deletion (${o.id}: retire e2eshop)`);

    // The thread names each backup, says the request paused, and carries Restore buttons.
    const thread = standin.thread(CHANNEL, o.parentTs);
    const outcomeMsg = thread.find((m) => blocksText(m.blocks).includes("paused"));
    expect(outcomeMsg).toBeDefined();
    const text = blocksText(outcomeMsg?.blocks);
    expect(text).toContain(`backed up first as \`${keepId}\``);
    expect(text).toContain(`backed up first as \`${plainId}\``);
    expect(text).toMatch(new RegExp(`${cutme}\` failed: not deleted: its backup did not complete`));
    expect(text).toContain(`"value":"${o.id} ${keepId}"`);
    expect(text).not.toContain(
      `"value":"${o.id} ${out[cutme]?.result === "failed" ? out[cutme].backupId : "?"}"`,
    );

    // The audit names each backup.
    const audit = await stored((s) => s.listAudit(o.id));
    const volumeRecords = audit.filter((a: AuditRecord) => a.action === "volume");
    const failedId = out[cutme]?.result === "failed" ? out[cutme].backupId : undefined;
    expect(failedId).toMatch(/^bk-/);
    expect(volumeRecords.map((a) => a.detail.backupId).sort()).toEqual([keepId, plainId, failedId].sort());

    // Someone who is not a requester is refused, and nothing is restored.
    const restoreId = `${RESTORE_ACTION_ID}_${keepId}`;
    const byEve = await click(o, outcomeMsg?.ts ?? "", EVE, restoreId, `${o.id} ${keepId}`);
    expect(byEve.outcome).toMatchObject({ status: "refused" });
    expect(ephemeralTo(byEve.rid)).toContain(
      "You are not one of dvol's requesters, who may restore backups.",
    );
    expect(await volumeExists(engine, keep)).toBe(false);

    // The requester's click restores it under its name: the same tree, file by file.
    const byAlice = await click(o, outcomeMsg?.ts ?? "", ALICE, restoreId, `${o.id} ${keepId}`);
    expect(byAlice.outcome).toMatchObject({ status: "restored", volume: keep });
    expect(await busybox(engine, keep, LIST)).toBe(before);
    const restoredLine = standin.thread(CHANNEL, o.parentTs).at(-1);
    expect(blocksText(restoredLine?.blocks)).toContain(
      `\`${keep}\` *restored* on h from backup \`${keepId}\``,
    );

    // A second click says it is done, and restores nothing.
    const again = await click(o, outcomeMsg?.ts ?? "", BOB, restoreId, `${o.id} ${keepId}`);
    expect(again.outcome).toMatchObject({ status: "done-already" });
    expect(ephemeralTo(again.rid)).toContain("was already restored");
    const restores = (await stored((s) => s.listAudit(o.id))).filter((a) => a.action === "restored");
    expect(restores.map((a) => a.detail.result)).toEqual(["restored"]);

    // While the name is taken, the button says so and points to --as.
    await createVolume(engine, plain);
    const taken = await click(
      o,
      outcomeMsg?.ts ?? "",
      ALICE,
      `${RESTORE_ACTION_ID}_${plainId}`,
      `${o.id} ${plainId}`,
    );
    expect(taken.outcome).toMatchObject({ status: "failed" });
    expect(blocksText(standin.thread(CHANNEL, o.parentTs).at(-1)?.blocks)).toContain(
      `/dvol restore h ${plainId} --as NAME`,
    );

    // Once the name is free again, two clicks at once restore it once: one restores, the other is
    // told it is being restored (or done).
    const gone = await socketRequest(engine.socketPath, "DELETE", `/volumes/${plain}`);
    expect(gone.status).toBe(204);
    const both = [ALICE, BOB].map((user) =>
      slack(
        signedBlockActions({
          actionId: `${RESTORE_ACTION_ID}_${plainId}`,
          value: `${o.id} ${plainId}`,
          channel_id: CHANNEL,
          user_id: user,
          response_url: standin.responseUrl(`both-${user}`),
          message_ts: outcomeMsg?.ts ?? "",
          thread_ts: o.parentTs,
        }),
      ),
    );
    await Promise.all(both);
    const statuses = (await settle()).map((x) => x.status).sort();
    expect(statuses[1]).toBe("restored");
    expect(["busy", "done-already"]).toContain(statuses[0]);
    expect(await volumeExists(engine, plain)).toBe(true);
    const restoredTwice = (await stored((s) => s.listAudit(o.id))).filter(
      (a) => a.action === "restored" && a.detail.result === "restored",
    );
    expect(restoredTwice.map((a) => a.detail.backupId)).toEqual([keepId, plainId]);
  }, 240_000);

  it("--no-backup deletes without a backup, says so plainly in the plan, and the audit records it", async () => {
    const nb = vname("nobackup");
    await createVolume(engine, nb);
    const o = await request(`rm h ${nb} --no-backup`);
    expect(o.plan).toContain("NO BACKUP");
    expect(o.plan).toMatch(/\*--no-backup\*: these volumes are \*NOT backed up\*/);
    const before = readdirSync(backupDir).length;
    await click(o, o.planTs, BOB, APPROVE_ACTION_ID, o.id);
    expect(await volumeExists(engine, nb)).toBe(false);
    expect(readdirSync(backupDir).length).toBe(before);
    const r = (await stored((s) => s.getRequest(o.id))) as DeletionRequest;
    expect(r.status).toBe("done");
    expect(r.outcomes).toEqual([{ name: nb, result: "deleted", freedBytes: expect.any(Number) }]);
    const requested = (await stored((s) => s.listAudit(o.id))).find((a) => a.action === "requested");
    expect(requested?.detail).toMatchObject({
      backup: "skipped",
      noBackup: true,
      command: `rm h ${nb} --no-backup`,
    });
  }, 120_000);

  it("the CLI: rm --yes backs up first and prints each backup; backup.maxBytes blocks a bigger volume (no time bound on the CLI)", async () => {
    const [small, large] = [vname("cli-small"), vname("cli-large")];
    await createVolume(engine, small);
    await createVolume(engine, large);
    await busybox(engine, large, "dd if=/dev/urandom of=/data/big bs=1k count=300 2>/dev/null");
    const file = writeConfig([engineHost("h", engine, testbed)], {
      backup: { beforeDelete: "required", maxBytes: 100_000 },
    });
    const cliEnv = { DVOL_STATE_DIR: stateDir, DVOL_BACKUP_DIR: backupDir, USER: "tester" };
    const plan = await runCli(["--config", file, "rm", "h", small, large], { env: cliEnv });
    expect(plan.stdout).toMatch(new RegExp(`${small} .* backed up first`));
    expect(plan.stdout).toMatch(
      new RegExp(`${large} +too-big +3\\d\\d kB is over backup.maxBytes \\(100 kB\\)`),
    );

    const ran = await runCli(["--config", file, "--json", "rm", "h", small, large, "--yes"], { env: cliEnv });
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    const json = ran.json as {
      backup: string;
      outcomes: { name: string; result: string; backupId?: string }[];
    };
    expect(json.backup).toBe("first");
    expect(json.outcomes).toEqual([
      {
        name: small,
        result: "deleted",
        freedBytes: expect.any(Number),
        backupId: expect.stringMatching(/^bk-/),
      },
    ]);
    expect(await volumeExists(engine, small)).toBe(false);
    expect(await volumeExists(engine, large)).toBe(true);
    const id = json.outcomes[0]?.backupId ?? "";
    const m = JSON.parse(readFileSync(join(backupDir, `${id}.json`), "utf8")) as BackupManifest;
    expect(m).toMatchObject({ status: "complete", who: "cli:tester", volume: { name: small } });
  }, 120_000);
});

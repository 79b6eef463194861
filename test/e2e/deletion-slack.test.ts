// Deletion requests end to end through the Lambda handlers (SPEC §4, §6): handlers/slack.ts is
// invoked with signed API Gateway v2 events (slash commands and block_actions clicks); its
// dispatcher invokes handlers/worker.ts's handler as Lambda's asynchronous invoke would (on a copy
// that went through JSON); the worker talks to the REAL engines of the test bed over mutual TLS,
// keeps requests in the REAL store the environment names (the embedded SQLite file in a temp
// DVOL_STATE_DIR, and DynamoDB on dynalite with DVOL_TABLE), and posts to the Slack stand-in.
//
// The volumes and containers here are this file's own (unique names, made through the engine's
// unix socket and removed afterwards): the shared scenario is never touched. DELETEs that reach
// the engine are counted with its events API (volume `destroy` events).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSlackHandler } from "../../handlers/slack.js";
import { createWorkerHandler } from "../../handlers/worker.js";
import type { SlackMessage } from "../../src/blocks/message.js";
import {
  APPROVE_ACTION_ID,
  CANCEL_ACTION_ID,
  REJECT_ACTION_ID,
  RESUME_ACTION_ID,
} from "../../src/commands/delete/slack-actions.js";
import type { ConnectionFactory } from "../../src/docker/connection.js";
import type { Job } from "../../src/jobs/job.js";
import type { WorkerOutcome } from "../../src/jobs/run-request.js";
import { startServer } from "../../src/server.js";
import { openStore } from "../../src/store/open.js";
import type { DeletionRequest } from "../../src/store/records.js";
import { volumeExists } from "../support/backup-trees.js";
import { engineHost, writeConfig } from "../support/dvol.js";
import { type Dynalite, startDynalite } from "../support/dynalite.js";
import { type DestroyRecorder, recordDestroys } from "../support/engine-events.js";
import { BUSYBOX_IMAGE, type EngineInfo, socketRequest } from "../support/engines.js";
import { FakeEngine } from "../support/fake-engine.js";
import { lambdaContext } from "../support/lambda-context.js";
import { expectWithinSlackLimits } from "../support/slack-limits.js";
import {
  blockActionsBody,
  signedBlockActions,
  signedHttpRequest,
  signedSlashCommand,
  slashCommandBody,
  TEST_SIGNING_SECRET,
} from "../support/slack-requests.js";
import { type SlackStandin, startSlackStandin } from "../support/slack-standin.js";
import { type DelayProxy, startDelayProxy } from "../support/tcp-proxy.js";
import { requireTestbed } from "../support/testbed-types.js";

const testbed = requireTestbed();
const CHANNEL = "C0OPS0001";
const OTHER_CHANNEL = "C0ELSEWH1";
const BOT_TOKEN = "xoxb-dvol-deletion-e2e";
const ALICE = "U0ALICE01"; // requester
const BOB = "U0BOB0001"; // approver by user ID
const CAROL = "U0CAROL01"; // approver through the user group S0APPROVE
const EVE = "U0EVE0001"; // neither
const APPROVERS_GROUP = "S0APPROVE";
const ACK_BUDGET_MS = 3000;

const run = randomBytes(3).toString("hex");
/** A unique name for one of this file's volumes. */
const vname = (what: string) => `dse2e-${run}-${what}`;

// ------------------------------------------------------------------------------------------------
// the engines: this file's own volumes and containers, through the unix socket

const made = new Map<EngineInfo, { volumes: Set<string>; containers: Set<string> }>();
function mine(engine: EngineInfo) {
  let m = made.get(engine);
  if (!m) {
    m = { volumes: new Set(), containers: new Set() };
    made.set(engine, m);
  }
  return m;
}

async function createVolume(engine: EngineInfo, name: string, labels: Record<string, string> = {}) {
  mine(engine).volumes.add(name);
  const res = await socketRequest(engine.socketPath, "POST", "/volumes/create", 10_000, {
    Name: name,
    Driver: "local",
    Labels: labels,
  });
  if (res.status !== 201) throw new Error(`creating ${name}: HTTP ${res.status} ${res.body}`);
}

/** A container that is created, never started, and mounts `volume`: the volume is in use. */
async function useVolume(engine: EngineInfo, volume: string): Promise<string> {
  const name = `${volume}-user`;
  mine(engine).containers.add(name);
  const res = await socketRequest(
    engine.socketPath,
    "POST",
    `/containers/create?name=${encodeURIComponent(name)}`,
    10_000,
    { Image: BUSYBOX_IMAGE, Cmd: ["true"], HostConfig: { Binds: [`${volume}:/data`], NetworkMode: "none" } },
  );
  if (res.status !== 201) throw new Error(`creating container ${name}: HTTP ${res.status} ${res.body}`);
  return name;
}

/** The engines' destroy events, recorded live for the whole file (test/support/engine-events.ts). */
const recorders = new Map<string, DestroyRecorder>();
beforeAll(async () => {
  for (const e of Object.values(testbed.engines)) recorders.set(e.socketPath, await recordDestroys(e));
});
afterAll(() => {
  for (const r of recorders.values()) r.close();
});

/** How many `destroy` events each of `names` had on the engine since `sinceMs`: one per DELETE that removed it. */
async function destroyEvents(engine: EngineInfo, sinceMs: number, names: readonly string[]) {
  const recorder = recorders.get(engine.socketPath);
  if (!recorder) throw new Error(`no destroy events recorded for ${engine.kind} (${engine.socketPath})`);
  return recorder.counts(sinceMs, names);
}

afterAll(async () => {
  for (const [engine, m] of made) {
    for (const c of m.containers)
      await socketRequest(engine.socketPath, "DELETE", `/containers/${c}?force=1`);
    for (const v of m.volumes) await socketRequest(engine.socketPath, "DELETE", `/volumes/${v}`);
  }
});

// ------------------------------------------------------------------------------------------------
// Slack, the handlers and the store

let standin: SlackStandin;

beforeAll(async () => {
  standin = await startSlackStandin({ token: BOT_TOKEN, usergroups: { [APPROVERS_GROUP]: [CAROL] } });
});
afterAll(async () => {
  await standin.close();
});
afterEach(() => {
  // Every message the bot posted, updated or answered with is within Slack's limits.
  for (const c of [...standin.callsTo("chat.postMessage"), ...standin.callsTo("chat.update")]) {
    expectWithinSlackLimits({
      text: String(c.args.text ?? ""),
      blocks: (c.args.blocks ?? []) as SlackMessage["blocks"],
    });
  }
  for (const r of standin.responses) expectWithinSlackLimits(r.json as unknown as SlackMessage);
  standin.reset();
});

const configFile = (engine: EngineInfo) =>
  writeConfig([engineHost("h", engine, testbed)], {
    access: {
      channels: [CHANNEL],
      viewers: ["*"],
      requesters: ["*"],
      approvers: [BOB, APPROVERS_GROUP],
      allowSelfApproval: false,
    },
    protect: { names: ["*-keepme*"], labels: ["dvol.protect=true"] },
    requests: { ttlHours: 24 },
  });

/**
 * The two Lambdas: the Slack handler, whose dispatcher invokes the worker as the async invoke
 * would. With `budgetMs`, each worker invocation gets a Lambda context whose time left reaches
 * the worker's stop margin (the host's deadline and WORKER_MARGIN_SECONDS) `budgetMs` after it
 * starts: a short function timeout, without waiting for one; its hand-overs invoke the worker
 * again the same way, and `continued` counts them.
 */
function lambdas(
  env: NodeJS.ProcessEnv,
  connect?: ConnectionFactory,
  now?: () => Date,
  opts: { budgetMs?: number; stopMarginMs?: number } = {},
) {
  const runs: Promise<WorkerOutcome>[] = [];
  const jobs: Job[] = [];
  const continued: Job[] = [];
  const invoke = (job: Job) => {
    const copy = JSON.parse(JSON.stringify(job)) as Job;
    if (opts.budgetMs === undefined) return worker(copy);
    const end = performance.now() + (opts.stopMarginMs ?? 0) + opts.budgetMs;
    return worker(copy, lambdaContext({ remainingMs: () => end - performance.now() }));
  };
  const worker = createWorkerHandler({
    env,
    ...(connect ? { connect } : {}),
    ...(now ? { now } : {}),
    continueWith: async (job) => {
      continued.push(job);
      runs.push(invoke(job));
    },
  });
  const slack = createSlackHandler({
    env,
    dispatch: async (job) => {
      jobs.push(job);
      runs.push(invoke(job));
    },
  });
  return {
    slack,
    jobs,
    continued,
    /** Waits for every job handed over so far, and for those they hand over in turn. */
    settle: async () => {
      const out: WorkerOutcome[] = [];
      while (runs.length > 0) out.push(...(await Promise.all(runs.splice(0))));
      return out;
    },
  };
}

type Lambdas = ReturnType<typeof lambdas>;

interface Opened {
  id: string;
  parentTs: string;
  planTs: string;
  plan: SlackMessage;
}

const blocksText = (blocks: unknown) =>
  JSON.stringify(blocks ?? [])
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

/** `/dvol <text>` typed by `user`; waits for the worker and returns the request it opened. */
async function request(l: Lambdas, text: string, user = ALICE): Promise<Opened> {
  const t0 = performance.now();
  const res = (await l.slack(
    signedSlashCommand({ text, channel_id: CHANNEL, user_id: user, response_url: standin.responseUrl() }),
  )) as APIGatewayProxyStructuredResultV2;
  expect(performance.now() - t0).toBeLessThan(ACK_BUDGET_MS);
  expect(res.statusCode).toBe(200);
  const ack = JSON.parse(res.body ?? "{}") as SlackMessage & { response_type: string };
  expectWithinSlackLimits(ack);
  expect(ack.response_type).toBe("ephemeral");
  expect(ack.text).toContain("opening a deletion request");
  const [outcome] = await l.settle();
  expect(outcome, JSON.stringify(outcome)).toMatchObject({ status: "opened" });
  const opened = outcome as Extract<WorkerOutcome, { status: "opened" }>;
  const parent = standin.message(CHANNEL, opened.parent.ts);
  expect(parent?.threadTs).toBeNull();
  const [plan] = standin.thread(CHANNEL, opened.parent.ts);
  expect(plan, "the plan in the parent's thread").toBeDefined();
  const buttons = JSON.stringify(plan?.blocks);
  const id = /"value":"(DR-[0-9A-Z]{8})"/.exec(buttons)?.[1] ?? "";
  expect(id).toBe(opened.request.id);
  return {
    id,
    parentTs: opened.parent.ts,
    planTs: plan?.ts ?? "",
    plan: { text: plan?.text ?? "", blocks: (plan?.blocks ?? []) as SlackMessage["blocks"] },
  };
}

/**
 * A click on the plan's Approve or Reject by `user` (or, with `on`, another button or from another
 * message, thread or channel); returns the response_url id it answers through.
 */
async function click(
  l: Lambdas,
  o: Opened,
  user: string,
  action: "approve" | "reject" | "resume" | "cancel",
  replay?: string,
  on: { value?: string; channel?: string; messageTs?: string; threadTs?: string } = {},
) {
  const rid = `${action}-${user}-${randomBytes(3).toString("hex")}`;
  const res = (await l.slack(
    signedBlockActions({
      actionId: {
        approve: APPROVE_ACTION_ID,
        reject: REJECT_ACTION_ID,
        resume: RESUME_ACTION_ID,
        cancel: CANCEL_ACTION_ID,
      }[action],
      value: on.value ?? o.id,
      channel_id: on.channel ?? CHANNEL,
      user_id: user,
      response_url: standin.responseUrl(replay ?? rid),
      message_ts: on.messageTs ?? o.planTs,
      thread_ts: on.threadTs ?? o.parentTs,
    }),
  )) as APIGatewayProxyStructuredResultV2;
  expect(res.statusCode).toBe(200);
  expect(res.body ?? "").toBe("");
  return replay ?? rid;
}

const ephemeralTo = (rid: string) => {
  const all = standin.responsesTo(rid);
  expect(all.length, `an answer through response_url ${rid}`).toBeGreaterThan(0);
  const last = all.at(-1)?.json ?? {};
  expect(last.response_type).toBe("ephemeral");
  return blocksText(last.blocks);
};

// ------------------------------------------------------------------------------------------------

type StoreKind = "embedded" | "dynamodb";

describe.each<{ store: StoreKind; engine: "docker28" | "docker20" }>([
  { store: "embedded", engine: "docker28" },
  { store: "dynamodb", engine: "docker20" },
])("deletion requests in Slack, $store store, $engine engine", ({ store, engine: kind }) => {
  const engine = testbed.engines[kind];
  let l: Lambdas;
  let env: NodeJS.ProcessEnv;
  let dynalite: Dynalite | undefined;
  let stateDir: string | undefined;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    env = {
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: standin.apiUrl,
      DVOL_CONFIG: configFile(engine),
    };
    if (store === "embedded") {
      stateDir = mkdtempSync(join(tmpdir(), "dvol-state-"));
      env.DVOL_STATE_DIR = stateDir;
    } else {
      dynalite = await startDynalite();
      env.DVOL_TABLE = await dynalite.createTable();
      env.AWS_ENDPOINT_URL_DYNAMODB = dynalite.endpoint;
      env.AWS_REGION = dynalite.region;
      // The SDK's credential chain reads process.env, as it does in Lambda.
      process.env.AWS_ACCESS_KEY_ID = dynalite.credentials.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = dynalite.credentials.secretAccessKey;
    }
    l = lambdas(env);
  });
  afterAll(async () => {
    for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
    await dynalite?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  /** The request as the store has it (a store of our own on the same file or table). */
  async function stored(id: string): Promise<DeletionRequest | null> {
    const s = await openStore(env);
    try {
      return await s.getRequest(id);
    } finally {
      await s.close();
    }
  }

  it("request → plan in the thread; refusals change nothing; an approver's approval deletes exactly the safe volumes", async () => {
    const t0 = Date.now();
    const [a, b, used, kept, labelled] = [
      vname(`${kind}-a`),
      vname(`${kind}-b`),
      vname(`${kind}-used`),
      vname(`${kind}-keepme`),
      vname(`${kind}-labelled`),
    ];
    await createVolume(engine, a, {
      "com.docker.compose.project": "e2eshop",
      "com.docker.compose.volume": "a",
    });
    await createVolume(engine, b);
    await createVolume(engine, used);
    await createVolume(engine, kept);
    await createVolume(engine, labelled, { "dvol.protect": "true" });
    await useVolume(engine, used);
    const missing = vname(`${kind}-missing`);

    const o = await request(
      l,
      `rm h ${a} ${b} ${used} ${kept} ${labelled} ${missing} --reason "e2e cleanup ✓"`,
    );
    // The parent: who, how many, where; the plan: each volume, the blocked ones with why, buttons.
    const parent = standin.message(CHANNEL, o.parentTs);
    expect(parent?.text).toContain(`Deletion request ${o.id} by <@${ALICE}>: 2 volumes on h`);
    const plan = blocksText(o.plan.blocks);
    expect(plan).toContain(a);
    expect(plan).toContain("e2eshop");
    expect(plan).toContain(`\`${used}\`: in use, used by ${used}-user (created)`);
    expect(plan).toContain(`\`${kept}\`: protected, matches protect rule *-keepme*`);
    expect(plan).toContain(`\`${labelled}\`: protected, has protected label dvol.protect=true`);
    expect(plan).toContain(`\`${missing}\`: missing, no such volume`);
    expect(plan).toContain(APPROVE_ACTION_ID);
    expect(plan).toContain('"confirm"');
    expect(plan).toContain("e2e cleanup ✓");
    expect((await stored(o.id))?.messageTs).toBe(o.parentTs);

    // The requester may not approve their own request; nor may someone who is not an approver.
    const byAlice = await click(l, o, ALICE, "approve");
    const byEve = await click(l, o, EVE, "approve");
    await l.settle();
    expect(ephemeralTo(byAlice)).toContain("You cannot approve");
    expect(ephemeralTo(byAlice)).toContain("four eyes");
    expect(ephemeralTo(byEve)).toContain("You cannot approve");
    expect((await stored(o.id))?.status).toBe("pending");
    for (const v of [a, b]) expect(await volumeExists(engine, v)).toBe(true);
    expect(standin.thread(CHANNEL, o.parentTs)).toHaveLength(1);
    expect(standin.callsTo("chat.update")).toHaveLength(0);

    // An approver (by user ID) approves: the unused volumes go, in-use and protected ones stay.
    await click(l, o, BOB, "approve");
    const [done] = await l.settle();
    expect(done).toMatchObject({ status: "executed" });
    expect(await volumeExists(engine, a)).toBe(false);
    expect(await volumeExists(engine, b)).toBe(false);
    for (const v of [used, kept, labelled]) expect(await volumeExists(engine, v)).toBe(true);
    const thread = standin.thread(CHANNEL, o.parentTs);
    const outcome = blocksText(thread.at(-1)?.blocks);
    expect(outcome).toContain(`\`${a}\` deleted`);
    expect(outcome).toContain(`\`${b}\` deleted`);
    expect(outcome).toMatch(/2 deleted, 0 skipped, 0 failed; \*[\d.]+ \w?B freed\*/);
    // The parent shows the final state; the plan has lost its buttons.
    expect(standin.message(CHANNEL, o.parentTs)?.updates).toBeGreaterThan(0);
    expect(blocksText(standin.message(CHANNEL, o.parentTs)?.blocks)).toContain(
      `*Done*: approved by <@${BOB}>`,
    );
    expect(blocksText(standin.message(CHANNEL, o.planTs)?.blocks)).not.toContain(APPROVE_ACTION_ID);
    expect((await stored(o.id))?.status).toBe("done");

    // A later click on the decided request says so; nothing more is deleted or posted.
    const late = await click(l, o, CAROL, "approve");
    const lateReject = await click(l, o, ALICE, "reject");
    await l.settle();
    expect(ephemeralTo(late)).toContain("already decided");
    expect(ephemeralTo(lateReject)).toContain("already decided");
    expect(standin.thread(CHANNEL, o.parentTs)).toHaveLength(thread.length);
    expect(await destroyEvents(engine, t0, [a, b, used, kept, labelled])).toEqual({
      [a]: 1,
      [b]: 1,
      [used]: 0,
      [kept]: 0,
      [labelled]: 0,
    });
  });

  it("changes between request and approval: a volume now in use and one re-created are not deleted", async () => {
    const t0 = Date.now();
    const [taken, recreated, fine] = [
      vname(`${kind}-taken`),
      vname(`${kind}-recreated`),
      vname(`${kind}-fine`),
    ];
    for (const v of [taken, recreated, fine]) await createVolume(engine, v);
    const o = await request(l, `rm h ${taken} ${recreated} ${fine}`);
    // After the plan: a container starts using one volume; another is deleted and re-created
    // under the same name (CreatedAt has one-second resolution: wait for the next second).
    await useVolume(engine, taken);
    await socketRequest(engine.socketPath, "DELETE", `/volumes/${recreated}`);
    await new Promise((r) => setTimeout(r, 1100));
    await createVolume(engine, recreated);
    const sinceRecreate = Date.now();

    await click(l, o, BOB, "approve");
    const [done] = await l.settle();
    expect(done).toMatchObject({ status: "executed" });
    const outcome = blocksText(standin.thread(CHANNEL, o.parentTs).at(-1)?.blocks);
    expect(outcome).toContain(`\`${fine}\` deleted`);
    expect(outcome).toMatch(new RegExp(`\`${taken}\` skipped: in use`));
    expect(outcome).toMatch(new RegExp(`\`${recreated}\` skipped: not the planned volume`));
    expect(outcome).toContain("1 deleted, 2 skipped, 0 failed");
    expect(await volumeExists(engine, taken)).toBe(true);
    expect(await volumeExists(engine, recreated)).toBe(true);
    expect(await volumeExists(engine, fine)).toBe(false);
    expect(await destroyEvents(engine, t0, [taken, fine])).toEqual({ [taken]: 0, [fine]: 1 });
    expect(await destroyEvents(engine, sinceRecreate + 1000, [recreated])).toEqual({ [recreated]: 0 });
  });

  it("a click after the request expired (a worker whose clock is 25 hours ahead) says so, and deletes nothing", async () => {
    const v = vname(`${kind}-expires`);
    await createVolume(engine, v);
    const o = await request(l, `rm h ${v}`);
    const later = lambdas(env, undefined, () => new Date(Date.now() + 25 * 3_600_000));
    const rid = await click(later, o, BOB, "approve");
    const [expired] = await later.settle();
    expect(expired).toMatchObject({ status: "expired" });
    expect(ephemeralTo(rid)).toContain("*Expired*");
    expect(blocksText(standin.message(CHANNEL, o.parentTs)?.blocks)).toContain("*Expired*");
    expect(blocksText(standin.message(CHANNEL, o.planTs)?.blocks)).not.toContain(APPROVE_ACTION_ID);
    expect(await volumeExists(engine, v)).toBe(true);
    expect((await stored(o.id))?.status).toBe("expired");
  });

  it("an approver through a user group (usergroups.users.list) may approve", async () => {
    const v = vname(`${kind}-group`);
    await createVolume(engine, v);
    const o = await request(l, `rm h ${v}`);
    await click(l, o, CAROL, "approve");
    const [done] = await l.settle();
    expect(done).toMatchObject({ status: "executed" });
    expect(await volumeExists(engine, v)).toBe(false);
    const lookups = standin.callsTo("usergroups.users.list");
    expect(lookups.length).toBeGreaterThan(0);
    expect(lookups[0]?.args.usergroup).toBe(APPROVERS_GROUP);
    expect(lookups[0]?.token).toBe(BOT_TOKEN);
    expect(blocksText(standin.message(CHANNEL, o.parentTs)?.blocks)).toContain(`approved by <@${CAROL}>`);
  });

  it("reject: said in the thread, the parent updated, nothing deleted; a later approval says it was decided", async () => {
    const v = vname(`${kind}-rejected`);
    await createVolume(engine, v);
    const o = await request(l, `rm h ${v}`);
    await click(l, o, ALICE, "reject");
    const [rejected] = await l.settle();
    expect(rejected).toMatchObject({ status: "rejected" });
    expect(blocksText(standin.thread(CHANNEL, o.parentTs).at(-1)?.blocks)).toContain(
      `*rejected* by <@${ALICE}>`,
    );
    expect(blocksText(standin.message(CHANNEL, o.parentTs)?.blocks)).toContain("*Rejected*");
    const late = await click(l, o, BOB, "approve");
    await l.settle();
    expect(ephemeralTo(late)).toContain("already decided");
    expect(await volumeExists(engine, v)).toBe(true);
    expect((await stored(o.id))?.status).toBe("rejected");
  });

  it("prune; two approvals at once and the same approval replayed after completion: one DELETE per volume", async () => {
    const t0 = Date.now();
    const label = { "dse2e.dup": `${run}-${kind}` };
    const names = Array.from({ length: 6 }, (_, i) => vname(`${kind}-dup${i}`));
    for (const n of names) await createVolume(engine, n, label);
    const used = vname(`${kind}-dup-used`);
    const kept = vname(`${kind}-dup-marked`);
    await createVolume(engine, used, label);
    await useVolume(engine, used);
    await createVolume(engine, kept, { ...label, "dvol.protect": "true" });

    // prune takes the dangling volumes that match, as they are now: the used one is no candidate,
    // the protected one is listed as blocked.
    const r = await request(l, `prune h --label dse2e.dup=${run}-${kind}`);
    const plan = blocksText(r.plan.blocks);
    for (const n of names) expect(plan).toContain(n);
    expect(plan).not.toContain(used);
    expect(plan).toContain(`\`${kept}\`: protected`);

    // The exact same payload twice at once, and a second approver at the same time.
    const replayId = `replay-${run}-${kind}`;
    const event = signedBlockActions({
      actionId: APPROVE_ACTION_ID,
      value: r.id,
      channel_id: CHANNEL,
      user_id: BOB,
      response_url: standin.responseUrl(replayId),
      message_ts: r.planTs,
    });
    const acks = await Promise.all([l.slack(event), l.slack(event), click(l, r, CAROL, "approve")]);
    expect((acks[0] as APIGatewayProxyStructuredResultV2).statusCode).toBe(200);
    const outcomes = await l.settle();
    expect(outcomes.filter((x) => x.status === "executed")).toHaveLength(1);
    for (const n of names) expect(await volumeExists(engine, n)).toBe(false);

    // The same approval payload replayed after completion (a Slack or Lambda duplicate).
    const again = signedBlockActions({
      actionId: APPROVE_ACTION_ID,
      value: r.id,
      channel_id: CHANNEL,
      user_id: BOB,
      response_url: standin.responseUrl(replayId),
      message_ts: r.planTs,
    });
    await l.slack(again);
    const [replayed] = await l.settle();
    expect(replayed?.status).toBe("decided");
    expect(ephemeralTo(replayId)).toContain("already decided");

    const outcomesInThread = standin
      .thread(CHANNEL, r.parentTs)
      .filter((m) => m.text.includes(`${r.id} executed`));
    expect(outcomesInThread).toHaveLength(1);
    expect(await volumeExists(engine, used)).toBe(true);
    expect(await volumeExists(engine, kept)).toBe(true);
    const counts = await destroyEvents(engine, t0, [...names, used, kept]);
    expect(counts).toEqual({ ...Object.fromEntries(names.map((n) => [n, 1])), [used]: 0, [kept]: 0 });
  });
});

// ------------------------------------------------------------------------------------------------
// 1,200 dangling volumes. A FAKE engine here, on purpose (as in slack-lambda.test.ts): the point is
// the size of what is posted, and 1,200 real volumes would take minutes to make for nothing more.

describe("a prune of 1,200 dangling volumes, through the handlers", () => {
  it("the plan is a summary within Slack's limits with the whole plan as a file in the thread; one request holds at most 1,000", async () => {
    const fake = new FakeEngine();
    for (let i = 0; i < 1200; i++) {
      fake.addVolume({ name: `bulk-${String(i).padStart(4, "0")}`, sizeBytes: (i + 1) * 1000 });
    }
    const stateDir = mkdtempSync(join(tmpdir(), "dvol-state-"));
    try {
      const env = {
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: standin.apiUrl,
        DVOL_STATE_DIR: stateDir,
        DVOL_CONFIG: writeConfig([{ name: "big", socket: "/nonexistent/docker.sock" }], {
          access: { channels: [CHANNEL], approvers: [BOB] },
        }),
      };
      const l = lambdas(env, fake.factory());
      const res = (await l.slack(
        signedSlashCommand({ text: "prune big", channel_id: CHANNEL, user_id: ALICE }),
      )) as APIGatewayProxyStructuredResultV2;
      expect(res.statusCode).toBe(200);
      const [opened] = await l.settle();
      expect(opened).toMatchObject({ status: "opened" });
      const parentTs = (opened as Extract<WorkerOutcome, { status: "opened" }>).parent.ts;
      expect(standin.message(CHANNEL, parentTs)?.text).toContain("1,000 volumes on big");
      const [plan] = standin.thread(CHANNEL, parentTs);
      const text = blocksText(plan?.blocks);
      expect(text).toContain("attached as dvol-DR-");
      expect(text).toContain(APPROVE_ACTION_ID);
      expect(text).toContain("200 more matching volumes were left out");
      // The file: uploaded and shared in the request's thread, with every planned volume.
      const uploads = [...standin.uploads.values()];
      expect(uploads).toHaveLength(1);
      expect(uploads[0]?.completed).toMatchObject({ channel_id: CHANNEL, thread_ts: parentTs });
      const content = uploads[0]?.content?.toString("utf8") ?? "";
      for (let i = 0; i < 1000; i++) {
        const name = `bulk-${String(i).padStart(4, "0")}`;
        if (!content.includes(name)) throw new Error(`the plan file lacks ${name}`);
      }
      expect(content).not.toContain("bulk-1000");
      expect(fake.deletes()).toBe(0);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------------------------------------------
// A request's life (SPEC §4.6): the host behind a TCP proxy that can go down or add latency.

describe("a request's life through the handlers: paused, resumed, cancelled, lapsed, handed over", () => {
  const engine = testbed.engines.docker28;
  let proxy: DelayProxy;
  let env: NodeJS.ProcessEnv;
  let stateDir: string;

  beforeAll(async () => {
    const [, port] = /:(\d+)$/.exec(engine.url) ?? [];
    proxy = await startDelayProxy({ targetHost: "127.0.0.1", targetPort: Number(port), delayMs: 15 });
    stateDir = mkdtempSync(join(tmpdir(), "dvol-state-"));
    env = {
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: standin.apiUrl,
      DVOL_STATE_DIR: stateDir,
      DVOL_CONFIG: writeConfig(
        [engineHost("h", engine, testbed, { url: `tcp://127.0.0.1:${proxy.port}`, timeoutSeconds: 5 })],
        {
          // Another channel is allowed too: a request's buttons still count only in its own.
          access: {
            channels: [CHANNEL, OTHER_CHANNEL],
            requesters: ["*"],
            approvers: [BOB],
            allowSelfApproval: false,
          },
          requests: { ttlHours: 24 },
        },
      ),
    };
  });
  afterEach(() => proxy.up());
  afterAll(async () => {
    await proxy.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function stored(id: string) {
    const s = await openStore(env);
    try {
      return { request: await s.getRequest(id), audit: await s.listAudit(id) };
    } finally {
      await s.close();
    }
  }

  async function volumes(what: string, n: number, labels: Record<string, string> = {}) {
    const names = Array.from({ length: n }, (_, i) => vname(`${what}-${String(i).padStart(3, "0")}`));
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(names.slice(i, i + 20).map((v) => createVolume(engine, v, labels)));
    }
    return names;
  }

  async function existing(names: readonly string[]): Promise<string[]> {
    const res = await socketRequest(engine.socketPath, "GET", "/volumes");
    const all = new Set(
      ((JSON.parse(res.body) as { Volumes: { Name: string }[] | null }).Volumes ?? []).map((v) => v.Name),
    );
    return names.filter((n) => all.has(n));
  }

  it("the host goes down mid-execution: paused, said in the thread and the parent; Resume deletes only the rest, each once", async () => {
    const t0 = Date.now();
    const names = await volumes("down", 40);
    const l = lambdas(env);
    const o = await request(l, `rm h ${names.join(" ")}`);
    await click(l, o, BOB, "approve");
    // Cut the host once some volumes are gone and before all of them are.
    for (;;) {
      const left = (await existing(names)).length;
      if (left < names.length - 4) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    proxy.down();
    const [paused] = await l.settle();
    expect(paused).toMatchObject({ status: "paused" });
    const deletedBefore = names.length - (await existing(names)).length;
    expect(deletedBefore).toBeGreaterThan(0);
    expect(deletedBefore).toBeLessThan(names.length);
    const said = blocksText(standin.thread(CHANNEL, o.parentTs).at(-1)?.blocks);
    expect(said).toContain(`${o.id} paused`);
    expect(said).toContain(RESUME_ACTION_ID);
    expect(said).toContain(CANCEL_ACTION_ID);
    expect(blocksText(standin.message(CHANNEL, o.parentTs)?.blocks)).toMatch(
      /\*Paused\*: approved by .* \d+ of 40 deleted; h: /,
    );
    const { request: r } = await stored(o.id);
    expect(r).toMatchObject({ status: "paused", paused: { kind: "unreachable" } });

    // A Resume by someone who is not an approver is refused; then the host returns and an approver resumes.
    const refused = await click(l, o, ALICE, "resume");
    await l.settle();
    expect(ephemeralTo(refused)).toContain("Only an approver may resume");
    proxy.up();
    await click(l, o, BOB, "resume");
    const [resumed] = await l.settle();
    expect(resumed).toMatchObject({ status: "changed" });
    expect(await existing(names)).toEqual([]);
    const done = await stored(o.id);
    expect(done.request?.status).toBe("done");
    expect(done.request?.outcomes.map((x) => x.result)).toEqual(Array(names.length).fill("deleted"));
    expect(new Set(done.request?.outcomes.map((x) => x.name)).size).toBe(names.length);
    // The engine publishes its events a moment after the DELETE answers: ask until all are in.
    let events = await destroyEvents(engine, t0, names);
    for (let i = 0; i < 20 && Object.values(events).some((n) => n === 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
      events = await destroyEvents(engine, t0, names);
    }
    expect(Object.values(events)).toEqual(Array(names.length).fill(1));
    expect(done.audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(["paused", "resumed", "executed"]),
    );
    expect(blocksText(standin.message(CHANNEL, o.parentTs)?.blocks)).not.toContain("Paused");
  });

  it("Cancel instead: nothing more is deleted, and the audit says who cancelled and what had been done", async () => {
    const names = await volumes("cancel", 3);
    const l = lambdas(env);
    const o = await request(l, `rm h ${names.join(" ")}`);
    proxy.down();
    await click(l, o, BOB, "approve");
    const [paused] = await l.settle();
    proxy.up();
    expect(paused).toMatchObject({ status: "paused" });
    await click(l, o, ALICE, "cancel");
    const [cancelled] = await l.settle();
    expect(cancelled).toMatchObject({ status: "changed" });
    expect(await existing(names)).toEqual(names);
    expect(blocksText(standin.thread(CHANNEL, o.parentTs).at(-1)?.blocks)).toContain("cancelled");
    const { request: r, audit } = await stored(o.id);
    expect(r).toMatchObject({ status: "cancelled", closedBy: ALICE });
    expect(audit.find((a) => a.action === "cancelled")).toMatchObject({
      actor: ALICE,
      detail: { done: `0 of ${names.length} deleted` },
    });
    // Cancelled is final: a later Resume says so and deletes nothing.
    const late = await click(l, o, BOB, "resume");
    await l.settle();
    expect(ephemeralTo(late)).toContain("nothing to resume");
    expect(await existing(names)).toEqual(names);
  });

  it("a paused request that lapsed (a worker clock 25 hours ahead) cannot be resumed", async () => {
    const names = await volumes("lapse", 2);
    const l = lambdas(env);
    const o = await request(l, `rm h ${names.join(" ")}`);
    proxy.down();
    await click(l, o, BOB, "approve");
    await l.settle();
    proxy.up();
    const later = lambdas(env, undefined, () => new Date(Date.now() + 25 * 3_600_000));
    const rid = await click(later, o, BOB, "resume");
    await later.settle();
    expect(ephemeralTo(rid)).toContain("has lapsed");
    expect(await existing(names)).toEqual(names);
    expect((await stored(o.id)).request?.status).toBe("lapsed");
  });

  it("clicks that do not belong to the request are refused, audited, and delete nothing", async () => {
    const a = await volumes("misA", 1);
    const b = await volumes("misB", 1);
    const l = lambdas(env);
    const oa = await request(l, `rm h ${a.join(" ")}`);
    const ob = await request(l, `rm h ${b.join(" ")}`);
    const tries = [
      // A's plan, with a button whose value names B.
      { value: ob.id, messageTs: oa.planTs, threadTs: oa.parentTs },
      // B's value, from a message that is not B's (not its plan, not in its thread).
      { messageTs: "1790000099.000100", threadTs: "1790000099.000001" },
      // From another channel (one where dvol is allowed).
      { channel: OTHER_CHANNEL },
    ];
    const said: string[] = [];
    for (const on of tries) {
      const rid = await click(l, ob, BOB, "approve", undefined, on);
      await l.settle();
      said.push(ephemeralTo(rid));
    }
    expect(said[0]).toContain(`does not act on ${ob.id}`);
    expect(said[1]).toContain(`does not act on ${ob.id}`);
    expect(said[2]).toContain(`${ob.id} belongs to another channel`);
    expect(await existing([...a, ...b])).toEqual([...a, ...b]);
    for (const id of [oa.id, ob.id]) expect((await stored(id)).request?.status).toBe("pending");
    const refusals = (await stored(ob.id)).audit.filter((x) => x.action === "refused");
    expect(refusals.map((x) => (x.detail as { reason?: string }).reason)).toEqual(
      expect.arrayContaining(["misdirected", "misdirected"]),
    );
    expect(refusals.length).toBeGreaterThanOrEqual(3);
  });

  it("near the function's deadline the worker hands over: 200 volumes over several invocations, one outcome each", async () => {
    const t0 = Date.now();
    const names = await volumes("handover", 200, { "dvol.e2e": `handover-${run}` });
    // Each invocation may work for 400 ms before it reaches the stop margin (the host's 5 s
    // deadline and the worker's 15 s): a 200-volume execution behind 15 ms of latency needs several.
    const l = lambdas(env, undefined, undefined, { budgetMs: 400, stopMarginMs: 20_000 });
    const o = await request(l, `prune h --label dvol.e2e=handover-${run}`);
    await click(l, o, BOB, "approve");
    const outcomes = await l.settle();
    expect(l.continued.length).toBeGreaterThanOrEqual(2);
    expect(outcomes.at(-1)).toMatchObject({ status: "executed" });
    expect(outcomes.filter((x) => x.status === "continued")).toHaveLength(l.continued.length);
    expect(await existing(names)).toEqual([]);
    const { request: r, audit } = await stored(o.id);
    expect(r?.status).toBe("done");
    expect(r?.outcomes).toHaveLength(200);
    expect(new Set(r?.outcomes.map((x) => x.name))).toEqual(new Set(names));
    expect(Object.values(await destroyEvents(engine, t0, names))).toEqual(Array(200).fill(1));
    expect(audit.filter((x) => x.action === "handover")).toHaveLength(l.continued.length);
    // The thread saw one execution: the plan, then one outcome.
    const thread = standin.thread(CHANNEL, o.parentTs);
    expect(thread.map((m) => blocksText(m.blocks)).filter((t) => t.includes("executed"))).toHaveLength(1);
    expect(thread.map((m) => blocksText(m.blocks)).some((t) => t.includes("paused"))).toBe(false);
  });
});

// ------------------------------------------------------------------------------------------------
// The local server (`npm start`): the same router behind Bolt's HTTPReceiver, jobs in-process, the
// embedded store in DVOL_STATE_DIR.

describe("a deletion request through the local server", () => {
  it("rm → plan in the thread → approval → deleted, with the store opened by the server and closed by stop()", async () => {
    const engine = testbed.engines.docker28;
    const v = vname("local-server");
    const used = vname("local-server-used");
    await createVolume(engine, v);
    await createVolume(engine, used);
    await useVolume(engine, used);
    const stateDir = mkdtempSync(join(tmpdir(), "dvol-state-"));
    const server = await startServer({
      env: {
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: standin.apiUrl,
        DVOL_CONFIG: configFile(engine),
        DVOL_STATE_DIR: stateDir,
      },
      port: 0,
      host: "127.0.0.1",
      logger: { info: () => {}, warn: () => {}, error: (m: string) => console.error(m) },
    });
    const post = async (body: string) => {
      const req = signedHttpRequest(body);
      const res = await fetch(server.url ?? "", { method: "POST", headers: req.headers, body: req.body });
      return { status: res.status, text: await res.text() };
    };
    try {
      const ack = await post(
        slashCommandBody({ text: `rm h ${v} ${used}`, channel_id: CHANNEL, user_id: ALICE }),
      );
      expect(ack.status).toBe(200);
      expect(JSON.parse(ack.text).text).toContain("opening a deletion request");
      await server.jobs.idle();
      // The parent in the channel, and the plan in its thread.
      const roots = [...standin.messages.values()].filter((m) => m.threadTs === null);
      expect(roots).toHaveLength(1);
      const rootTs = roots[0]?.ts ?? "";
      const [plan] = standin.thread(CHANNEL, rootTs);
      const id = /"value":"(DR-[0-9A-Z]{8})"/.exec(JSON.stringify(plan?.blocks))?.[1] ?? "";
      expect(id).toMatch(/^DR-/);
      expect(blocksText(plan?.blocks)).toContain(`\`${used}\`: in use`);

      const rid = `local-${run}`;
      const click = await post(
        blockActionsBody({
          actionId: APPROVE_ACTION_ID,
          value: id,
          channel_id: CHANNEL,
          user_id: BOB,
          response_url: standin.responseUrl(rid),
          message_ts: plan?.ts ?? "",
        }),
      );
      expect(click.status).toBe(200);
      await server.jobs.idle();
      expect(await volumeExists(engine, v)).toBe(false);
      expect(await volumeExists(engine, used)).toBe(true);
      expect(blocksText(standin.thread(CHANNEL, rootTs).at(-1)?.blocks)).toContain(`\`${v}\` deleted`);
      expect(blocksText(standin.message(CHANNEL, rootTs)?.blocks)).toContain("*Done*");
    } finally {
      await server.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

// The daily report end to end (SPEC §5): handlers/report.ts on an engine of this file's own (over
// mutual TLS, so the list is known exactly), with the embedded store and the Slack stand-in; run
// twice for the same date it posts once; its "Request cleanup" click, through handlers/slack.ts
// and handlers/worker.ts, opens a deletion request whose plan is exactly the report's list; clicked
// again while that request is open, it points to it instead of opening a second one.
import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReportHandler } from "../../handlers/report.js";
import { createSlackHandler } from "../../handlers/slack.js";
import { createWorkerHandler } from "../../handlers/worker.js";
import type { SlackMessage } from "../../src/blocks/message.js";
import { CLEANUP_ACTION } from "../../src/commands/report/slack.js";
import type { Job } from "../../src/jobs/job.js";
import type { WorkerOutcome } from "../../src/jobs/run-request.js";
import { engineHost, writeConfig } from "../support/dvol.js";
import { type Engine, socketRequest, startEngine } from "../support/engines.js";
import { expectWithinSlackLimits } from "../support/slack-limits.js";
import { signedBlockActions, TEST_SIGNING_SECRET } from "../support/slack-requests.js";
import { type SlackStandin, startSlackStandin } from "../support/slack-standin.js";
import { requireTestbed } from "../support/testbed-types.js";

const testbed = requireTestbed();
const REPORT_CHANNEL = "C0REPORT1";
const BOT_TOKEN = "xoxb-dvol-report-e2e";
const ALICE = "U0ALICE01";
const CAROL = "U0CAROL01";

let engine: Engine;
let standin: SlackStandin;
let stateDir: string;
let env: NodeJS.ProcessEnv;

async function createVolume(name: string) {
  const res = await socketRequest(engine.socketPath, "POST", "/volumes/create", 10_000, {
    Name: name,
    Driver: "local",
    Labels: { "com.docker.compose.project": "rpe2e" },
  });
  if (res.status !== 201) throw new Error(`creating ${name}: HTTP ${res.status} ${res.body}`);
}

beforeAll(async () => {
  engine = await startEngine({
    kind: "docker28",
    pki: testbed.pki,
    dir: join(testbed.dir, `report-e2e-${process.pid}`),
  });
  standin = await startSlackStandin({ token: BOT_TOKEN });
  stateDir = mkdtempSync(join(tmpdir(), "dvol-report-e2e-"));
  env = {
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: standin.apiUrl,
    DVOL_STATE_DIR: stateDir,
    DVOL_CONFIG: writeConfig([engineHost("h", engine, testbed)], {
      access: { channels: [], viewers: ["*"], requesters: ["*"], approvers: ["U0BOB0001"] },
      report: { channel: REPORT_CHANNEL },
    }),
  };
  await createVolume("rpe2e-a");
  await createVolume("rpe2e-b");
}, 120_000);

afterAll(async () => {
  await standin?.close();
  await engine?.stop();
  await rm(join(testbed.dir, `report-e2e-${process.pid}`), { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
}, 60_000);

describe("the daily report through the Lambda handlers", () => {
  it("posts once per date, and its Request cleanup opens a request for exactly the listed volumes", async () => {
    // Today, not a fixed date: the embedded store expires its memos against the real clock, so a
    // report "posted" on a fixed past date would be forgotten once that date is far enough behind.
    const at = new Date();
    const report = createReportHandler({ env, now: () => at });
    const event = { source: "aws.events", "detail-type": "Scheduled Event", time: at.toISOString() };
    const first = await report(event);
    // A second invocation of the same schedule (a retry, a duplicate delivery), even a new cold start.
    const second = await createReportHandler({ env, now: () => at })(event);
    expect(first.status).toBe("posted");
    expect(second.status).toBe("already-posted");
    const posts = standin.callsTo("chat.postMessage");
    expect(posts).toHaveLength(1);
    expect(posts[0]?.args.channel).toBe(REPORT_CHANNEL);
    const blocks = (posts[0]?.args.blocks ?? []) as SlackMessage["blocks"];
    expectWithinSlackLimits({ text: String(posts[0]?.args.text ?? ""), blocks });
    const text = JSON.stringify(blocks);
    expect(text).toContain("rpe2e-a");
    expect(text).toContain("rpe2e-b");

    const button = blocks
      .flatMap((b) => (b.type === "actions" ? b.elements : []))
      .find((e) => (e as { action_id?: string }).action_id?.startsWith(CLEANUP_ACTION)) as
      | { action_id: string; value: string }
      | undefined;
    if (!button) throw new Error("no Request cleanup button");

    // A volume that dangles after the report is not in the request.
    await createVolume("rpe2e-later");

    const worker = createWorkerHandler({ env });
    const runs: Promise<WorkerOutcome>[] = [];
    const slack = createSlackHandler({
      env,
      dispatch: async (job) => {
        runs.push(worker(JSON.parse(JSON.stringify(job)) as Job));
      },
    });
    const res = (await slack(
      signedBlockActions({
        actionId: button.action_id,
        value: button.value,
        channel_id: REPORT_CHANNEL,
        user_id: ALICE,
        response_url: standin.responseUrl(),
        message_ts: "1790000000.000100",
      }),
    )) as APIGatewayProxyStructuredResultV2;
    expect(res.statusCode).toBe(200);
    const [outcome] = await Promise.all(runs.splice(0));
    if (outcome?.status !== "opened") throw new Error(`not opened: ${JSON.stringify(outcome)}`);
    expect(outcome.request.plan.map((v) => v.name).sort()).toEqual(["rpe2e-a", "rpe2e-b"]);
    expect(outcome.request.requester).toBe(ALICE);
    expect(outcome.request.channel).toBe(REPORT_CHANNEL);
    const parent = standin.message(REPORT_CHANNEL, outcome.parent.ts);
    expect(parent).toBeDefined();

    // Clicked again (by someone else) while that request is open: no second request; the person
    // who clicked is pointed to the open one, only they see it.
    const postsBefore = standin.callsTo("chat.postMessage").length;
    const again = (await slack(
      signedBlockActions({
        actionId: button.action_id,
        value: button.value,
        channel_id: REPORT_CHANNEL,
        user_id: CAROL,
        response_url: standin.responseUrl("cleanup-again"),
        message_ts: "1790000000.000100",
      }),
    )) as APIGatewayProxyStructuredResultV2;
    expect(again.statusCode).toBe(200);
    const [secondClick] = await Promise.all(runs.splice(0));
    expect(secondClick).toMatchObject({ status: "already-open", told: true });
    expect(standin.callsTo("chat.postMessage")).toHaveLength(postsBefore);
    const reply = standin.responsesTo("cleanup-again").at(-1)?.json ?? {};
    expect(reply.response_type).toBe("ephemeral");
    expect(JSON.stringify(reply.blocks)).toContain(
      `*${outcome.request.id}* is already open for this cleanup of h (requested by <@${ALICE}>)`,
    );
    expect(JSON.stringify(reply.blocks)).toContain(`its thread in <#${REPORT_CHANNEL}>`);
  }, 60_000);
});

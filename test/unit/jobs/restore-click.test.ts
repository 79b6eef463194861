// A Restore click in the worker (src/jobs/restore-click.ts), on the paths that need no engine:
// refusals (not a requester, another channel, not the request's thread, a backup that is not the
// request's) change nothing and are told to the person who clicked; a restore already done (the
// store's memo) is told as done. test/e2e/deletion-backup.test.ts restores for real.
import { describe, expect, it } from "vitest";
import type { SlackMessage } from "../../../src/blocks/message.js";
import type { Config } from "../../../src/config/types.js";
import type { RestoreJob } from "../../../src/jobs/job.js";
import type { RequestJobDeps } from "../../../src/jobs/request-common.js";
import { runRestoreClick } from "../../../src/jobs/restore-click.js";
import type { SlackThreadOutbox } from "../../../src/slack/post.js";
import { MemoryStore } from "../../../src/store/memory.js";
import { FakeEngine, fakeConfig } from "../../support/fake-engine.js";
import { decided } from "../../support/requests.js";

const NOW = new Date("2026-11-29T15:00:00.000Z");
const BK = "bk-20261129-143000-0a1b2c3d";
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

async function setup(config: Config = fakeConfig({ access: { requesters: ["U0REQUEST"] } })) {
  const store = new MemoryStore({ now: () => NOW.getTime() });
  const r = decided({
    messageTs: "1790000000.000100",
    planTs: "1790000000.000101",
    backup: "first",
    outcomes: [{ name: "a", result: "deleted", freedBytes: 2_600_000, backupId: BK }],
  });
  await store.createRequest(r);
  const told: SlackMessage[] = [];
  const thread: SlackMessage[] = [];
  const slack: SlackThreadOutbox = {
    post: async () => ({ channel: "C0OPS0001", ts: "1", fileId: null }),
    postInThread: async (_c, _t, msg) => {
      thread.push(msg);
      return { channel: "C0OPS0001", ts: "2", fileId: null };
    },
    update: async () => {},
    respond: async (_u, msg) => {
      told.push(msg);
    },
    usergroupMembers: async () => [],
  };
  const engine = new FakeEngine();
  const deps: RequestJobDeps = {
    config: async () => config,
    connect: () => engine.factory(),
    slack,
    store: async () => store,
    now: () => NOW,
    logger: quiet,
  };
  const job = (over: Partial<RestoreJob> = {}): RestoreJob => ({
    kind: "restore",
    requestId: r.id,
    backupId: BK,
    user: "U0REQUEST",
    channel: "C0OPS0001",
    messageTs: "1790000000.000300",
    threadTs: "1790000000.000100",
    responseUrl: "https://hooks.slack.com/actions/T1/x",
    text: `restore ${BK}`,
    acceptedAt: NOW.toISOString(),
    ...over,
  });
  const toldText = () => JSON.stringify(told.at(-1)?.blocks ?? []);
  return { store, r, deps, job, told, thread, engine, toldText };
}

describe("a Restore click", () => {
  it("by someone who is not a requester: refused, told why, audited; nothing is asked of the host", async () => {
    const s = await setup();
    const out = await runRestoreClick(s.job({ user: "U0EVE0001" }), s.deps);
    expect(out).toMatchObject({ status: "refused", told: true });
    expect(s.toldText()).toContain("You are not one of dvol's requesters, who may restore backups.");
    expect(s.engine.calls).toEqual([]);
    const audit = await s.store.listAudit(s.r.id);
    expect(audit.at(-1)).toMatchObject({
      action: "refused",
      actor: "U0EVE0001",
      detail: { tried: "restore" },
    });
  });

  it("from another channel, or from outside the request's thread: refused", async () => {
    const s = await setup();
    expect(await runRestoreClick(s.job({ channel: "C0ELSEWH1" }), s.deps)).toMatchObject({
      status: "refused",
    });
    expect(s.toldText()).toContain("in another channel");
    expect(await runRestoreClick(s.job({ threadTs: "1790000000.999999" }), s.deps)).toMatchObject({
      status: "refused",
    });
    expect(s.toldText()).toContain("not clicked in the request's own thread");
    expect(s.engine.calls).toEqual([]);
  });

  it("naming a backup that is not one of the request's: nothing restored", async () => {
    const s = await setup();
    const out = await runRestoreClick(s.job({ backupId: "bk-20261129-143000-ffffffff" }), s.deps);
    expect(out).toMatchObject({ status: "not-found" });
    expect(s.toldText()).toContain("is not the backup of a volume");
  });

  it("after a restore: told it is done already, and nothing runs again", async () => {
    const s = await setup();
    await s.store.putMemo(
      `restored#${BK}`,
      JSON.stringify({ volume: "a", by: "U0REQUEST", at: "2026-11-29T14:50:00.000Z" }),
      null,
    );
    const out = await runRestoreClick(s.job(), s.deps);
    expect(out).toMatchObject({ status: "done-already" });
    expect(s.toldText()).toContain("was already restored");
    expect(s.thread).toEqual([]);
    expect(s.engine.calls).toEqual([]);
  });
});

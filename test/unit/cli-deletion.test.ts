// Unit tests of rm, prune and requests on the CLI (src/cli.ts, src/cli-deletion.ts, the text and
// JSON renderings) with a fake engine and an in-memory store: no network, no Docker.
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { StopRequest } from "../../src/approvals/execute.js";
import { mayRequest } from "../../src/approvals/policy.js";
import { main } from "../../src/cli.js";
import { cliDeletion, cliExecutorGone, cliGroups } from "../../src/cli-deletion.js";
import { stopOnSignals } from "../../src/cli-signals.js";
import type { DeletionResult } from "../../src/commands/delete/run.js";
import type { RequestsResult } from "../../src/commands/requests/run.js";
import { describeError, errorClass, GroupLookupError } from "../../src/errors.js";
import { createMemoryState, type MemoryState, MemoryStore } from "../../src/store/memory.js";
import { writeConfig } from "../support/dvol.js";
import { FakeEngine, fakeConfig } from "../support/fake-engine.js";

const config = writeConfig([{ name: "host1", socket: "/nonexistent/docker.sock" }], {
  protect: { names: ["*postgres*"], labels: ["dvol.protect=true"] },
});

function engine(): FakeEngine {
  return new FakeEngine()
    .addVolume({ name: "old-cache", sizeBytes: 5_200_000, createdAt: "2026-11-01T10:00:00Z" })
    .addVolume({ name: "tmp-data", sizeBytes: 1_000, createdAt: "2026-11-02T10:00:00Z" })
    .addVolume({ name: "app_postgres" })
    .addVolume({ name: "web-data" })
    .addContainer({ name: "web-1", state: "running", volumes: ["web-data"] });
}

/**
 * Runs the CLI once. Each run opens (and closes) its own store over `state`, the way two dvol
 * processes share one table; a test reads what was written with another store over `state`.
 */
async function cli(
  args: string[],
  fake: FakeEngine,
  state: MemoryState = createMemoryState(),
  stopRequested?: () => StopRequest | null,
) {
  let stdout = "";
  let stderr = "";
  let opened = 0;
  const code = await main(["--config", config, ...args], {
    stdout: (t) => {
      stdout += `${t}\n`;
    },
    stderr: (t) => {
      stderr += `${t}\n`;
    },
    env: { USER: "alice" },
    cwd: "/",
    stopRequested,
    connect: fake.factory(),
    openStore: async () => {
      opened++;
      return new MemoryStore({ state });
    },
  });
  return { code, stdout, stderr, opened };
}

describe("dvol rm / prune on the CLI", () => {
  it("without --yes prints the plan, deletes nothing and opens no request", async () => {
    const fake = engine();
    const state = createMemoryState();
    const run = await cli(
      ["rm", "host1", "old-cache", "tmp-data", "web-data", "app_postgres", "gone"],
      fake,
      state,
    );
    expect(run.code).toBe(0);
    // The store is read for remembered sizes only (issue 12): no request is in it.
    expect(await new MemoryStore({ state }).listRequests()).toEqual([]);
    expect(fake.deletes()).toBe(0);
    expect(run.stdout).toBe(
      [
        "host1: rm: 2 volumes to delete, 5.2 MB",
        "VOLUME     SIZE    CREATED           PROJECT",
        "old-cache  5.2 MB  2026-11-01 10:00  -",
        "tmp-data   1.0 kB  2026-11-02 10:00  -",
        "Blocked, not part of the request (3):",
        "  app_postgres  protected  matches protect rule *postgres*",
        "  gone          missing    no such volume",
        "  web-data      in-use     used by web-1 (running)",
        "nothing deleted; run again with --yes",
        "",
      ].join("\n"),
    );
  });

  it("with --yes opens, approves as cli:$USER, executes and prints one line per volume", async () => {
    const fake = engine();
    const state = createMemoryState();
    const run = await cli(["--yes", "rm", "host1", "old-cache", "tmp-data", "web-data"], fake, state);
    const store = new MemoryStore({ state });
    expect(run.code).toBe(0);
    expect(fake.deletes()).toBe(2);
    const id = /(DR-[0-9A-Z]{8}): approved by cli:alice, executed:/.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    expect(run.stdout).toMatch(/deleted {2}old-cache {2}5\.2 MB\ndeleted {2}tmp-data {3}1\.0 kB\n/);
    expect(run.stdout).toContain("2 deleted, 0 skipped, 0 failed; 5.2 MB freed");
    const r = await store.getRequest(id as string);
    expect(r).toMatchObject({
      status: "done",
      requester: "cli:alice",
      decidedBy: "cli:alice",
      channel: null,
    });
    expect((await store.listAudit(id as string)).map((a) => a.action)).toEqual([
      "requested",
      "approved",
      "executing",
      "volume",
      "volume",
      "executed",
    ]);
  });

  it("--json gives one document with the plan, the blocked volumes and the outcomes", async () => {
    const fake = engine();
    const run = await cli(["--json", "--yes", "rm", "host1", "old-cache", "web-data"], fake);
    const doc = JSON.parse(run.stdout) as DeletionResult;
    expect(doc).toMatchObject({
      command: "rm",
      host: "host1",
      stage: "executed",
      status: "done",
      requester: "cli:alice",
      plan: [{ name: "old-cache", sizeBytes: 5_200_000, createdAt: "2026-11-01T10:00:00Z", project: null }],
      blocked: [{ name: "web-data", reason: "in-use" }],
      outcomes: [{ name: "old-cache", result: "deleted", freedBytes: 5_200_000 }],
      summary: { deleted: 1, skipped: 0, failed: 0, freedBytes: 5_200_000 },
    });
  });

  it("a failed deletion makes the exit status 1", async () => {
    const fake = engine();
    fake.beforeAnswer = (req) => {
      if (req.method === "DELETE") throw new Error("disk on fire");
    };
    const run = await cli(["--yes", "rm", "host1", "old-cache"], fake);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("failed  old-cache  unexpected error: disk on fire");
  });

  it("nothing to delete: says so, opens nothing, exit 1 (nothing asked for can be deleted)", async () => {
    const fake = engine();
    const state = createMemoryState();
    const run = await cli(["--yes", "rm", "host1", "web-data"], fake, state);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("nothing to delete: no request was opened");
    expect(await new MemoryStore({ state }).listRequests()).toEqual([]);
  });

  it("refuses bad names, too many volumes and unknown hosts before connecting (exit 2)", async () => {
    const fake = engine();
    for (const args of [
      ["rm", "host1", "../x"],
      ["rm", "nohost", "old-cache"],
      ["rm", "host1", ...Array.from({ length: 201 }, (_, i) => `v-${i}`)],
      ["prune", "host1", "--older-than", "7"],
    ]) {
      const run = await cli(["--yes", ...args], fake);
      expect(run.code, args.join(" ").slice(0, 40)).toBe(2);
    }
    expect(fake.calls).toEqual([]);
  });

  it("prune lists its filters and the dangling volumes that match", async () => {
    const fake = engine();
    const run = await cli(["prune", "host1", "--older-than", "1h"], fake);
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")[0]).toBe(
      "host1: prune (dangling, created 1h ago or earlier): 2 volumes to delete, 5.2 MB",
    );
    expect(run.stdout).toContain("  app_postgres  protected  matches protect rule *postgres*");
    expect(run.stdout).not.toContain("web-data");
  });
});

describe("dvol requests", () => {
  it("lists open requests and the last decided ones", async () => {
    const fake = engine();
    const state = createMemoryState();
    await cli(["--yes", "rm", "host1", "tmp-data"], fake, state);
    const run = await cli(["--json", "requests"], fake, state);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as RequestsResult;
    expect(doc.open).toEqual([]);
    expect(doc.decided).toHaveLength(1);
    expect(doc.decided[0]).toMatchObject({
      status: "done",
      host: "host1",
      volumes: 1,
      requester: "cli:alice",
      outcomes: { deleted: 1, skipped: 0, failed: 0, freedBytes: 1000 },
    });
    const text = await cli(["requests"], fake, state);
    expect(text.stdout).toContain("No open deletion request.");
    expect(text.stdout).toMatch(/Last decided \(1\):\nID +HOST +VOLUMES +REQUESTER +DECIDED BY/);
    expect(text.stdout).toContain("done: 1 deleted, 0 skipped, 0 failed, 1.0 kB freed");
  });
});

describe("the CLI's group resolver", () => {
  it("is the one the CLI's deletions carry", () => {
    expect(cliDeletion({ USER: "alice" }, false).resolveGroup).toBe(cliGroups);
  });

  it("refuses with a GroupLookupError: what happened, what to do, exit status 1", async () => {
    const err = await cliGroups("S0OPS").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GroupLookupError);
    const e = err as GroupLookupError;
    expect(e.kind).toBe("group-lookup");
    expect(e.group).toBe("S0OPS");
    expect(e.message).toBe(
      "the members of user group S0OPS could not be looked up: the CLI has no Slack bot token to ask Slack",
    );
    expect(e.hint).toContain("run the command in Slack");
    expect(errorClass(e)).toBe("failure");
    expect(describeError(e)).toBe(`${e.message}\n${e.hint}`);
  });

  it("through the policy: the refusal says why and what to do, not to try again later", async () => {
    const d = await mayRequest(
      fakeConfig({ access: { requesters: ["S0OPS"] } }).access,
      cliDeletion({ USER: "alice" }, true).actor,
      cliGroups,
    );
    expect(d).toMatchObject({ ok: false, reason: "requester" });
    if (!d.ok) {
      expect(d.hint).toContain("S0OPS (the CLI has no Slack bot token to ask Slack) could not be looked up");
      expect(d.hint).toContain("run the command in Slack");
      expect(d.hint).not.toContain("try again later");
      expect(d.hint).toContain("access.requesters");
    }
  });
});

describe("dvol requests resume | cancel, and a CLI stopped mid-way", () => {
  const idOf = (out: string) => /DR-[0-9A-Z]{8}/.exec(out)?.[0] ?? "no id";

  it("a failure pauses the request (exit 1) and says how to resume or cancel; resume finishes it", async () => {
    const fake = engine();
    const state = createMemoryState();
    let broken = true;
    fake.beforeAnswer = (req) => {
      if (broken && req.method === "DELETE" && req.path.endsWith("/tmp-data"))
        throw new Error("disk on fire");
    };
    const run = await cli(["--yes", "rm", "host1", "old-cache", "tmp-data"], fake, state);
    expect(run.code).toBe(1);
    const id = idOf(run.stdout);
    expect(run.stdout).toContain(
      "paused: 1 of 2 deleted; 1 failed (tmp-data: unexpected error: disk on fire)",
    );
    expect(run.stdout).toContain(`resume: dvol requests resume ${id}`);
    expect(run.stdout).toContain(`cancel: dvol requests cancel ${id}`);
    broken = false;
    const resumed = await cli(["requests", "resume", id.toLowerCase()], fake, state);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("deleted  tmp-data");
    expect(fake.deletes("old-cache")).toBe(1);
    expect(fake.deletes("tmp-data")).toBe(2);
    expect(await new MemoryStore({ state }).getRequest(id)).toMatchObject({ status: "done" });
    const again = await cli(["requests", "resume", id], fake, state);
    expect(again.code).toBe(1);
    expect(again.stdout + again.stderr).toContain("nothing to resume");
  });

  it("a stop asked for mid-way (SIGINT) pauses after the deletions in flight; cancel ends it, deleting nothing more", async () => {
    const fake = engine();
    const bulk = Array.from({ length: 12 }, (_, i) => `bulk-${String(i).padStart(2, "0")}`);
    for (const n of bulk) fake.addVolume({ name: n });
    const state = createMemoryState();
    let stop: StopRequest | null = null;
    fake.beforeAnswer = (req) => {
      if (req.method === "DELETE") stop = { kind: "signal", reason: "the dvol process got SIGINT" };
    };
    const run = await cli(["--yes", "rm", "host1", ...bulk], fake, state, () => stop);
    expect(run.code).toBe(1);
    const sent = fake.deletes();
    // The deletions in flight (at most the CLI's concurrency) finished; none started after.
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(12);
    expect(run.stdout).toContain(`paused: ${sent} of 12 deleted; the dvol process got SIGINT`);
    const id = idOf(run.stdout);
    const cancelled = await cli(["requests", "cancel", id], fake, state);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain("cancelled");
    expect(fake.deletes()).toBe(sent);
    const r = await new MemoryStore({ state }).getRequest(id);
    expect(r).toMatchObject({ status: "cancelled", closedBy: "cli:alice" });
    expect(r?.outcomes).toHaveLength(sent);
  });

  it("a malformed request id is a usage error (exit 2); an unknown one is not found (exit 1)", async () => {
    const fake = engine();
    expect((await cli(["requests", "resume", "DR-1"], fake)).code).toBe(2);
    expect((await cli(["requests", "cancel"], fake)).code).toBe(2);
    expect((await cli(["requests", "frobnicate", "DR-ABCDEFGH"], fake)).code).toBe(2);
    const unknown = await cli(["requests", "resume", "DR-ABCDEFGH"], fake);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout + unknown.stderr).toContain("DR-ABCDEFGH");
  });
});

describe("the CLI's signals and its dead executors", () => {
  it("the first SIGINT asks to stop, says so and does not exit; the second exits 130", () => {
    const source = new EventEmitter();
    const said: string[] = [];
    const exits: number[] = [];
    const s = stopOnSignals(
      source,
      (l) => said.push(l),
      (c) => exits.push(c),
    );
    expect(s.stopRequested()).toBeNull();
    source.emit("SIGINT");
    expect(s.stopRequested()).toMatchObject({ kind: "signal", reason: "the dvol process got SIGINT" });
    expect(exits).toEqual([]);
    expect(said[0]).toContain("stopping after the deletions in flight");
    source.emit("SIGTERM");
    expect(exits).toEqual([143]);
    s.dispose();
    expect(source.listenerCount("SIGINT")).toBe(0);
  });

  it("a CLI executor of this machine whose process is gone is gone; a live one, this one, or another machine's is not", async () => {
    const { spawn } = await import("node:child_process");
    const { hostname } = await import("node:os");
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    const pid = child.pid ?? 0;
    await new Promise((r) => child.on("exit", r));
    expect(cliExecutorGone(`cli:alice@${hostname()}:${pid}#0a1b2c3d`)).toBe(true);
    expect(cliExecutorGone(`cli:alice@${hostname()}:${process.pid}#0a1b2c3d`)).toBe(false);
    expect(cliExecutorGone(`cli:alice@other-machine:${pid}#0a1b2c3d`)).toBe(false);
    expect(cliExecutorGone("worker:abc#0a1b2c3d")).toBe(false);
    const live = spawn(process.execPath, ["-e", "setTimeout(() => {}, 5000)"], { stdio: "ignore" });
    try {
      expect(cliExecutorGone(`cli:alice@${hostname()}:${live.pid}#0a1b2c3d`)).toBe(false);
    } finally {
      live.kill();
    }
  });
});

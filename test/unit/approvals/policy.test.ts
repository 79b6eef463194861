// Unit tests of src/approvals/policy.ts: requesters, approvers (users and user groups), four eyes,
// channels, and protect rules.
import { describe, expect, it } from "vitest";
import {
  checkChannel,
  type GroupResolver,
  isListed,
  mayApprove,
  mayReject,
  mayRequest,
  protectionOf,
} from "../../../src/approvals/policy.js";
import { fakeConfig } from "../../support/fake-engine.js";

const groups: Record<string, string[]> = { S0OPS: ["U0CAROL", "U0DAVE"] };
const resolve: GroupResolver = async (g) => {
  const members = groups[g];
  if (!members) throw new Error("no_such_subteam");
  return members;
};
const request = { requester: "U0ALICE" };
const at = (user: string, channel: string | null = "C0OPS") => ({ user, channel });

describe("isListed", () => {
  it("matches *, a user ID, and the members of a listed group", async () => {
    expect((await isListed(["*"], "U0ANY", resolve)).listed).toBe(true);
    expect((await isListed(["U0BOB"], "U0BOB", resolve)).listed).toBe(true);
    expect((await isListed(["U0BOB", "S0OPS"], "U0CAROL", resolve)).listed).toBe(true);
    expect((await isListed(["U0BOB", "S0OPS"], "U0EVE", resolve)).listed).toBe(false);
  });

  it("asks the resolver only when the user is not listed directly, and keeps lookup failures", async () => {
    let asked = 0;
    const counting: GroupResolver = async (g) => {
      asked++;
      return resolve(g);
    };
    expect((await isListed(["U0BOB", "S0OPS"], "U0BOB", counting)).listed).toBe(true);
    expect(asked).toBe(0);
    const l = await isListed(["S0GONE", "S0OPS"], "U0EVE", counting);
    expect(l).toEqual({ listed: false, unresolved: ["S0GONE (no_such_subteam)"] });
  });
});

describe("mayRequest", () => {
  it("allows listed requesters, by user or group, and refuses others with a hint", async () => {
    const access = fakeConfig({ access: { requesters: ["U0ALICE", "S0OPS"] } }).access;
    expect(await mayRequest(access, at("U0ALICE"), resolve)).toEqual({ ok: true });
    expect(await mayRequest(access, at("U0DAVE"), resolve)).toEqual({ ok: true });
    const refused = await mayRequest(access, at("U0EVE"), resolve);
    expect(refused).toMatchObject({ ok: false, reason: "requester" });
    if (!refused.ok) expect(refused.hint).toContain("access.requesters");
  });

  it("refuses outside the configured channels; the CLI has no channel and is not refused for it", async () => {
    const access = fakeConfig({ access: { channels: ["C0OPS"] } }).access;
    expect(await mayRequest(access, at("U0ALICE", "C0OTHER"), resolve)).toMatchObject({
      ok: false,
      reason: "channel",
    });
    expect(await mayRequest(access, at("U0ALICE", "C0OPS"), resolve)).toEqual({ ok: true });
    expect(checkChannel(access, null)).toEqual({ ok: true });
  });
});

describe("mayApprove", () => {
  it("allows an approver who is not the requester", async () => {
    const access = fakeConfig({ access: { approvers: ["U0BOB"] } }).access;
    expect(await mayApprove(access, request, at("U0BOB"), resolve)).toEqual({ ok: true });
  });

  it("refuses the requester by default (four eyes), even when an approver", async () => {
    const access = fakeConfig({ access: { approvers: ["U0ALICE", "U0BOB"] } }).access;
    const d = await mayApprove(access, request, at("U0ALICE"), resolve);
    expect(d).toMatchObject({ ok: false, reason: "self-approval" });
  });

  it("lets the requester approve when allowSelfApproval is true and they are an approver", async () => {
    const access = fakeConfig({ access: { approvers: ["U0ALICE"], allowSelfApproval: true } }).access;
    expect(await mayApprove(access, request, at("U0ALICE"), resolve)).toEqual({ ok: true });
    const notApprover = fakeConfig({ access: { approvers: ["U0BOB"], allowSelfApproval: true } }).access;
    expect(await mayApprove(notApprover, request, at("U0ALICE"), resolve)).toMatchObject({
      ok: false,
      reason: "approver",
    });
  });

  it("refuses a non-approver and accepts a member of an approver group", async () => {
    const access = fakeConfig({ access: { approvers: ["S0OPS"] } }).access;
    expect(await mayApprove(access, request, at("U0EVE"), resolve)).toMatchObject({
      ok: false,
      reason: "approver",
    });
    expect(await mayApprove(access, request, at("U0CAROL"), resolve)).toEqual({ ok: true });
  });

  it("says when a group could not be looked up", async () => {
    const access = fakeConfig({ access: { approvers: ["S0GONE"] } }).access;
    const d = await mayApprove(access, request, at("U0CAROL"), resolve);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.hint).toContain("S0GONE (no_such_subteam) could not be looked up");
  });

  it("nobody approves when the approvers list is empty", async () => {
    const access = fakeConfig({ access: { approvers: [] } }).access;
    expect((await mayApprove(access, request, at("U0BOB"), resolve)).ok).toBe(false);
  });
});

describe("mayReject", () => {
  it("allows the requester and approvers, refuses others", async () => {
    const access = fakeConfig({ access: { approvers: ["S0OPS"] } }).access;
    expect(await mayReject(access, request, at("U0ALICE"), resolve)).toEqual({ ok: true });
    expect(await mayReject(access, request, at("U0DAVE"), resolve)).toEqual({ ok: true });
    expect(await mayReject(access, request, at("U0EVE"), resolve)).toMatchObject({
      ok: false,
      reason: "rejecter",
    });
  });
});

describe("protectionOf", () => {
  const protect = fakeConfig({
    protect: {
      names: ["*postgres*", "keep-?"],
      labels: [
        { key: "dvol.protect", value: "true" },
        { key: "backup", value: undefined },
      ],
    },
  }).protect;
  it("matches name globs and label rules (key, or key=value)", () => {
    expect(protectionOf(protect, { name: "app_postgres-data", labels: {} })).toBe(
      "matches protect rule *postgres*",
    );
    expect(protectionOf(protect, { name: "keep-1", labels: {} })).toBe("matches protect rule keep-?");
    expect(protectionOf(protect, { name: "keep-12", labels: {} })).toBeNull();
    expect(protectionOf(protect, { name: "x", labels: { "dvol.protect": "true" } })).toBe(
      "has protected label dvol.protect=true",
    );
    expect(protectionOf(protect, { name: "x", labels: { "dvol.protect": "false" } })).toBeNull();
    expect(protectionOf(protect, { name: "x", labels: { backup: "" } })).toBe("has protected label backup");
  });

  it("does not take inherited properties for labels", () => {
    const p = fakeConfig({ protect: { labels: [{ key: "constructor", value: undefined }] } }).protect;
    expect(protectionOf(p, { name: "x", labels: {} })).toBeNull();
  });
});

// Unit tests of src/approvals/policy.ts, the one module of access decisions: the list actions
// (read, request, backup, restore) with and without group lookups, the decisions on a request
// (approve, reject, cancel, resume: users, groups, "*", channels, four eyes), and protect rules.
import { describe, expect, it } from "vitest";
import {
  type Access,
  type Actor,
  checkChannel,
  type GroupResolver,
  isListed,
  type ListAction,
  mayApprove,
  mayBackup,
  mayCancel,
  mayDo,
  mayRead,
  mayReject,
  mayRequest,
  mayRestore,
  mayResume,
  type PolicyDecision,
  precheck,
  protectionOf,
  type RequestFacts,
} from "../../../src/approvals/policy.js";
import { GroupLookupError } from "../../../src/errors.js";
import { fakeConfig } from "../../support/fake-engine.js";

const groups: Record<string, string[]> = { S0OPS: ["U0CAROL", "U0DAVE"] };
const resolve: GroupResolver = async (g) => {
  const members = groups[g];
  if (!members) throw new Error("no_such_subteam");
  return members;
};
const request: RequestFacts = { id: "DR-00000001", requester: "U0ALICE", channel: "C0OPS" };
const at = (user: string, channel: string | null = "C0OPS"): Actor => ({ user, channel });
const accessWith = (access: Partial<Access>): Access => fakeConfig({ access }).access;

/** What a case expects: allowed, or refused for this reason. */
type Want = "ok" | Extract<PolicyDecision, { ok: false }>["reason"];
const outcome = (d: PolicyDecision): Want => (d.ok ? "ok" : d.reason);

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
    expect(l).toEqual({ listed: false, unresolved: ["S0GONE (no_such_subteam)"], hints: [] });
  });

  it("a GroupLookupError gives its detail and its hint", async () => {
    const l = await isListed(["S0OPS"], "U0CAROL", async (g) => {
      throw new GroupLookupError(g, "ratelimited", { hint: "Wait a minute." });
    });
    expect(l).toEqual({ listed: false, unresolved: ["S0OPS (ratelimited)"], hints: ["Wait a minute."] });
  });
});

describe("checkChannel", () => {
  it("empty channels means anywhere; the CLI (no channel) is never refused for it", () => {
    expect(checkChannel(accessWith({ channels: [] }), "D0DM")).toEqual({ ok: true });
    const access = accessWith({ channels: ["C0OPS", "C0SRE"] });
    expect(checkChannel(access, null)).toEqual({ ok: true });
    expect(checkChannel(access, "C0SRE")).toEqual({ ok: true });
    const d = checkChannel(access, "C0OTHER");
    expect(d).toMatchObject({
      ok: false,
      reason: "channel",
      message: "dvol does not take commands in this channel.",
    });
    if (!d.ok) expect(d.hint).toBe("It is set up for <#C0OPS>, <#C0SRE>.");
  });
});

// ---------------------------------------------------------------------------------------------
// list actions: one table per action, each case also checked against the handler's precheck

interface ListCase {
  what: string;
  access: Partial<Access>;
  actor: Actor;
  want: Want;
  /** What the handler can tell without lookups: the same, or "groups" (the worker completes it). */
  pre: Want | "groups";
  /** Words the refusal's hint must contain. */
  hint?: string;
}

const listCases = (list: "viewers" | "requesters", reason: Want): ListCase[] => [
  { what: '"*" lists everyone', access: { [list]: ["*"] }, actor: at("U0EVE"), want: "ok", pre: "ok" },
  { what: "a listed user ID", access: { [list]: ["U0BOB"] }, actor: at("U0BOB"), want: "ok", pre: "ok" },
  {
    what: "an unlisted user, no groups",
    access: { [list]: ["U0BOB"] },
    actor: at("U0EVE"),
    want: reason,
    pre: reason,
    hint: `access.${list}`,
  },
  {
    what: "a member of a listed group",
    access: { [list]: ["U0BOB", "S0OPS"] },
    actor: at("U0CAROL"),
    want: "ok",
    pre: "groups",
  },
  {
    what: "not a member of the listed group",
    access: { [list]: ["S0OPS"] },
    actor: at("U0EVE"),
    want: reason,
    pre: "groups",
    hint: `access.${list}`,
  },
  {
    what: "a group that cannot be looked up",
    access: { [list]: ["S0GONE"] },
    actor: at("U0CAROL"),
    want: reason,
    pre: "groups",
    hint: "S0GONE (no_such_subteam) could not be looked up: try again later.",
  },
  { what: "an empty list", access: { [list]: [] }, actor: at("U0BOB"), want: reason, pre: reason },
  {
    what: "outside access.channels, even when listed",
    access: { channels: ["C0OPS"], [list]: ["*"] },
    actor: at("U0BOB", "C0OTHER"),
    want: "channel",
    pre: "channel",
    hint: "<#C0OPS>",
  },
  {
    what: "in one of access.channels",
    access: { channels: ["C0OPS"], [list]: ["U0BOB"] },
    actor: at("U0BOB", "C0OPS"),
    want: "ok",
    pre: "ok",
  },
  {
    what: "the CLI (no channel) with channels set",
    access: { channels: ["C0OPS"], [list]: ["*"] },
    actor: at("cli:alice", null),
    want: "ok",
    pre: "ok",
  },
];

const LIST_ACTIONS: {
  action: ListAction;
  named: (a: Access, actor: Actor, r: GroupResolver) => Promise<PolicyDecision>;
  list: "viewers" | "requesters";
  reason: Want;
  message: RegExp;
}[] = [
  { action: "read", named: mayRead, list: "viewers", reason: "viewer", message: /viewers, who may run read/ },
  {
    action: "request",
    named: mayRequest,
    list: "requesters",
    reason: "requester",
    message: /requesters, who may ask for volumes to be deleted/,
  },
  { action: "backup", named: mayBackup, list: "requesters", reason: "requester", message: /back volumes up/ },
  {
    action: "restore",
    named: mayRestore,
    list: "requesters",
    reason: "requester",
    message: /restore backups/,
  },
];

describe.each(LIST_ACTIONS)("$action (access.$list)", ({ action, named, list, reason, message }) => {
  it.each(listCases(list, reason))("$what", async (c) => {
    const access = accessWith(c.access);
    const d = await mayDo(access, action, c.actor, resolve);
    expect(outcome(d)).toBe(c.want);
    expect(await named(access, c.actor, resolve)).toEqual(d);
    if (!d.ok && d.reason !== "channel") expect(d.message).toMatch(message);
    if (c.hint && !d.ok) expect(d.hint).toContain(c.hint);
    const pre = precheck(access, action, c.actor);
    expect(pre.ok === "groups" ? "groups" : outcome(pre as PolicyDecision)).toBe(c.pre);
    // What the handler refuses, it refuses with the worker's words.
    if (pre.ok === false) expect(pre).toEqual(d);
  });

  it("the other list does not count", async () => {
    const other = list === "viewers" ? "requesters" : "viewers";
    const access = accessWith({ [list]: ["U0BOB"], [other]: ["*"] });
    expect(outcome(await mayDo(access, action, at("U0EVE"), resolve))).toBe(reason);
  });

  it("precheck names the groups the worker must look up", () => {
    const access = accessWith({ [list]: ["U0BOB", "S0OPS", "S0SRE"] });
    expect(precheck(access, action, at("U0EVE"))).toEqual({ ok: "groups", groups: ["S0OPS", "S0SRE"] });
  });
});

// ---------------------------------------------------------------------------------------------
// decisions on a request

interface DecisionCase {
  what: string;
  access: Partial<Access>;
  actor: Actor;
  want: Want;
  hint?: string;
}

const sharedDecisionCases = (refusal: Want): DecisionCase[] => [
  {
    what: "outside access.channels",
    access: { channels: ["C0SRE"], approvers: ["*"] },
    actor: at("U0BOB", "C0OPS"),
    want: "channel",
    hint: "<#C0SRE>",
  },
  {
    what: "in a channel other than the request's own",
    access: { approvers: ["*"] },
    actor: at("U0BOB", "C0ELSEWHERE"),
    want: "channel",
    hint: "<#C0OPS>",
  },
  {
    what: "a non-approver who did not open it",
    access: { approvers: ["S0OPS"] },
    actor: at("U0EVE"),
    want: refusal,
  },
  {
    what: "a group that cannot be looked up",
    access: { approvers: ["S0GONE"] },
    actor: at("U0CAROL"),
    want: refusal,
    hint: "S0GONE (no_such_subteam) could not be looked up",
  },
];

const DECISIONS: {
  action: string;
  may: (a: Access, r: RequestFacts, actor: Actor, g: GroupResolver) => Promise<PolicyDecision>;
  cases: DecisionCase[];
}[] = [
  {
    action: "approve",
    may: mayApprove,
    cases: [
      {
        what: "an approver who is not the requester",
        access: { approvers: ["U0BOB"] },
        actor: at("U0BOB"),
        want: "ok",
      },
      { what: 'an approver through "*"', access: { approvers: ["*"] }, actor: at("U0BOB"), want: "ok" },
      {
        what: "a member of an approver group",
        access: { approvers: ["S0OPS"] },
        actor: at("U0CAROL"),
        want: "ok",
      },
      {
        what: "the requester by default (four eyes), even when an approver",
        access: { approvers: ["U0ALICE", "U0BOB"] },
        actor: at("U0ALICE"),
        want: "self-approval",
        hint: "nothing was deleted",
      },
      {
        what: "the requester with allowSelfApproval, when an approver",
        access: { approvers: ["U0ALICE"], allowSelfApproval: true },
        actor: at("U0ALICE"),
        want: "ok",
      },
      {
        what: "the requester with allowSelfApproval, not an approver",
        access: { approvers: ["U0BOB"], allowSelfApproval: true },
        actor: at("U0ALICE"),
        want: "approver",
      },
      {
        what: "anyone, when the approvers list is empty",
        access: { approvers: [] },
        actor: at("U0BOB"),
        want: "approver",
      },
      ...sharedDecisionCases("approver"),
    ],
  },
  {
    action: "reject",
    may: mayReject,
    cases: [
      {
        what: "the requester (withdrawing it)",
        access: { approvers: ["S0OPS"] },
        actor: at("U0ALICE"),
        want: "ok",
      },
      {
        what: "a member of an approver group",
        access: { approvers: ["S0OPS"] },
        actor: at("U0DAVE"),
        want: "ok",
      },
      { what: 'an approver through "*"', access: { approvers: ["*"] }, actor: at("U0EVE"), want: "ok" },
      ...sharedDecisionCases("rejecter"),
    ],
  },
  {
    action: "cancel",
    may: mayCancel,
    cases: [
      { what: "the requester", access: { approvers: [] }, actor: at("U0ALICE"), want: "ok" },
      { what: "an approver by user ID", access: { approvers: ["U0BOB"] }, actor: at("U0BOB"), want: "ok" },
      {
        what: "a member of an approver group",
        access: { approvers: ["S0OPS"] },
        actor: at("U0CAROL"),
        want: "ok",
      },
      ...sharedDecisionCases("canceller"),
    ],
  },
  {
    action: "resume",
    may: mayResume,
    cases: [
      { what: "an approver by user ID", access: { approvers: ["U0BOB"] }, actor: at("U0BOB"), want: "ok" },
      {
        what: "a member of an approver group",
        access: { approvers: ["S0OPS"] },
        actor: at("U0DAVE"),
        want: "ok",
      },
      {
        what: "the requester when an approver (the approval had four eyes already)",
        access: { approvers: ["U0ALICE"] },
        actor: at("U0ALICE"),
        want: "ok",
      },
      {
        what: "the requester when not an approver",
        access: { approvers: ["U0BOB"] },
        actor: at("U0ALICE"),
        want: "resumer",
      },
      ...sharedDecisionCases("resumer"),
    ],
  },
];

describe.each(DECISIONS)("$action", ({ may, cases }) => {
  it.each(cases)("$what", async (c) => {
    const d = await may(accessWith(c.access), request, c.actor, resolve);
    expect(outcome(d)).toBe(c.want);
    if (c.hint && !d.ok) expect(d.hint).toContain(c.hint);
  });

  it("the CLI (no channel) is not held to the request's channel", async () => {
    const d = await may(
      accessWith({ channels: ["C0SRE"], approvers: ["cli:bob"] }),
      request,
      at("cli:bob", null),
      resolve,
    );
    expect(d).toEqual({ ok: true });
  });

  it("a request opened on the CLI (no channel) is decided in any accepted channel", async () => {
    const d = await may(
      accessWith({ approvers: ["U0BOB"] }),
      { ...request, channel: null },
      at("U0BOB", "C0ANY"),
      resolve,
    );
    expect(d).toEqual({ ok: true });
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

/**
 * Who may do what (SPEC §3 `access`, §4, §10), and which volumes are never deletable (`protect`).
 * Every access decision of dvol is made here, for every front end:
 *
 *   action    allowed for                                   refusal reason
 *   read      access.viewers (every read command, `backups`) viewer
 *   request   access.requesters (rm, prune, cleanup)         requester
 *   backup    access.requesters                             requester
 *   restore   access.requesters                             requester
 *   approve   access.approvers; not the requester unless    approver, self-approval
 *             allowSelfApproval (four eyes)
 *   reject    the requester (withdrawing it) or an approver rejecter
 *   cancel    the requester or an approver (a paused or     canceller
 *             approved request)
 *   resume    an approver (the approval already had four    resumer
 *             eyes; resuming decides nothing new)
 *
 * and, before all of them, the channel: `access.channels` lists where commands and clicks are
 * accepted (empty: anywhere; the CLI has no channel), and a decision on a request is taken only
 * in the request's own channel (SPEC §4.7).
 *
 * Lists hold user IDs (U…, W…), user-group IDs (S…) or "*" (everyone). A group's members come
 * from a passed-in resolver (Slack's `usergroups.users.list`, with the bot token, in the worker);
 * a group that cannot be looked up counts as having no members, and the refusal says so. Where
 * no lookup is possible (the Slack handler, which acknowledges within 3 s without the bot token),
 * `precheck` answers from user IDs and "*" alone: yes, no, or "needs groups", which the worker
 * completes with `mayDo`. Both apply the same rule.
 */
import type { Config, LabelRule } from "../config/types.js";
import { DvolError, GroupLookupError } from "../errors.js";
import { globToRegExp } from "../glob.js";
import type { DeletionRequest } from "../store/records.js";

/** The members (user IDs) of a user group. */
export type GroupResolver = (groupId: string) => Promise<string[]>;

export type Access = Config["access"];

/** Someone acting: a Slack user in a channel, or the CLI (`cli:<user>`, no channel). */
export interface Actor {
  user: string;
  channel: string | null;
}

/** What someone may do by being on one of the access lists. */
export type ListAction = "read" | "request" | "backup" | "restore";

/** What someone may do to a deletion request. */
export type RequestAction = "approve" | "reject" | "cancel" | "resume";

export type Action = ListAction | RequestAction;

export type RefusalReason =
  | "channel"
  | "viewer"
  | "requester"
  | "approver"
  | "self-approval"
  | "rejecter"
  | "canceller"
  | "resumer";

export interface Refusal {
  ok: false;
  reason: RefusalReason;
  /** What happened, for the person refused. */
  message: string;
  /** What to do about it. */
  hint: string;
}

export type PolicyDecision = { ok: true } | Refusal;

/** The answer without group lookups: yes, no, or "only these groups could list the user". */
export type Precheck = { ok: true } | { ok: "groups"; groups: string[] } | Refusal;

/** True for a user-group ID such as S0BBBBBBB. */
export function isUserGroupId(entry: string): boolean {
  return /^S[A-Z0-9]+$/.test(entry);
}

export interface Listing {
  listed: boolean;
  /** Groups whose members could not be looked up, with why ("S0OPS (no_such_subteam)"). */
  unresolved: string[];
  /** What to do about those, when the lookup said (a GroupLookupError's hint). */
  hints: string[];
}

/** "*", the user's ID: listed; else the groups that could list the user (none: not listed). */
function listedDirectly(entries: readonly string[], user: string): true | string[] {
  if (entries.includes("*") || entries.includes(user)) return true;
  return entries.filter(isUserGroupId);
}

/** Is `user` one of `entries`: "*", the user's ID, or a member of a listed group? */
export async function isListed(
  entries: readonly string[],
  user: string,
  resolveGroup: GroupResolver,
): Promise<Listing> {
  const direct = listedDirectly(entries, user);
  if (direct === true) return { listed: true, unresolved: [], hints: [] };
  const answers = await Promise.all(
    direct.map(async (g) => {
      try {
        return { group: g, members: await resolveGroup(g), error: null };
      } catch (err) {
        return { group: g, members: [] as string[], error: err };
      }
    }),
  );
  const failed = answers.filter((a) => a.error !== null);
  return {
    listed: answers.some((a) => a.members.includes(user)),
    unresolved: failed.map((a) => `${a.group} (${lookupDetail(a.error)})`),
    hints: [
      ...new Set(failed.flatMap((a) => (a.error instanceof DvolError && a.error.hint ? [a.error.hint] : []))),
    ],
  };
}

function lookupDetail(err: unknown): string {
  if (err instanceof GroupLookupError) return err.detail;
  return err instanceof Error ? err.message : String(err);
}

function refuse(reason: RefusalReason, message: string, hint: string): Refusal {
  return { ok: false, reason, message, hint };
}

function unresolvedHint(l: Listing, fallback: string): string {
  if (l.unresolved.length === 0) return fallback;
  const todo = l.hints.length > 0 ? l.hints.join(" ") : "try again later.";
  return `The members of ${l.unresolved.join(", ")} could not be looked up: ${todo} ${fallback}`;
}

/** Are commands accepted in this channel? The CLI (no channel) always is. */
export function checkChannel(access: Access, channel: string | null): PolicyDecision {
  if (channel === null || access.channels.length === 0 || access.channels.includes(channel)) {
    return { ok: true };
  }
  return refuse(
    "channel",
    "dvol does not take commands in this channel.",
    `It is set up for ${access.channels.map((c) => `<#${c}>`).join(", ")}.`,
  );
}

/** The channel rules of a decision on a request: the accepted channels, then the request's own. */
function checkRequestChannel(
  access: Access,
  request: Pick<DeletionRequest, "id" | "channel">,
  actor: Actor,
): PolicyDecision {
  const channel = checkChannel(access, actor.channel);
  if (!channel.ok) return channel;
  if (actor.channel === null || request.channel === null || request.channel === actor.channel) {
    return { ok: true };
  }
  return refuse(
    "channel",
    `${request.id} belongs to another channel: it is decided only where it was opened.`,
    `Use the buttons under it in <#${request.channel}>; nothing changed.`,
  );
}

// ---------------------------------------------------------------------------------------------
// the lists: read, request, backup, restore

interface ListRule {
  list: "viewers" | "requesters";
  reason: RefusalReason;
  message: string;
}

const LIST_RULES: { [A in ListAction]: ListRule } = {
  read: {
    list: "viewers",
    reason: "viewer",
    message: "You are not one of dvol's viewers, who may run read commands.",
  },
  request: {
    list: "requesters",
    reason: "requester",
    message: "You are not one of dvol's requesters, who may ask for volumes to be deleted.",
  },
  backup: {
    list: "requesters",
    reason: "requester",
    message: "You are not one of dvol's requesters, who may back volumes up.",
  },
  restore: {
    list: "requesters",
    reason: "requester",
    message: "You are not one of dvol's requesters, who may restore backups.",
  },
};

const listHint = (rule: ListRule) => `Ask an admin to add you (or a group of yours) to access.${rule.list}.`;

/**
 * What can be said of a list action without looking any group up (the Slack handler): the
 * channel, then "*" or the user's ID. A list that could name the user only through groups gives
 * "groups": the worker, with the bot token, completes the decision with `mayDo`.
 */
export function precheck(access: Access, action: ListAction, actor: Actor): Precheck {
  const channel = checkChannel(access, actor.channel);
  if (!channel.ok) return channel;
  const rule = LIST_RULES[action];
  const direct = listedDirectly(access[rule.list], actor.user);
  if (direct === true) return { ok: true };
  if (direct.length > 0) return { ok: "groups", groups: direct };
  return refuse(rule.reason, rule.message, listHint(rule));
}

/** May `actor` do a list action (read, request, backup, restore), groups looked up? */
export async function mayDo(
  access: Access,
  action: ListAction,
  actor: Actor,
  resolveGroup: GroupResolver,
): Promise<PolicyDecision> {
  const channel = checkChannel(access, actor.channel);
  if (!channel.ok) return channel;
  const rule = LIST_RULES[action];
  const l = await isListed(access[rule.list], actor.user, resolveGroup);
  if (l.listed) return { ok: true };
  return refuse(rule.reason, rule.message, unresolvedHint(l, listHint(rule)));
}

/** May `actor` run read commands (`access.viewers`)? */
export const mayRead = (access: Access, actor: Actor, resolveGroup: GroupResolver) =>
  mayDo(access, "read", actor, resolveGroup);

/** May `actor` open a deletion request (`access.requesters`)? */
export const mayRequest = (access: Access, actor: Actor, resolveGroup: GroupResolver) =>
  mayDo(access, "request", actor, resolveGroup);

/** May `actor` back volumes up (`access.requesters`, SPEC §10)? */
export const mayBackup = (access: Access, actor: Actor, resolveGroup: GroupResolver) =>
  mayDo(access, "backup", actor, resolveGroup);

/** May `actor` restore a backup (`access.requesters`, SPEC §10)? */
export const mayRestore = (access: Access, actor: Actor, resolveGroup: GroupResolver) =>
  mayDo(access, "restore", actor, resolveGroup);

// ---------------------------------------------------------------------------------------------
// decisions on a request: approve, reject, cancel, resume

/** What the policy reads of a request: who opened it, and where (null: on the CLI). */
export type RequestFacts = Pick<DeletionRequest, "id" | "requester" | "channel">;

/** May `actor` approve `request`? Only an approver, and not its requester unless allowSelfApproval. */
export async function mayApprove(
  access: Access,
  request: RequestFacts,
  actor: Actor,
  resolveGroup: GroupResolver,
): Promise<PolicyDecision> {
  const channel = checkRequestChannel(access, request, actor);
  if (!channel.ok) return channel;
  if (actor.user === request.requester && !access.allowSelfApproval) {
    return refuse(
      "self-approval",
      "You opened this request: another approver must approve it (four eyes).",
      "Ask an approver to look at it; nothing was deleted.",
    );
  }
  const l = await isListed(access.approvers, actor.user, resolveGroup);
  if (l.listed) return { ok: true };
  return refuse(
    "approver",
    "Only an approver may approve a deletion request, and you are not one.",
    unresolvedHint(l, "Ask one of the approvers (access.approvers) to look at it; nothing was deleted."),
  );
}

/** The requester or an approver: who may reject a pending request or cancel a paused one. */
async function requesterOrApprover(
  access: Access,
  request: RequestFacts,
  actor: Actor,
  resolveGroup: GroupResolver,
  refusal: { reason: RefusalReason; message: string; hint: string },
): Promise<PolicyDecision> {
  const channel = checkRequestChannel(access, request, actor);
  if (!channel.ok) return channel;
  if (actor.user === request.requester) return { ok: true };
  const l = await isListed(access.approvers, actor.user, resolveGroup);
  if (l.listed) return { ok: true };
  return refuse(refusal.reason, refusal.message, unresolvedHint(l, refusal.hint));
}

/** May `actor` reject `request`? Its requester (withdrawing it) or an approver. */
export function mayReject(
  access: Access,
  request: RequestFacts,
  actor: Actor,
  resolveGroup: GroupResolver,
): Promise<PolicyDecision> {
  return requesterOrApprover(access, request, actor, resolveGroup, {
    reason: "rejecter",
    message: "Only the requester or an approver may reject a deletion request.",
    hint: "Nothing changed; ask an approver if the request should not go ahead.",
  });
}

/** May `actor` cancel a paused or approved `request` (SPEC §4.6)? Its requester or an approver. */
export function mayCancel(
  access: Access,
  request: RequestFacts,
  actor: Actor,
  resolveGroup: GroupResolver,
): Promise<PolicyDecision> {
  return requesterOrApprover(access, request, actor, resolveGroup, {
    reason: "canceller",
    message: "Only the requester or an approver may cancel a deletion request.",
    hint: "Nothing changed; ask an approver if the request should stop.",
  });
}

/**
 * May `actor` resume a paused or approved `request` (SPEC §4.6)? An approver: the request was
 * approved already (with four eyes), so its requester may resume it too when an approver.
 */
export async function mayResume(
  access: Access,
  request: RequestFacts,
  actor: Actor,
  resolveGroup: GroupResolver,
): Promise<PolicyDecision> {
  const channel = checkRequestChannel(access, request, actor);
  if (!channel.ok) return channel;
  const l = await isListed(access.approvers, actor.user, resolveGroup);
  if (l.listed) return { ok: true };
  return refuse(
    "resumer",
    "Only an approver may resume a deletion request, and you are not one.",
    unresolvedHint(l, "Ask one of the approvers (access.approvers) to resume it; nothing changed."),
  );
}

// ---------------------------------------------------------------------------------------------
// protect

export function matchesLabelRule(labels: Record<string, string>, rule: LabelRule): boolean {
  return Object.hasOwn(labels, rule.key) && (rule.value === undefined || labels[rule.key] === rule.value);
}

const showRule = (r: LabelRule) => (r.value === undefined ? r.key : `${r.key}=${r.value}`);

/** Why `volume` is never deletable through dvol ("matches protect rule *postgres*"), or null. */
export function protectionOf(
  protect: Config["protect"],
  volume: { name: string; labels: Record<string, string> },
): string | null {
  const name = protect.names.find((glob) => globToRegExp(glob).test(volume.name));
  if (name !== undefined) return `matches protect rule ${name}`;
  const label = protect.labels.find((rule) => matchesLabelRule(volume.labels, rule));
  if (label !== undefined) return `has protected label ${showRule(label)}`;
  return null;
}

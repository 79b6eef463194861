/**
 * Who may do what with deletion requests (SPEC §3 `access`, §4), and which volumes are never
 * deletable (`protect`).
 *
 * `requesters` and `approvers` list user IDs (U…, W…), user-group IDs (S…) or "*" (everyone).
 * A group's members come from an injected resolver (Slack's `usergroups.users.list` in the bot);
 * a group that cannot be looked up counts as having no members, and the refusal says so.
 * `channels` lists where commands and clicks are accepted (empty: anywhere; the CLI has none).
 */
import type { Config, LabelRule } from "../config/types.js";
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

export type RefusalReason = "channel" | "requester" | "approver" | "self-approval" | "rejecter";

export type PolicyDecision =
  | { ok: true }
  | { ok: false; reason: RefusalReason; message: string; hint: string };

/** True for a user-group ID such as S0BBBBBBB. */
export function isUserGroupId(entry: string): boolean {
  return /^S[A-Z0-9]+$/.test(entry);
}

interface Listing {
  listed: boolean;
  /** Groups whose members could not be looked up, with why. */
  unresolved: string[];
}

/** Is `user` one of `entries`: "*", the user's ID, or a member of a listed group? */
export async function isListed(
  entries: readonly string[],
  user: string,
  resolveGroup: GroupResolver,
): Promise<Listing> {
  if (entries.includes("*") || entries.includes(user)) return { listed: true, unresolved: [] };
  const groups = entries.filter(isUserGroupId);
  const answers = await Promise.all(
    groups.map(async (g) => {
      try {
        return { group: g, members: await resolveGroup(g), error: null };
      } catch (err) {
        return { group: g, members: [] as string[], error: (err as Error)?.message ?? String(err) };
      }
    }),
  );
  return {
    listed: answers.some((a) => a.members.includes(user)),
    unresolved: answers.flatMap((a) => (a.error === null ? [] : [`${a.group} (${a.error})`])),
  };
}

function refuse(reason: RefusalReason, message: string, hint: string): PolicyDecision {
  return { ok: false, reason, message, hint };
}

function unresolvedHint(l: Listing, fallback: string): string {
  return l.unresolved.length > 0
    ? `The members of ${l.unresolved.join(", ")} could not be looked up: try again later. ${fallback}`
    : fallback;
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

/** May `actor` open a deletion request? */
export async function mayRequest(
  access: Access,
  actor: Actor,
  resolveGroup: GroupResolver,
): Promise<PolicyDecision> {
  const channel = checkChannel(access, actor.channel);
  if (!channel.ok) return channel;
  const l = await isListed(access.requesters, actor.user, resolveGroup);
  if (l.listed) return { ok: true };
  return refuse(
    "requester",
    "You are not one of dvol's requesters, who may ask for volumes to be deleted.",
    unresolvedHint(l, "Ask an admin to add you (or a group of yours) to access.requesters."),
  );
}

/** May `actor` approve `request`? Only an approver, and not its requester unless allowSelfApproval. */
export async function mayApprove(
  access: Access,
  request: Pick<DeletionRequest, "requester">,
  actor: Actor,
  resolveGroup: GroupResolver,
): Promise<PolicyDecision> {
  const channel = checkChannel(access, actor.channel);
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

/** May `actor` reject `request`? Its requester (withdrawing it) or an approver. */
export async function mayReject(
  access: Access,
  request: Pick<DeletionRequest, "requester">,
  actor: Actor,
  resolveGroup: GroupResolver,
): Promise<PolicyDecision> {
  const channel = checkChannel(access, actor.channel);
  if (!channel.ok) return channel;
  if (actor.user === request.requester) return { ok: true };
  const l = await isListed(access.approvers, actor.user, resolveGroup);
  if (l.listed) return { ok: true };
  return refuse(
    "rejecter",
    "Only the requester or an approver may reject a deletion request.",
    unresolvedHint(l, "Nothing changed; ask an approver if the request should not go ahead."),
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

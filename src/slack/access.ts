/**
 * Who may run read commands where (SPEC §3 `access`): `channels` lists the channel IDs where
 * commands are accepted (empty = anywhere); `viewers` lists the users who may run read commands,
 * by user ID (`U…`/`W…`) or `"*"` for everyone.
 *
 * User groups (`S…` IDs) need the `usergroups:read` scope and a lookup of the group's members;
 * they come with the approvals issue. Until then a group entry in `viewers` matches nobody (it is
 * "not resolvable yet"), so listing only a group refuses everyone: a safe failure, and the refusal
 * says so.
 */
import type { Config } from "../config/types.js";

export type AccessDecision =
  | { ok: true }
  | { ok: false; reason: "channel" | "viewer"; message: string; hint: string };

export interface Caller {
  /** The channel the command was typed in (C…, G…, D…). */
  channel: string;
  /** The user who typed it (U…, W…). */
  user: string;
}

/** True for a user-group ID such as S0BBBBBBB. */
export function isUserGroup(entry: string): boolean {
  return /^S[A-Z0-9]+$/.test(entry);
}

/** May this user run read commands in this channel? */
export function checkReadAccess(access: Config["access"], caller: Caller): AccessDecision {
  if (access.channels.length > 0 && !access.channels.includes(caller.channel)) {
    return {
      ok: false,
      reason: "channel",
      message: "dvol does not take commands in this channel.",
      hint: `It is set up for ${access.channels.map((c) => `<#${c}>`).join(", ")}.`,
    };
  }
  const viewers = access.viewers;
  if (viewers.includes("*") || viewers.includes(caller.user)) return { ok: true };
  const groups = viewers.filter(isUserGroup);
  return {
    ok: false,
    reason: "viewer",
    message: "You are not one of dvol's viewers, who may run read commands.",
    hint:
      groups.length > 0
        ? 'User groups in access.viewers are not resolved yet (only user IDs and "*" are): ask an admin to add your user ID.'
        : "Ask an admin to add your user ID to access.viewers.",
  };
}

export type RequesterDecision =
  | { ok: true }
  /** Only user groups could list the caller: the worker, which has the bot token, looks them up. */
  | { ok: "groups"; groups: string[] }
  | { ok: false; reason: "requester"; message: string; hint: string };

/**
 * May this user open deletion requests (`access.requesters`), as far as the handler can tell
 * without the bot token: "*" or the user's ID says yes; a list that names user groups leaves the
 * answer to the worker (which looks their members up); anything else is a refusal.
 */
export function checkRequesterAccess(access: Config["access"], caller: Caller): RequesterDecision {
  const requesters = access.requesters;
  if (requesters.includes("*") || requesters.includes(caller.user)) return { ok: true };
  const groups = requesters.filter(isUserGroup);
  if (groups.length > 0) return { ok: "groups", groups };
  return {
    ok: false,
    reason: "requester",
    message: "You are not one of dvol's requesters, who may ask for volumes to be deleted.",
    hint: "Ask an admin to add you (or a group of yours) to access.requesters.",
  };
}

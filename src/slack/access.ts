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

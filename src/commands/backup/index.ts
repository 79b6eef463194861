/** `backup`: its command-table entry (its grammar is grammar.ts, its Slack rendering slack.ts). */
import { backupSetting } from "../backups/run.js";
import { asIs, type CommandEntry, type RunContext } from "../entry.js";
import { type BackupActor, everyVolumeBackedUp, runBackup } from "./run.js";
import { renderBackupText } from "./text.js";

/** Who backs up or restores: the Slack user (the requester list applies), or the CLI's operator. */
export function backupActor(ctx: RunContext): BackupActor {
  const d = ctx.deletion;
  return { actor: d.actor, resolveGroup: d.resolveGroup, checked: d.mode === "request" };
}

export const backup: CommandEntry<"backup"> = {
  run: async (cmd, ctx) =>
    runBackup(cmd, await ctx.context(), backupSetting(ctx.backup), backupActor(ctx), ctx.store),
  text: renderBackupText,
  json: asIs,
  ok: everyVolumeBackedUp,
};

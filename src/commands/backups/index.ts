/** `backups`: its command-table entry (its grammar is grammar.ts, its Slack rendering slack.ts). */
import { asIs, type CommandEntry } from "../entry.js";
import { backupSetting, runBackups } from "./run.js";
import { renderBackupsText } from "./text.js";

export const backups: CommandEntry<"backups"> = {
  run: async (cmd, ctx) => runBackups(cmd, await ctx.context(), backupSetting(ctx.backup)),
  text: renderBackupsText,
  json: asIs,
  ok: () => true,
};

/** `restore`: its command-table entry (its grammar is grammar.ts, its Slack rendering slack.ts). */
import { backupActor } from "../backup/index.js";
import { backupSetting } from "../backups/run.js";
import { asIs, type CommandEntry } from "../entry.js";
import { runRestore } from "./run.js";
import { renderRestoreText } from "./text.js";

export const restore: CommandEntry<"restore"> = {
  run: async (cmd, ctx) => runRestore(cmd, await ctx.context(), backupSetting(ctx.backup), backupActor(ctx)),
  text: renderRestoreText,
  json: asIs,
  ok: () => true,
};

/** `requests`: its command-table entry (its grammar is grammar.ts, its Slack rendering slack.ts). */
import { asIs, type CommandEntry } from "../entry.js";
import { runRequestChange, runRequests } from "./run.js";
import { renderRequestsText } from "./text.js";

export const requests: CommandEntry<"requests"> = {
  run: async (cmd, ctx) =>
    cmd.action === null
      ? runRequests(await ctx.store(), (await ctx.context()).now)
      : runRequestChange(
          cmd.action,
          cmd.id,
          await ctx.context(),
          await ctx.store(),
          // A resume backs volumes up first with the backup commands' store.
          ctx.backup ? { ...ctx.deletion, backups: ctx.backup } : ctx.deletion,
        ),
  text: renderRequestsText,
  json: asIs,
  ok: (r) => r.change === null || r.change.ok,
};

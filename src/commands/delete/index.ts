/**
 * `rm` and `prune`: their command-table entries, one runner for both (their grammar is
 * grammar.ts; their Slack renderings, one per message kind, slack-*.ts).
 */
import { asIs, type CommandEntry, type RunContext, sizesOf } from "../entry.js";
import type { CommandOf } from "../parse.js";
import { type DeletionResult, deletionSucceeded, runDeletion } from "./run.js";
import { renderDeletionText } from "./text.js";

/** rm and prune: a plan opens no store. */
async function deletion(cmd: CommandOf<"rm" | "prune">, ctx: RunContext): Promise<DeletionResult> {
  const c = await ctx.context();
  const store = ctx.deletion.mode === "plan" ? null : await ctx.store();
  return runDeletion(cmd, {
    ...c,
    ...ctx.deletion,
    store,
    sizes: sizesOf(ctx),
    ...(ctx.backup ? { backups: ctx.backup } : {}),
  });
}

const entry = { run: deletion, text: renderDeletionText, json: asIs, ok: deletionSucceeded };

export const rm: CommandEntry<"rm"> = entry;
export const prune: CommandEntry<"prune"> = entry;

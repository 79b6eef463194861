/**
 * A command's entry in the command table (table.ts), which each command's `index.ts` exports: how
 * it runs, with a typed result, its text (the CLI's output, and the file attached in Slack), its
 * JSON and whether it succeeded; and what a run may use (RunContext).
 */
import type { CommandContext } from "../docker/context.js";
import { SizeKeeper } from "../sizes/keeper.js";
import { type SizesSetting, type SizesSource, sizesSource } from "../sizes/view.js";
import type { Store } from "../store/store.js";
import type { BackupSetting } from "./backups/run.js";
import type { DeletionSetting } from "./delete/run.js";
import type { CommandName, CommandOf } from "./parse.js";
import type { ResultOf } from "./results.js";

/**
 * What a command may use, each made on first use: the config, the hosts and the clock (help uses
 * none: the CLI loads no config for it), the store, and how deletions run.
 */
export interface RunContext {
  context: () => Promise<CommandContext>;
  store: () => Promise<Store>;
  deletion: DeletionSetting;
  /** backup, backups and restore: the store of backups; absent where none is set up. */
  backup?: BackupSetting;
  /**
   * How sizes are measured (issue 12): the front end's keeper of measurements, settled by it once
   * the command has answered. Absent: one keeper for the process (tests).
   */
  sizes?: SizesSetting;
}

let processKeeper: SizeKeeper | undefined;

/** The SizesSource of a command run with `ctx`; `fresh` for `ls --fresh`. */
export function sizesOf(ctx: RunContext, fresh = false): SizesSource {
  processKeeper ??= new SizeKeeper();
  return sizesSource(ctx.sizes ?? { keeper: processKeeper }, ctx.store, fresh);
}

export type { BackupSetting, DeletionSetting };

export interface CommandEntry<K extends CommandName> {
  run(cmd: CommandOf<K>, ctx: RunContext): Promise<ResultOf<K>>;
  /** The result as text. */
  text(r: ResultOf<K>): string;
  /** The result as the CLI's --json prints it. */
  json(r: ResultOf<K>): unknown;
  /** False when a host failed to answer or a volume failed to be deleted (the CLI exits 1). */
  ok(r: ResultOf<K>): boolean;
}

/** The JSON of most results: the result itself. */
export const asIs = <T>(r: T): T => r;

/** True when every host asked answered. */
export function everyHostAnswered(r: { hosts: readonly { ok: boolean }[] }): boolean {
  return r.hosts.every((h) => h.ok);
}

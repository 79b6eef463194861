/**
 * The messages of a Restore button under a deletion's outcome: in the thread, the volume restored
 * (or why not, with the command that restores it under another name); to the person who clicked,
 * that it was restored already, is being restored, or is not this request's backup.
 */
import { inlineCode, section } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { clip, humanSize, num } from "../../format.js";
import { esc } from "../slack.js";
import { fallback, when, who } from "./slack-common.js";

/** What the store keeps of a restore done through the button (a memo per backup). */
export interface RestoreRecord {
  volume: string;
  by: string;
  at: string;
}

/** In the thread: `volume` is back, verified against its backup's manifest. */
export function renderRestored(p: {
  requestId: string;
  host: string;
  backupId: string;
  volume: string;
  user: string;
  entries: number;
  contentBytes: number;
}): SlackMessage {
  const line = `:leftwards_arrow_with_hook: ${inlineCode(p.volume)} *restored* on ${esc(p.host)} from backup ${inlineCode(p.backupId)} by ${who(p.user)}: ${num(p.entries)} entries, ${humanSize(p.contentBytes)}, verified against the backup's manifest.`;
  return {
    text: fallback(`${p.volume} restored on ${p.host} from ${p.backupId} (${p.requestId})`),
    blocks: [section(line)],
  };
}

/** In the thread: the restore did not happen (the name is taken, the backup is gone, it failed). */
export function renderRestoreFailed(p: {
  host: string;
  backupId: string;
  volume: string;
  user: string;
  error: string;
  nameTaken: boolean;
  /** Stopped at the worker's time limit (Lambda): the CLI has none. */
  timedOut?: boolean;
}): SlackMessage {
  const how = p.timedOut
    ? `The worker's time ran out before the restore ended (the half-made volume is removed): restore it from a terminal, where there is no such limit, with ${inlineCode(`dvol restore ${p.host} ${p.backupId}`)}.`
    : p.nameTaken
      ? `A volume named ${inlineCode(p.volume)} exists again on ${esc(p.host)}, and a restore never writes over one: restore it under another name with ${inlineCode(`/dvol restore ${p.host} ${p.backupId} --as NAME`)}, or click again once the name is free.`
      : `The backup is unchanged: click again once the cause is fixed, or use ${inlineCode(`/dvol restore ${p.host} ${p.backupId} --as NAME`)}.`;
  const line = `:x: The restore of ${inlineCode(p.volume)} from ${inlineCode(p.backupId)}, asked by ${who(p.user)}, did not happen: ${esc(clip(p.error, 1500))}\n${how}`;
  return { text: fallback(`restore of ${p.volume} from ${p.backupId} failed`), blocks: [section(line)] };
}

/** To the person who clicked: it was restored already (a second click). */
export function renderAlreadyRestored(backupId: string, done: RestoreRecord): SlackMessage {
  const line = `:white_check_mark: ${inlineCode(done.volume)} was already restored from ${inlineCode(backupId)} by ${who(done.by)} at ${when(done.at)}: nothing to do.`;
  return { text: fallback(`${done.volume} was already restored from ${backupId}`), blocks: [section(line)] };
}

/** To the person who clicked: another click is restoring it right now. */
export function renderRestoreBusy(backupId: string): SlackMessage {
  const line = `:hourglass_flowing_sand: ${inlineCode(backupId)} is being restored right now (another click): its outcome will be posted in the thread.`;
  return { text: fallback(`${backupId} is being restored`), blocks: [section(line)] };
}

/** To the person who clicked: the button does not name one of this request's backups. */
export function renderNotItsBackup(requestId: string, backupId: string): SlackMessage {
  const line = `:no_entry: ${inlineCode(backupId)} is not the backup of a volume ${esc(requestId)} deleted: nothing was restored. Use ${inlineCode("/dvol restore <host> <backup-id>")}.`;
  return { text: fallback(`${backupId} is not a backup of ${requestId}`), blocks: [section(line)] };
}

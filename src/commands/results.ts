/**
 * What each command returns: the typed result of every entry of the command table (table.ts).
 * Types only, so the Slack renderings can name them without importing any runner.
 */
import type { ReportResult } from "../report/dangling.js";
import type { BackupResult } from "./backup/run.js";
import type { BackupsResult } from "./backups/run.js";
import type { DeletionResult } from "./delete/run.js";
import type { HelpResult } from "./help/run.js";
import type { HostsResult } from "./hosts/run.js";
import type { InfoResult } from "./info/run.js";
import type { InspectResult } from "./inspect/run.js";
import type { LsResult } from "./ls/run.js";
import type { CommandName } from "./parse.js";
import type { RequestsResult } from "./requests/run.js";
import type { RestoreResult } from "./restore/run.js";

export interface ResultMap {
  help: HelpResult;
  hosts: HostsResult;
  info: InfoResult;
  ls: LsResult;
  inspect: InspectResult;
  rm: DeletionResult;
  prune: DeletionResult;
  requests: RequestsResult;
  report: ReportResult;
  backup: BackupResult;
  backups: BackupsResult;
  restore: RestoreResult;
}

/** The result of command K. */
export type ResultOf<K extends CommandName = CommandName> = ResultMap[K];

/** Any command's result. */
export type CommandResult = ResultOf;

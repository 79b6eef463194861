/**
 * What each command returns: the typed result of every entry of the command table
 * (src/commands/table.ts). Types only, so the Slack router's renderers can name them without
 * importing any runner.
 */
import type { ReportResult } from "../report/dangling.js";
import type { HelpResult } from "./help.js";
import type { HostsResult } from "./hosts.js";
import type { InfoResult } from "./info.js";
import type { InspectResult } from "./inspect.js";
import type { LsResult } from "./ls.js";
import type { CommandName } from "./parse.js";
import type { RequestsResult } from "./requests.js";
import type { DeletionResult } from "./rm.js";

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
}

/** The result of command K. */
export type ResultOf<K extends CommandName = CommandName> = ResultMap[K];

/** The results of the commands that only read (help and the host commands): one Slack renderer. */
export type ReadResult = ResultOf<"help" | "hosts" | "info" | "ls" | "inspect">;

/** Any command's result. */
export type CommandResult = ResultOf;

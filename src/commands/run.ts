import type { CommandContext } from "../docker/context.js";
import { UsageError } from "../errors.js";
import { type HelpResult, runHelp } from "./help.js";
import { type HostsResult, runHosts } from "./hosts.js";
import { type InfoResult, runInfo } from "./info.js";
import { type InspectResult, runInspect } from "./inspect.js";
import { type LsResult, runLs } from "./ls.js";
import type { Command } from "./parse.js";
import { type RequestsResult, renderRequestsText, runRequests } from "./requests.js";
import {
  type DeletionContext,
  type DeletionResult,
  deletionSucceeded,
  renderDeletionText,
  runDeletion,
} from "./rm.js";

export type CommandResult = HelpResult | HostsResult | InfoResult | LsResult | InspectResult;

/** The commands of deletion requests: they need a store and someone acting (runDeletionCommand). */
export type DeletionCommand = Extract<Command, { name: "rm" | "prune" | "requests" }>;
export type DeletionCommandResult = DeletionResult | RequestsResult;

export function isDeletionCommand(cmd: Command): cmd is DeletionCommand {
  return cmd.name === "rm" || cmd.name === "prune" || cmd.name === "requests";
}

/** Runs rm, prune (in the context's mode) or requests. */
export async function runDeletionCommand(
  cmd: DeletionCommand,
  ctx: DeletionContext,
): Promise<DeletionCommandResult> {
  if (cmd.name !== "requests") return runDeletion(cmd, ctx);
  if (!ctx.store) throw new Error("requests: no store");
  return runRequests(ctx.store, ctx.now);
}

export function renderDeletionCommandText(r: DeletionCommandResult): string {
  return r.command === "requests" ? renderRequestsText(r) : renderDeletionText(r);
}

/** False when a volume failed to be deleted. */
export function deletionCommandSucceeded(r: DeletionCommandResult): boolean {
  return r.command === "requests" || deletionSucceeded(r);
}

/** Runs a parsed read command. Unknown hosts and bad names throw before any host is asked. */
export function runCommand(cmd: Command, ctx: CommandContext): Promise<CommandResult> {
  switch (cmd.name) {
    case "rm":
    case "prune":
    case "requests":
      return Promise.reject(
        new UsageError(`${cmd.name}: deletion requests are not available here yet`, {
          hint: "Use the dvol CLI for now.",
        }),
      );
    case "report":
      return Promise.reject(
        new UsageError("report: needs the store, run by the CLI or the bot's worker", {
          hint: "Use the dvol CLI: dvol report",
        }),
      );
    case "help":
      return Promise.resolve(runHelp(cmd.topic));
    case "hosts":
      return runHosts(ctx);
    case "info":
      return runInfo(cmd.host, ctx);
    case "ls":
      return runLs(cmd, ctx);
    case "inspect":
      return runInspect(cmd.host, cmd.volume, ctx);
  }
}

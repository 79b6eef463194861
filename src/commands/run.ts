import type { CommandContext } from "./context.js";
import { type HelpResult, runHelp } from "./help.js";
import { type HostsResult, renderHostsText, runHosts } from "./hosts.js";
import { type InfoResult, renderInfoText, runInfo } from "./info.js";
import { type InspectResult, renderInspectText, runInspect } from "./inspect.js";
import { type LsResult, renderLsText, runLs } from "./ls.js";
import type { Command } from "./parse.js";

export type CommandResult = HelpResult | HostsResult | InfoResult | LsResult | InspectResult;

/** Runs a parsed command. Unknown hosts and bad names throw before any host is asked. */
export function runCommand(cmd: Command, ctx: CommandContext): Promise<CommandResult> {
  switch (cmd.name) {
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

export function renderText(r: CommandResult): string {
  switch (r.command) {
    case "help":
      return r.text;
    case "hosts":
      return renderHostsText(r);
    case "info":
      return renderInfoText(r);
    case "ls":
      return renderLsText(r);
    case "inspect":
      return renderInspectText(r);
  }
}

/** True when every host asked answered (help asks none). */
export function everyHostAnswered(r: CommandResult): boolean {
  return r.command === "help" || r.hosts.every((h) => h.ok);
}

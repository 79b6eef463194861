/** `help` as text: the overview of every command, or one command's usage, options and examples. */
import { COMMANDS, findCommand, optionValue, TARGET_HELP, usageLine } from "../grammar.js";
import type { CommandSpec } from "../spec.js";

/** The overview's parts, shared with its Slack rendering (slack.ts). */
export const HELP_INTRO = "dvol: the Docker storage of your hosts. Commands:";
export const CLI_USAGE = "dvol [--config FILE] [--json] [--yes] <command> ...";
export const SLACK_USAGE = "/dvol <command> ...";
export const HELP_MORE = "Details and examples: help <command>";

function commandHelp(spec: CommandSpec): string {
  const lines = [usageLine(spec), `  ${spec.summary}`];
  if (spec.args.some((a) => a.kind === "target")) lines.push(`  ${TARGET_HELP}`);
  for (const o of spec.options) lines.push(`  --${o.name}${optionValue(o)}: ${o.help}`);
  lines.push("  Examples:", ...spec.examples.map((e) => `    dvol ${e}`));
  return lines.join("\n");
}

/** The help of `topic` (a command's name), or the overview when it names none. */
export function renderHelpText(topic: string | null): string {
  const spec = topic === null ? undefined : findCommand(topic);
  if (spec) return commandHelp(spec);
  return [
    HELP_INTRO,
    ...COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`),
    "",
    `CLI: ${CLI_USAGE}   Slack: ${SLACK_USAGE}`,
    HELP_MORE,
  ].join("\n");
}

/**
 * `help` in Slack, rendered from the grammar (the commands' grammar entries): the overview lists
 * every command with its summary; a command's help shows its usage and examples as code, as they
 * are typed in Slack, and each option with what it does.
 */
import { codePieces, fallbackText, header, inlineCode, sections, textPieces } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { COMMANDS, findCommand, optionValue, TARGET_HELP, usageLine } from "../grammar.js";
import { esc, fitted } from "../slack.js";
import type { CommandSpec } from "../spec.js";
import type { HelpResult } from "./run.js";
import { CLI_USAGE, HELP_INTRO, HELP_MORE, renderHelpText, SLACK_USAGE } from "./text.js";

function overview(): string[] {
  return [
    ...textPieces([esc(HELP_INTRO), ...COMMANDS.map((c) => `• ${inlineCode(c.name)} ${esc(c.summary)}`)]),
    ...textPieces([`CLI: ${inlineCode(CLI_USAGE)}   Slack: ${inlineCode(SLACK_USAGE)}`, esc(HELP_MORE)]),
  ];
}

function commandHelp(spec: CommandSpec): string[] {
  return [
    ...codePieces([`/${usageLine(spec)}`]),
    ...textPieces([
      esc(spec.summary),
      ...(spec.args.some((a) => a.kind === "target") ? [esc(TARGET_HELP)] : []),
      ...spec.options.map((o) => `• ${inlineCode(`--${o.name}${optionValue(o)}`)} ${esc(o.help)}`),
      "*Examples*",
    ]),
    ...codePieces(spec.examples.map((e) => `/dvol ${e}`)),
  ];
}

/** The help of a topic (a command's name), or the overview when it names none. */
export function renderHelpSlack(r: Pick<HelpResult, "topic">): SlackMessage {
  const spec = r.topic === null ? undefined : findCommand(r.topic);
  const title = r.topic === null ? "dvol help" : `dvol help ${r.topic}`;
  const first = spec ? usageLine(spec) : HELP_INTRO;
  const full: SlackMessage = {
    text: fallbackText(r.topic === null ? first : `${title}: ${first}`),
    blocks: [header(title), ...sections(spec ? commandHelp(spec) : overview())],
  };
  return fitted(full, { command: "help", hosts: [] }, () => renderHelpText(r.topic));
}

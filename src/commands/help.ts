import { COMMANDS, type CommandSpec, findCommand, TARGET_HELP, usageLine } from "./grammar.js";

export interface HelpResult {
  command: "help";
  topic: string | null;
  text: string;
}

function commandHelp(spec: CommandSpec): string {
  const lines = [usageLine(spec), `  ${spec.summary}`];
  if (spec.args.some((a) => a.kind === "target")) lines.push(`  ${TARGET_HELP}`);
  for (const o of spec.options) {
    const value = o.kind === "flag" ? "" : ` ${o.metavar ?? o.values?.join("|") ?? "VALUE"}`;
    lines.push(`  --${o.name}${value}: ${o.help}`);
  }
  lines.push("  Examples:", ...spec.examples.map((e) => `    dvol ${e}`));
  return lines.join("\n");
}

export function runHelp(topic: string | null): HelpResult {
  const spec = topic === null ? undefined : findCommand(topic);
  const text = spec
    ? commandHelp(spec)
    : [
        "dvol: the Docker storage of your hosts. Commands:",
        ...COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`),
        "",
        "CLI: dvol [--config FILE] [--json] [--yes] <command> ...   Slack: /dvol <command> ...",
        "Details and examples: help <command>",
      ].join("\n");
  return { command: "help", topic, text };
}

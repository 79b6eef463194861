/** `help [command]`: runs on the grammar alone (no config, no host). */
import { renderHelpText } from "./text.js";

export interface HelpResult {
  command: "help";
  topic: string | null;
  text: string;
}

export function runHelp(topic: string | null): HelpResult {
  return { command: "help", topic, text: renderHelpText(topic) };
}

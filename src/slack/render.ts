import type { CommandResult } from "../commands/run.js";
import { renderText } from "../commands/run.js";
import type { SlackMessage } from "./message.js";

/** PLACEHOLDER until the Block Kit renderings land: the text rendering in a code block. */
export function renderSlack(result: CommandResult): SlackMessage {
  const text = renderText(result);
  return {
    text: `dvol ${result.command}`,
    blocks: [{ type: "section", text: { type: "mrkdwn", text: `\`\`\`${text.slice(0, 2900)}\`\`\`` } }],
  };
}

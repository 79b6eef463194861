/** Small messages the router and the worker answer with, shared without pulling Bolt into the worker. */

import { escapeMrkdwn } from "../blocks/blocks.js";
import type { SlackMessage } from "../blocks/message.js";

/** Text typed by a user, safe inside a mrkdwn code span, on one line, at most 200 characters. */
export function codeSpan(text: string): string {
  const clean = escapeMrkdwn(text.replace(/`/g, "'").replace(/\s+/g, " ").trim());
  return `\`${clean.length > 200 ? `${clean.slice(0, 200)}…` : clean}\``;
}

/** A one-section message. */
export function plain(text: string): SlackMessage {
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}

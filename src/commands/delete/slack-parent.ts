/**
 * The parent message of a deletion request in the channel: headline, state, what was typed.
 * Posted when the request opens, then updated (chat.update) as it changes.
 */
import { context, fits, inlineCode, sections, textPieces } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { clip, plural } from "../../format.js";
import type { DeletionRequest } from "../../store/records.js";
import { esc } from "../slack.js";
import { fallback, headline, headlinePlain, stateLine } from "./slack-common.js";

/** The parent message in the channel: headline, state, what was typed. Posted, then updated. */
export function renderRequestParent(r: DeletionRequest, now: Date = new Date()): SlackMessage {
  const lines = [`*${headline(r)}*`, stateLine(r, now)];
  const facts = [inlineCode(`/dvol ${r.command}`)];
  if (r.blocked.length > 0) facts.push(`${plural(r.blocked.length, "volume")} blocked (see the thread)`);
  if (r.reason) facts.push(`reason: ${esc(clip(r.reason, 500))}`);
  const msg: SlackMessage = {
    text: fallback(`${headlinePlain(r)} (${r.status})`),
    blocks: [...sections(textPieces(lines)), context(facts.join(" · "))],
  };
  return fits(msg) ? msg : { text: msg.text, blocks: sections(textPieces(lines)) };
}

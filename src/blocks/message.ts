/** The message every Slack rendering returns and the poster sends. */
import type { KnownBlock } from "@slack/types";

/** A message as dvol posts it: fallback text, blocks, and optionally the whole result as a file. */
export interface SlackMessage {
  /** Notification and fallback text (also what screen readers get). */
  text: string;
  blocks: KnownBlock[];
  /** Set when the result does not fit in one message: the blocks summarise, the file has it all. */
  file?: { filename: string; title: string; content: string };
}

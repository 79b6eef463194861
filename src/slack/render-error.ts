/**
 * The ephemeral reply to a command that failed as a whole (bad usage, unknown host, bad volume
 * name, config error, a bug): what happened, what to do, and the usage when there is one.
 */

import { codePieces, escapeMrkdwn, fallbackText, sections, textPieces } from "../blocks/blocks.js";
import { checkMessage } from "../blocks/limits.js";
import type { SlackMessage } from "../blocks/message.js";
import { DvolError, describeError, UsageError } from "../errors.js";
import { clip } from "../format.js";

const MAX_WHAT = 1500;
const MAX_HINT = 800;
const MAX_USAGE = 4000;

/** What to do when the error itself does not say. */
function defaultHint(err: unknown, usage: string | undefined): string {
  if (err instanceof UsageError) return usage ? "Check the command against its usage:" : "See: /dvol help";
  if (err instanceof DvolError) {
    switch (err.kind) {
      case "config":
        return "Ask whoever runs dvol to fix its config.";
      case "host":
        return "Check that the host is up and reachable, then try again.";
      default:
        return "See: /dvol help";
    }
  }
  return "This is a bug in dvol or a passing failure: try again, and if it keeps happening, tell whoever runs dvol.";
}

/** An ephemeral error reply; `usage` (or the UsageError's own) is shown in a code block. */
export function renderError(err: unknown, usage?: string): SlackMessage {
  const use = usage ?? (err instanceof UsageError ? err.usage : undefined);
  const what = err instanceof DvolError ? err.message : describeError(err);
  const hint = (err instanceof DvolError ? err.hint : undefined) ?? defaultHint(err, use);
  // Slack users type /dvol: show the usage as they would type it.
  const usageLines = use
    ? clip(use, MAX_USAGE)
        .split("\n")
        .map((l) => l.replace(/^(\s*)dvol /, "$1/dvol "))
    : [];
  const pieces = [
    ...textPieces([`:warning: ${escapeMrkdwn(clip(what, MAX_WHAT))}`, escapeMrkdwn(clip(hint, MAX_HINT))]),
    ...(usageLines.length ? codePieces(usageLines, { lead: "*Usage*" }) : []),
  ];
  const text = fallbackText(`dvol: ${describeError(err)}`);
  const msg: SlackMessage = { text, blocks: sections(pieces) };
  if (checkMessage(msg).length === 0) return msg;
  // Never expected (everything above is clipped), but an error reply must always be postable.
  return { text, blocks: sections(textPieces([escapeMrkdwn(clip(what, 1000))])) };
}

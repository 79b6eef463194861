/**
 * The text of a read command's result (the CLI's output, and the file attached in Slack): each
 * command's own text module, chosen by the result's kind. It imports no engine code, so the Slack
 * handler renders with it without bundling any.
 */
import { renderHostsText } from "./hosts-text.js";
import { renderInfoText } from "./info-text.js";
import { renderInspectText } from "./inspect-text.js";
import { renderLsText } from "./ls-text.js";
import type { ReadResult } from "./results.js";

export function renderText(r: ReadResult): string {
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
export function everyHostAnswered(r: ReadResult): boolean {
  return r.command === "help" || r.hosts.every((h) => h.ok);
}

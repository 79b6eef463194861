/** `/dvol restore` in Slack: the volume made, from which backup, and from which host. */
import { fallbackText, header, inlineCode, sections, textPieces } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { humanSize, shortTime } from "../../format.js";
import { esc } from "../slack.js";
import type { RestoreResult } from "./run.js";

export function renderRestoreSlack(r: RestoreResult): SlackMessage {
  const b = r.backup;
  const lines = [
    `:white_check_mark: Restored ${inlineCode(b.id)} into the new volume *${esc(r.volume)}* on *${esc(r.host)}*: ${r.entries} entries, ${humanSize(r.contentBytes)}, verified against the backup's manifest.`,
    `Backup of *${esc(b.volume)}* on *${esc(b.host)}*, taken ${shortTime(b.startedAt)} UTC by ${b.who.startsWith("cli:") ? esc(b.who) : `<@${esc(b.who)}>`}${b.why ? ` (${esc(b.why)})` : ""}.`,
    ...(r.fromOtherHost
      ? [
          `:twisted_rightwards_arrows: Restored onto another host: the backup was taken on *${esc(r.fromOtherHost)}*, the volume is on *${esc(r.host)}*.`,
        ]
      : []),
  ];
  return {
    text: fallbackText(`dvol restore ${r.host}: ${b.id} restored into ${r.volume}`),
    blocks: [header(`dvol restore ${r.host} ${r.volume}`), ...sections(textPieces(lines))],
  };
}

/** `/dvol backup` in Slack: per volume its backup (id, size, checksum), or why there is none. */
import { fallbackText, header, inlineCode, sections, textPieces } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { humanSize } from "../../format.js";
import { esc, fitted } from "../slack.js";
import type { BackupResult } from "./run.js";
import { renderBackupText } from "./text.js";

export function renderBackupSlack(r: BackupResult): SlackMessage {
  const done = r.volumes.filter((v) => v.ok).length;
  const lines = r.volumes.map((v) => {
    const b = v.backup;
    if (b) {
      return `:white_check_mark: *${esc(v.volume)}* backed up as ${inlineCode(b.id)}: ${humanSize(b.contentBytes)} in ${b.entries} entries, archive ${humanSize(b.sizeBytes)}, sha256 ${inlineCode(b.sha256 ?? "")}`;
    }
    return `:x: *${esc(v.volume)}* not backed up: ${esc(v.error ?? "failed")}${v.hint ? `\n      ${esc(v.hint)}` : ""}`;
  });
  if (done > 0) lines.push(`Restore with ${inlineCode(`/dvol restore ${r.host} <backup-id> [--as NAME]`)}.`);
  const summary = `${done} of ${r.volumes.length} backed up`;
  const full: SlackMessage = {
    text: fallbackText(`dvol backup ${r.host}: ${summary}`),
    blocks: [
      header(`dvol backup ${r.host} · ${summary}`),
      ...sections(
        textPieces([`To ${esc(r.location)}${r.reason ? ` · why: ${esc(r.reason)}` : ""}`, ...lines]),
      ),
    ],
  };
  return fitted(full, { command: "backup", hosts: [{ host: r.host }] }, () => renderBackupText(r));
}

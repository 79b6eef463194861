/**
 * `/dvol backups` in Slack: the backups as a table, newest first, failed ones marked FAILED with
 * why; too many for one message, the beginning with the whole list attached (the text rendering).
 */
import { codePieces, fallbackText, header, sections, textPieces } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { humanSize, plural } from "../../format.js";
import { esc, fitted, grid } from "../slack.js";
import type { BackupsResult } from "./run.js";
import { age, renderBackupsText, scopeText, shortSum } from "./text.js";

export function renderBackupsSlack(r: BackupsResult): SlackMessage {
  const title = `dvol backups${scopeText(r)}`;
  const failed = r.backups.filter((b) => !b.restorable).length;
  const lead = `${plural(r.backups.length, "backup")} in ${esc(r.location)}${failed ? ` · ${failed} failed (never restorable)` : ""}`;
  const rows = r.backups.map((b) => [
    b.id,
    b.host,
    b.volume,
    b.restorable ? humanSize(b.sizeBytes) : "-",
    age(b.ageSeconds),
    b.who,
    shortSum(b),
    b.restorable ? "complete" : `FAILED: ${b.error ?? "incomplete"}`,
    b.why ?? "-",
  ]);
  const [head = "", ...lines] = grid(
    [["ID", "HOST", "VOLUME", "SIZE", "AGE", "WHO", "SHA256", "STATUS", "WHY"], ...rows],
    [3],
  );
  const pieces = r.backups.length === 0 ? textPieces([lead]) : codePieces(lines, { head: [head], lead });
  const full: SlackMessage = {
    text: fallbackText(`${title}: ${plural(r.backups.length, "backup")}`),
    blocks: [header(title), ...sections(pieces)],
  };
  return fitted(full, { command: "backups", hosts: (r.hosts ?? []).map((host) => ({ host })) }, () =>
    renderBackupsText(r),
  );
}

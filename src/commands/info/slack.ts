/**
 * `info` in Slack: per host its storage (driver, driver status, root dir, snapshotter) and its
 * `docker system df` as a table with each type's share.
 */
import { codePieces, fallbackText, header, inlineCode, sections, textPieces } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { bar, humanSize, num } from "../../format.js";
import { resultNow } from "../sizes.js";
import { esc, failureLines, fitted, grid, hostsLabel, pct } from "../slack.js";
import type { InfoResult } from "./run.js";
import { dfView, renderInfoText } from "./text.js";

function renderFull(r: InfoResult): SlackMessage {
  const pieces: string[] = [];
  const facts: string[] = [];
  const now = resultNow(r);
  for (const h of r.hosts) {
    if (!h.ok) {
      pieces.push(...textPieces(failureLines(h)));
      facts.push(`${h.host} unavailable`);
      continue;
    }
    const s = h.storage;
    pieces.push(
      ...textPieces([
        `*${esc(h.host)}* · Docker ${esc(h.engineVersion)} (API ${esc(h.apiVersion)})`,
        `*Storage Driver:* ${esc(s.storageDriver || "?")}`,
        ...s.driverStatus.map(([k, v]) => `      • ${esc(k)}: ${esc(v)}`),
        `*Docker Root Dir:* ${inlineCode(s.dockerRootDir)}`,
        `*containerd snapshotter:* ${s.containerdSnapshotter ? "yes" : "no"}`,
      ]),
    );
    const df = dfView(h, now);
    const total = df.totalBytes;
    const reclaim = df.reclaimableBytes;
    if (df.note) pieces.push(`*Disk usage:* ${esc(df.note)}`);
    if (df.rows.length === 0) {
      pieces.push("*Disk usage:* the engine did not report it");
    } else {
      const rows = df.rows.map(([label, count, active, size, reclaimText, share]) => [
        label,
        count === "-" ? count : num(Number(count)),
        active === "-" ? active : num(Number(active)),
        size,
        reclaimText,
        share === null ? "" : `${bar(share)} ${pct(share)}`,
      ]);
      const [head = "", ...body] = grid(
        [["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE", "SHARE"], ...rows],
        [1, 2, 3, 4],
      );
      pieces.push(
        ...codePieces(body, {
          head: [head],
          lead: df.note
            ? `*Disk usage* (known part): ${humanSize(total)}, ${humanSize(reclaim)} reclaimable`
            : `*Disk usage* (docker system df): ${humanSize(total)}, ${humanSize(reclaim)} reclaimable`,
        }),
      );
    }
    facts.push(
      df.note
        ? `${h.host}: ${s.storageDriver}, disk usage late`
        : `${h.host}: ${s.storageDriver}, ${humanSize(total)} used, ${humanSize(reclaim)} reclaimable`,
    );
  }
  return {
    text: fallbackText(`dvol info ${facts.join("; ")}`),
    blocks: [header(`dvol info ${hostsLabel(r.hosts)}`), ...sections(pieces)],
  };
}

export function renderInfoSlack(r: InfoResult): SlackMessage {
  return fitted(renderFull(r), r, () => renderInfoText(r));
}

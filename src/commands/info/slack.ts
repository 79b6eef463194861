/**
 * `info` in Slack: per host its storage (driver, driver status, root dir, snapshotter) and its
 * `docker system df` as a table with each type's share.
 */
import { codePieces, fallbackText, header, inlineCode, sections, textPieces } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { bar, humanSize, num } from "../../format.js";
import { esc, failureLines, fitted, grid, hostsLabel, pct } from "../slack.js";
import type { InfoResult } from "./run.js";
import { DF_TYPES, renderInfoText } from "./text.js";

function renderFull(r: InfoResult): SlackMessage {
  const pieces: string[] = [];
  const facts: string[] = [];
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
    const known = DF_TYPES.filter(([k]) => h.diskUsage[k] !== null);
    const total = known.reduce((a, [k]) => a + (h.diskUsage[k]?.sizeBytes ?? 0), 0);
    const reclaim = known.reduce((a, [k]) => a + (h.diskUsage[k]?.reclaimableBytes ?? 0), 0);
    if (known.length === 0) {
      pieces.push("*Disk usage:* the engine did not report it");
    } else {
      const rows = known.map(([k, label]) => {
        const u = h.diskUsage[k];
        const size = u?.sizeBytes ?? 0;
        const share = total > 0 ? size / total : 0;
        const rpct = size > 0 ? Math.round(((u?.reclaimableBytes ?? 0) / size) * 100) : 0;
        return [
          label,
          num(u?.count ?? 0),
          num(u?.active ?? 0),
          humanSize(size),
          `${humanSize(u?.reclaimableBytes ?? 0)} (${rpct}%)`,
          `${bar(share)} ${pct(share)}`,
        ];
      });
      const [head = "", ...body] = grid(
        [["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE", "SHARE"], ...rows],
        [1, 2, 3, 4],
      );
      pieces.push(
        ...codePieces(body, {
          head: [head],
          lead: `*Disk usage* (docker system df): ${humanSize(total)}, ${humanSize(reclaim)} reclaimable`,
        }),
      );
    }
    facts.push(`${h.host}: ${s.storageDriver}, ${humanSize(total)} used, ${humanSize(reclaim)} reclaimable`);
  }
  return {
    text: fallbackText(`dvol info ${facts.join("; ")}`),
    blocks: [header(`dvol info ${hostsLabel(r.hosts)}`), ...sections(pieces)],
  };
}

export function renderInfoSlack(r: InfoResult): SlackMessage {
  return fitted(renderFull(r), r, () => renderInfoText(r));
}

/** `inspect` in Slack: one volume's facts, its options and labels, and the containers that use it. */
import { codePieces, fallbackText, header, inlineCode, sections, textPieces } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { humanSize, plural, shortTime, yesNo } from "../../format.js";
import { esc, failureLines, fitted } from "../slack.js";
import type { InspectResult } from "./run.js";
import { renderInspectText } from "./text.js";

function pairLines(m: Record<string, string>): string[] {
  return Object.entries(m)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
}

function renderFull(r: InspectResult): SlackMessage {
  const pieces: string[] = [];
  const facts: string[] = [];
  let title = "dvol inspect";
  for (const h of r.hosts) {
    if (!h.ok) {
      pieces.push(...textPieces(failureLines(h)));
      facts.push(`${h.host} unavailable`);
      title = `dvol inspect ${h.host}`;
      continue;
    }
    const v = h.volume;
    title = `dvol inspect ${h.host} ${v.name}`;
    const used = v.containers.length;
    pieces.push(
      ...textPieces([
        `*${esc(v.name)}* on *${esc(h.host)}*`,
        `*Size:* ${humanSize(v.sizeBytes)} · *Created:* ${shortTime(v.createdAt)} UTC · *Driver:* ${esc(v.driver)} · *Scope:* ${esc(v.scope)}`,
        `*Compose project:* ${v.project === null ? "none" : esc(v.project)} · *Dangling:* ${yesNo(v.dangling)}`,
        `*Mountpoint:* ${inlineCode(v.mountpoint)}`,
      ]),
    );
    for (const [name, m] of [
      ["Options", v.options],
      ["Labels", v.labels],
    ] as const) {
      const lines = pairLines(m);
      pieces.push(...(lines.length ? codePieces(lines, { lead: `*${name}*` }) : [`*${name}:* none`]));
    }
    const containers = v.containers.map(
      (c) =>
        `• *${esc(c.name)}* (${esc(c.state)}) · image ${inlineCode(c.image)} · at ${inlineCode(c.mountPath)} · ${c.readOnly ? "read-only" : "read-write"}`,
    );
    pieces.push(
      ...textPieces([
        used === 0 ? "*Used by no container*" : `*Used by ${plural(used, "container")}:*`,
        ...containers,
      ]),
    );
    facts.push(`${h.host} ${v.name}: ${humanSize(v.sizeBytes)}, used by ${plural(used, "container")}`);
  }
  return {
    text: fallbackText(`dvol inspect ${facts.join("; ")}`),
    blocks: [header(title), ...sections(pieces)],
  };
}

export function renderInspectSlack(r: InspectResult): SlackMessage {
  return fitted(renderFull(r), r, () => renderInspectText(r));
}

/** `inspect` in Slack: one volume's facts, its options and labels, and the containers that use it. */
import { codePieces, fallbackText, header, inlineCode, sections, textPieces } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { plural, shortTime, yesNo } from "../../format.js";
import { resultNow, sizesNote } from "../sizes.js";
import { esc, failureLines, fitted } from "../slack.js";
import type { InspectResult } from "./run.js";
import { inspectSize, renderInspectText } from "./text.js";

function pairLines(m: Record<string, string>): string[] {
  return Object.entries(m)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
}

function renderFull(r: InspectResult): SlackMessage {
  const now = resultNow(r);
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
    const size = inspectSize(v, h.sizes, now);
    const note = sizesNote(h.sizes, now);
    pieces.push(
      ...textPieces([
        `*${esc(v.name)}* on *${esc(h.host)}*`,
        `*Size:* ${esc(size)} · *Created:* ${shortTime(v.createdAt)} UTC · *Driver:* ${esc(v.driver)} · *Scope:* ${esc(v.scope)}`,
        `*Compose project:* ${v.project === null ? "none" : esc(v.project)} · *Dangling:* ${yesNo(v.dangling)}`,
        `*Mountpoint:* ${inlineCode(v.mountpoint)}`,
        ...(note ? [`_${esc(note)}_`] : []),
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
    facts.push(`${h.host} ${v.name}: ${size}, used by ${plural(used, "container")}`);
  }
  return {
    text: fallbackText(`dvol inspect ${facts.join("; ")}`),
    blocks: [header(title), ...sections(pieces)],
  };
}

export function renderInspectSlack(r: InspectResult): SlackMessage {
  return fitted(renderFull(r), r, () => renderInspectText(r));
}

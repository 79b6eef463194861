/** `hosts` in Slack: one line per host, reachable or not and why, under a header that counts them. */
import { fallbackText, header, inlineCode, sections, textPieces } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import type { HostFailureResult } from "../../docker/fanout.js";
import { num, plural } from "../../format.js";
import { esc, failureLines, fitted, nameList } from "../slack.js";
import type { HostsResult } from "./run.js";
import { renderHostsText } from "./text.js";

function renderFull(r: HostsResult): SlackMessage {
  const up = r.hosts.filter((h) => h.ok);
  const down = r.hosts.filter((h): h is HostFailureResult => !h.ok);
  const state =
    r.hosts.length === 0
      ? ""
      : down.length === 0
        ? "all reachable"
        : up.length === 0
          ? "none reachable"
          : `${num(up.length)} reachable, ${num(down.length)} unreachable`;
  const lines =
    r.hosts.length === 0
      ? ["No host is registered in the config."]
      : r.hosts.flatMap((h) => {
          if (!h.ok)
            return failureLines(h).map((l, i) => (i === 0 ? l.replace(" unavailable:", " unreachable:") : l));
          const api =
            h.engineApiVersion && h.engineApiVersion !== h.apiVersion
              ? `API ${esc(h.engineApiVersion)} (dvol uses ${esc(h.apiVersion)})`
              : `API ${esc(h.apiVersion)}`;
          return [
            [
              `✅ *${esc(h.host)}*`,
              `Docker ${esc(h.engineVersion || "?")}`,
              api,
              esc(h.storageDriver || "?"),
              plural(h.volumeCount, "volume"),
              ...(h.gated ? ["gated"] : []),
              inlineCode(h.endpoint),
            ].join(" · "),
          ];
        });
  const title = ["dvol hosts", plural(r.hosts.length, "host"), state].filter(Boolean).join(" · ");
  const unreachable = down.length ? `; unreachable: ${nameList(down.map((h) => h.host))}` : "";
  return {
    text: fallbackText(`dvol hosts: ${plural(r.hosts.length, "host")}, ${state || "none"}${unreachable}`),
    blocks: [header(title), ...sections(textPieces(lines))],
  };
}

export function renderHostsSlack(r: HostsResult): SlackMessage {
  return fitted(renderFull(r), r, () => renderHostsText(r));
}

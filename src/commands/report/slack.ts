/**
 * The dangling report in Slack (SPEC §5): a header, one summary line, and per host a line with
 * its count, space and share bar, then its largest volumes as room allows. Whatever is left out
 * (volumes, or hosts past what fits) is in the attached file, the complete text rendering.
 */
import type { KnownBlock } from "@slack/types";
import { codePieces, context, escapeMrkdwn, fits, header, section, sections } from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import { bar, clip, humanSize, plural, shortTime } from "../../format.js";
import type { ReportResult } from "../../report/dangling.js";
import { sizesNote, sizeWithAge } from "../sizes.js";
import { failureReason } from "../slack.js";
import { age, danglingGrowth, growersLine, growthText, renderReportText, shares } from "./text.js";

/** How many of each host's largest volumes the message shows, most first, as room allows. */
const LARGEST = [5, 3, 1, 0] as const;
const MAX_REASON = 120;

function reportSummary(r: ReportResult): string {
  const ok = r.hosts.filter((h) => h.ok);
  const count = ok.reduce((a, h) => a + (h.ok ? h.danglingCount : 0), 0);
  const bytes = ok.reduce((a, h) => a + (h.ok ? h.danglingBytes : 0), 0);
  const failed = r.hosts.length - ok.length;
  return `${plural(count, "dangling volume")}, ${humanSize(bytes)}, on ${plural(ok.length, "host")}${
    failed ? `; ${plural(failed, "host")} unavailable` : ""
  }`;
}

/** The host lines (raw, for a code block) with at most `largest` volumes each. */
function hostLines(r: ReportResult, largest: number): { lines: string[]; omitted: boolean } {
  const now = new Date(r.at);
  const share = new Map(shares(r).map((s) => [s.host, s.share]));
  const width = Math.min(30, Math.max(...r.hosts.map((h) => h.host.length), 4));
  const lines: string[] = [];
  let omitted = false;
  for (const h of r.hosts) {
    if (!h.ok) {
      lines.push(`${h.host.padEnd(width)}  unavailable: ${clip(failureReason(h), MAX_REASON)}`);
      continue;
    }
    lines.push(
      `${h.host.padEnd(width)}  ${String(h.danglingCount).padStart(5)}  ${humanSize(h.danglingBytes).padStart(8)}  ${bar(share.get(h.host) ?? 0)}${danglingGrowth(h, r.date)}`,
    );
    const note = sizesNote(h.sizes, now);
    if (note) lines.push(`    ${clip(note, MAX_REASON + 60)}`);
    const growers = growersLine(h, r.date);
    if (growers) lines.push(`    ${clip(growers, 240)}`);
    const shown = h.volumes.slice(0, largest);
    if (shown.length < h.volumes.length) omitted = true;
    for (const v of shown) {
      const grew = h.growth ? `  ${growthText(v.growthBytes ?? null)}` : "";
      lines.push(
        `    ${clip(v.name, 60)}  ${sizeWithAge(v, h.sizes, now)}${grew}  ${v.project ?? "-"}  age ${age(v.createdAt, now)}  since ${shortTime(v.danglingSince)}`,
      );
    }
  }
  return { lines, omitted };
}

/** The action_id of a report's "Request cleanup" buttons. */
export const CLEANUP_ACTION = "dvol_report_cleanup";

/** The value of a "Request cleanup" control: the report's id and the host's place in it. */
export function cleanupValue(reportId: string, index: number): string {
  return `${reportId}:${index}`;
}

export function parseCleanupValue(value: unknown): { id: string; index: number } | null {
  if (typeof value !== "string") return null;
  const m = /^(RP-[0-9A-F]{12}):(\d{1,4})$/.exec(value);
  return m ? { id: m[1] as string, index: Number(m[2]) } : null;
}

const BUTTON_HOST = 40;

/** The hosts a cleanup can be asked for, with their place in the report. */
function cleanable(r: ReportResult): { host: string; index: number }[] {
  return r.hosts.flatMap((h, index) => (h.ok && h.danglingCount > 0 ? [{ host: h.host, index }] : []));
}

/** One "Request cleanup" button per host with dangling volumes, 25 to an actions block. */
function cleanupButtons(r: ReportResult, reportId: string): KnownBlock[] {
  const buttons = cleanable(r).map(({ host, index }) => ({
    type: "button" as const,
    action_id: `${CLEANUP_ACTION}:${index}`,
    text: { type: "plain_text" as const, text: `Request cleanup: ${clip(host, BUTTON_HOST)}` },
    value: cleanupValue(reportId, index),
  }));
  const blocks: KnownBlock[] = [];
  for (let i = 0; i < buttons.length; i += 25)
    blocks.push({ type: "actions", elements: buttons.slice(i, i + 25) });
  return blocks;
}

/** When buttons do not fit: one menu of the hosts (up to 100, Slack's limit). */
function cleanupMenu(r: ReportResult, reportId: string): KnownBlock[] {
  const hosts = cleanable(r).slice(0, 100);
  if (hosts.length === 0) return [];
  return [
    {
      type: "actions",
      elements: [
        {
          type: "static_select",
          action_id: CLEANUP_ACTION,
          placeholder: { type: "plain_text", text: "Request cleanup of a host…" },
          options: hosts.map(({ host, index }) => ({
            text: { type: "plain_text", text: clip(host, 75) },
            value: cleanupValue(reportId, index),
          })),
        },
      ],
    },
  ];
}

/** The report as a Slack message within Slack's limits (with room for one more block). */
export function renderReportSlack(r: ReportResult, opts: { reportId?: string } = {}): SlackMessage {
  const controls = opts.reportId
    ? [cleanupButtons(r, opts.reportId), cleanupMenu(r, opts.reportId)]
    : [[] as KnownBlock[]];
  const summary = reportSummary(r);
  const text = `Dangling volumes, ${r.date}: ${summary}`;
  const head: KnownBlock[] = [header(`Dangling volumes, ${r.date}`), section(escapeMrkdwn(summary))];
  const file = {
    filename: `dvol-report-${r.date}.txt`,
    title: `dvol report ${r.date}`,
    content: renderReportText(r, Number.POSITIVE_INFINITY),
  };
  for (const buttons of controls)
    for (const largest of LARGEST) {
      const { lines, omitted } = hostLines(r, largest);
      const msg: SlackMessage = { text, blocks: [...head, ...sections(codePieces(lines))] };
      if (omitted) {
        msg.blocks.push(
          context("The largest volumes of each host are shown; the attached file lists them all."),
        );
        msg.file = file;
      }
      msg.blocks.push(...buttons);
      if (fits(msg)) return msg;
    }
  return {
    text,
    blocks: [
      ...head,
      section("Too many hosts to list in a message: the attached file has the whole report."),
      ...(controls.at(-1) ?? []),
    ],
    file,
  };
}

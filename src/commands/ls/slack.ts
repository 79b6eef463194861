/**
 * `ls` in Slack: per host a line of totals and its volumes as a table, and each host's share when
 * there are several. Too long for one message, it becomes a summary (each host's totals and its
 * largest volumes, as many as fit) with the whole text rendering attached.
 */
import type { HeaderBlock } from "@slack/types";
import {
  codePieces,
  fallbackText,
  fits,
  header,
  preview,
  sections,
  textPieces,
} from "../../blocks/blocks.js";
import type { SlackMessage } from "../../blocks/message.js";
import type { HostFailureResult } from "../../docker/fanout.js";
import { bar, humanSize, num, plural, shortTime, yesNo } from "../../format.js";
import { resultNow, sizesNote, sizeWithAge } from "../sizes.js";
import { esc, failureLines, grid, hostsLabel, nameList, pct, resultFile } from "../slack.js";
import type { LsData, LsResult, VolumeRow } from "./run.js";
import { renderLsText } from "./text.js";

/** How many of each host's largest volumes an `ls` summary shows, most first, as room allows. */
const SUMMARY_LARGEST = [5, 3, 2, 1, 0] as const;

interface LsStats {
  matched: number;
  shown: number;
  size: number;
  unknownSize: number;
  dangling: number;
  danglingSize: number;
}

/** A host's totals: every volume that matched, not only the rows shown (--limit). */
function lsStats(h: LsData): LsStats {
  return {
    matched: h.matched,
    shown: h.shown,
    size: h.totals.sizeBytes,
    unknownSize: h.totals.sizeUnknown,
    dangling: h.totals.dangling,
    danglingSize: h.totals.danglingBytes,
  };
}

/** The host's line, with the note on its sizes when they are not fresh. */
function lsHostLead(h: LsOk, now: Date): string {
  const note = sizesNote(h.sizes, now);
  const line = lsHostLine(h.host, lsStats(h));
  return note ? `${line}\n_${esc(note)}_` : line;
}

function lsHostLine(host: string, s: LsStats): string {
  if (s.matched === 0) return `*${esc(host)}* · no volumes`;
  const parts = [
    `*${esc(host)}*`,
    s.shown < s.matched
      ? `${plural(s.matched, "volume")} (showing ${num(s.shown)} of ${num(s.matched)})`
      : plural(s.matched, "volume"),
    `${humanSize(s.size)}${s.unknownSize ? ` (size unknown for ${num(s.unknownSize)})` : ""}`,
    s.dangling ? `${num(s.dangling)} dangling (${humanSize(s.danglingSize)})` : "none dangling",
  ];
  return parts.join(" · ");
}

/** The volume table: header row and one line per volume, in the order given. */
function volumeTable(
  volumes: readonly VolumeRow[],
  withDriver: boolean,
  sizes: { sizes?: LsOk["sizes"]; now: Date },
): { head: string; lines: string[] } {
  const rows = volumes.map((v) => [
    v.name,
    ...(withDriver ? [v.driver] : []),
    sizeWithAge(v, sizes.sizes, sizes.now),
    v.refCount === null ? "?" : String(v.refCount),
    v.project ?? "-",
    shortTime(v.createdAt),
    yesNo(v.dangling),
  ]);
  const heads = ["NAME", ...(withDriver ? ["DRIVER"] : []), "SIZE", "REFS", "PROJECT", "CREATED", "DANGLING"];
  const sizeCol = withDriver ? 2 : 1;
  const [head = "", ...lines] = grid([heads, ...rows], [sizeCol, sizeCol + 1]);
  return { head, lines };
}

type LsHost = LsResult["hosts"][number];
type LsOk = Extract<LsHost, { ok: true }>;

/** Per-host totals and each host's share of the space, as a table (several hosts only). */
function lsOverview(hosts: readonly LsHost[]): string[] {
  const ok = hosts.filter((h): h is LsOk => h.ok);
  const all = ok.reduce((a, h) => a + h.totals.sizeBytes, 0);
  const rows = hosts.map((h) => {
    if (!h.ok) return [h.host, "-", "-", "-", "unavailable"];
    const s = lsStats(h);
    const share = all > 0 ? s.size / all : 0;
    return [
      h.host,
      num(s.matched),
      humanSize(s.size),
      s.dangling ? `${num(s.dangling)} (${humanSize(s.danglingSize)})` : "0",
      `${bar(share)} ${pct(share)}`,
    ];
  });
  const [head = "", ...lines] = grid([["HOST", "VOLUMES", "SIZE", "DANGLING", "SHARE"], ...rows], [1, 2, 3]);
  return codePieces(lines, { head: [head], lead: "*By host*" });
}

function lsTotals(r: LsResult) {
  const ok = r.hosts.filter((h): h is LsOk => h.ok);
  const down = r.hosts.filter((h): h is HostFailureResult => !h.ok);
  const matched = ok.reduce((a, h) => a + h.matched, 0);
  const shown = ok.reduce((a, h) => a + h.shown, 0);
  const size = ok.reduce((a, h) => a + h.totals.sizeBytes, 0);
  return { ok, down, matched, shown, size };
}

function lsHeader(r: LsResult): HeaderBlock {
  const t = lsTotals(r);
  const parts = [`dvol ls ${hostsLabel(r.hosts)}`];
  if (t.ok.length > 0) parts.push(plural(t.matched, "volume"), humanSize(t.size));
  if (t.down.length > 0) parts.push(`${num(t.down.length)} unavailable`);
  return header(parts.join(" · "));
}

function lsText(r: LsResult): string {
  const t = lsTotals(r);
  const down = t.down.length ? `; unavailable: ${nameList(t.down.map((h) => h.host))}` : "";
  if (r.hosts.length === 1 && t.ok.length === 1) {
    const s = lsStats(t.ok[0] as LsOk);
    return `dvol ls ${r.hosts[0]?.host}: ${plural(s.matched, "volume")}, ${humanSize(s.size)}, ${num(s.dangling)} dangling`;
  }
  const what = t.ok.length ? `${plural(t.matched, "volume")}, ${humanSize(t.size)}` : "no host answered";
  return `dvol ls: ${plural(r.hosts.length, "host")}, ${what}${down}`;
}

function renderLs(r: LsResult): SlackMessage {
  const now = resultNow(r);
  const pieces: string[] = r.hosts.length > 1 ? lsOverview(r.hosts) : [];
  const withDriver = r.hosts.some((h) => h.ok && h.volumes.some((v) => v.driver !== "local"));
  for (const h of r.hosts) {
    if (!h.ok) {
      pieces.push(...textPieces(failureLines(h)));
      continue;
    }
    const lead = lsHostLead(h, now);
    if (h.volumes.length === 0) {
      pieces.push(lead);
      continue;
    }
    const t = volumeTable(h.volumes, withDriver, { sizes: h.sizes, now });
    pieces.push(...codePieces(t.lines, { head: [t.head], lead }));
  }
  return { text: fallbackText(lsText(r)), blocks: [lsHeader(r), ...sections(pieces)] };
}

/** The `ls` summary: per host the count, the total and its `largest` largest volumes. */
function lsSummary(r: LsResult, file: NonNullable<SlackMessage["file"]>, largest: number): SlackMessage {
  const now = resultNow(r);
  const t = lsTotals(r);
  const where = t.ok.length > 1 ? ` on ${plural(t.ok.length, "host")}` : "";
  const shown =
    largest > 0
      ? `Below, each host's ${largest === 1 ? "largest volume" : `${largest} largest volumes`}.`
      : "Below, each host's totals.";
  const notice = `:paperclip: Full list attached as ${esc(file.filename)}: ${plural(t.shown, "volume")}${where}, too long for one message. ${shown}`;
  const pieces: string[] = [notice, ...(r.hosts.length > 1 ? lsOverview(r.hosts) : [])];
  const withDriver = r.hosts.some((h) => h.ok && h.volumes.some((v) => v.driver !== "local"));
  for (const h of r.hosts) {
    if (!h.ok) {
      pieces.push(...textPieces(failureLines(h)));
      continue;
    }
    const lead = lsHostLead(h, now);
    const top = [...h.volumes]
      .sort(
        (a, b) =>
          (b.sizeBytes ?? -1) - (a.sizeBytes ?? -1) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
      )
      .slice(0, largest);
    if (top.length === 0) {
      pieces.push(lead);
      continue;
    }
    const tbl = volumeTable(top, withDriver, { sizes: h.sizes, now });
    pieces.push(...codePieces(tbl.lines, { head: [tbl.head], lead: `${lead} · largest:` }));
  }
  return {
    text: fallbackText(`${lsText(r)} (full list attached as ${file.filename})`),
    blocks: [lsHeader(r), ...sections(pieces)],
    file,
  };
}

/**
 * The Block Kit message of an `ls` result; when it does not fit in one message, a summary that
 * says so, with `file` set to the complete text rendering.
 */
export function renderLsSlack(r: LsResult): SlackMessage {
  const full = renderLs(r);
  if (fits(full)) return full;
  const file = resultFile(r, renderLsText(r));
  let last = full;
  for (const n of SUMMARY_LARGEST) {
    last = lsSummary(r, file, n);
    if (fits(last)) return last;
  }
  return preview(last, file);
}

/**
 * Block Kit renderings of command results, for a channel: what the text rendering says, laid out
 * for Slack, within Slack's limits (limits.ts). A result too long for one message becomes a
 * summary that says so, with the whole text rendering attached as a file: nothing is left out
 * without the message saying where it is.
 *
 * Everything that comes from a host, a user or the config is escaped (`&`, `<`, `>`), so a label
 * such as `<!channel>` or `<@U123>` is shown, never acted on.
 */
import type { HeaderBlock, KnownBlock } from "@slack/types";
import {
  codePieces,
  escapeMrkdwn,
  fallbackText,
  fits,
  header,
  inlineCode,
  section,
  sections,
  textPieces,
} from "../blocks/blocks.js";
import type { SlackMessage } from "../blocks/message.js";
import { findCommand } from "../commands/grammar.js";
import type { HelpResult } from "../commands/help.js";
import type { HostsResult } from "../commands/hosts.js";
import type { InfoResult } from "../commands/info.js";
import type { InspectResult } from "../commands/inspect.js";
import type { LsResult, VolumeRow } from "../commands/ls.js";
import { totalSize } from "../commands/ls-text.js";
import type { ReadResult } from "../commands/results.js";
import { renderText } from "../commands/text.js";
import type { HostFailureResult } from "../docker/fanout.js";
import type { DiskUsage } from "../docker/model.js";
import { bar, humanSize, num, plural, shortTime, table } from "../format.js";

/** How many of each host's largest volumes an `ls` summary shows, most first, as room allows. */
export const SUMMARY_LARGEST = [5, 3, 2, 1, 0] as const;

/**
 * The Block Kit message for a result. When the whole rendering does not fit in one message, a
 * summary that says so, with `file` set to the complete text rendering.
 */
export function renderSlack(result: ReadResult): SlackMessage {
  const full = renderFull(result);
  if (fits(full)) return full;
  return summarise(result, full);
}

function renderFull(r: ReadResult): SlackMessage {
  switch (r.command) {
    case "help":
      return renderHelp(r);
    case "hosts":
      return renderHosts(r);
    case "info":
      return renderInfo(r);
    case "ls":
      return renderLs(r);
    case "inspect":
      return renderInspect(r);
  }
}

const esc = escapeMrkdwn;
const pct = (share: number) => `${Math.round(share * 100)}%`;

/** Rows as a table whose columns in `right` are right-aligned (numbers, sizes). */
function grid(rows: string[][], right: readonly number[]): string[] {
  const widths = new Map<number, number>();
  for (const r of rows) for (const i of right) widths.set(i, Math.max(widths.get(i) ?? 0, r[i]?.length ?? 0));
  return table(rows.map((r) => r.map((c, i) => (widths.has(i) ? c.padStart(widths.get(i) ?? 0) : c))));
}

function failureLines(h: HostFailureResult): string[] {
  const why = h.error.startsWith(`${h.host}: `) ? h.error.slice(h.host.length + 2) : h.error;
  return [`❌ *${esc(h.host)}* unavailable: ${esc(why)}`, ...(h.hint ? [`      ${esc(h.hint)}`] : [])];
}

/** "host1", "host1, host2 and host3", "host1, host2, host3 and 7 more". */
function nameList(names: readonly string[], max = 5): string {
  if (names.length <= 1) return names.join("");
  if (names.length > max) return `${names.slice(0, max).join(", ")} and ${num(names.length - max)} more`;
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** The hosts part of a header or title: "host1", "host1, host2", or "12 hosts". */
function hostsLabel(hosts: readonly { host: string }[]): string {
  if (hosts.length === 1) return hosts[0]?.host ?? "";
  if (hosts.length <= 3) return hosts.map((h) => h.host).join(", ");
  return plural(hosts.length, "host");
}

// ---------------------------------------------------------------------------------------------
// help

function renderHelp(r: HelpResult): SlackMessage {
  const overview = r.topic === null || findCommand(r.topic) === undefined;
  const pieces: string[] = [];
  let code: string[] = [];
  let prose: string[] = [];
  const flushCode = () => {
    if (code.length) pieces.push(...codePieces(code));
    code = [];
  };
  const flushProse = () => {
    if (prose.length) pieces.push(...textPieces(prose));
    prose = [];
  };
  for (const line of r.text.split("\n")) {
    const t = line.trim();
    if (t.startsWith("dvol ")) {
      flushProse();
      code.push(`/${t}`);
      continue;
    }
    flushCode();
    if (t === "") {
      flushProse();
      continue;
    }
    const opt = /^(--\S+(?: \S+)?): (.*)$/.exec(t);
    const cmd = overview ? /^ {2}(\S+) +(.+)$/.exec(line) : null;
    if (opt) prose.push(`• \`${esc(opt[1] ?? "")}\` ${esc(opt[2] ?? "")}`);
    else if (cmd && findCommand(cmd[1] ?? "")) prose.push(`• \`${esc(cmd[1] ?? "")}\` ${esc(cmd[2] ?? "")}`);
    else if (/^Examples:?$/.test(t)) prose.push("*Examples*");
    else prose.push(helpProse(t));
  }
  flushCode();
  flushProse();
  const title = r.topic === null ? "dvol help" : `dvol help ${r.topic}`;
  const first = r.text.split("\n").find((l) => l.trim() !== "") ?? "";
  return {
    text: fallbackText(r.topic === null ? first.trim() : `${title}: ${first.trim()}`),
    blocks: [header(title), ...sections(pieces)],
  };
}

/** "CLI: dvol [--json] <command> ...   Slack: /dvol <command> ..." with each usage as inline code. */
function helpProse(t: string): string {
  return t
    .split(/\s{3,}/)
    .map((part) => {
      const m = /^([\w ]+): (\/?dvol\b.*)$/.exec(part);
      return m ? `${esc(m[1] ?? "")}: \`${esc(m[2] ?? "")}\`` : esc(part);
    })
    .join("   ");
}

// ---------------------------------------------------------------------------------------------
// hosts

function renderHosts(r: HostsResult): SlackMessage {
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

// ---------------------------------------------------------------------------------------------
// info

const DF_TYPES: [keyof DiskUsage, string][] = [
  ["images", "Images"],
  ["containers", "Containers"],
  ["volumes", "Local Volumes"],
  ["buildCache", "Build Cache"],
];

function renderInfo(r: InfoResult): SlackMessage {
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

// ---------------------------------------------------------------------------------------------
// ls

interface LsStats {
  matched: number;
  shown: number;
  size: number;
  unknownSize: number;
  dangling: number;
  danglingSize: number;
}

function lsStats(h: { matched: number; volumes: VolumeRow[] }): LsStats {
  const dangling = h.volumes.filter((v) => v.dangling === true);
  return {
    matched: h.matched,
    shown: h.volumes.length,
    size: totalSize(h.volumes),
    unknownSize: h.volumes.filter((v) => v.sizeBytes === null).length,
    dangling: dangling.length,
    danglingSize: totalSize(dangling),
  };
}

function lsHostLine(host: string, s: LsStats): string {
  if (s.matched === 0) return `*${esc(host)}* · no volumes`;
  const parts = [
    `*${esc(host)}*`,
    s.shown < s.matched
      ? `${plural(s.matched, "volume")} (showing ${num(s.shown)})`
      : plural(s.matched, "volume"),
    `${humanSize(s.size)}${s.shown < s.matched ? " shown" : ""}${s.unknownSize ? ` (size unknown for ${num(s.unknownSize)})` : ""}`,
    s.dangling ? `${num(s.dangling)} dangling (${humanSize(s.danglingSize)})` : "none dangling",
  ];
  return parts.join(" · ");
}

const yesNo = (b: boolean | null) => (b === null ? "?" : b ? "yes" : "no");

/** The volume table: header row and one line per volume, in the order given. */
function volumeTable(volumes: readonly VolumeRow[], withDriver: boolean): { head: string; lines: string[] } {
  const rows = volumes.map((v) => [
    v.name,
    ...(withDriver ? [v.driver] : []),
    humanSize(v.sizeBytes),
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
  const all = ok.reduce((a, h) => a + totalSize(h.volumes), 0);
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
  const shown = ok.reduce((a, h) => a + h.volumes.length, 0);
  const size = ok.reduce((a, h) => a + totalSize(h.volumes), 0);
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
  const pieces: string[] = r.hosts.length > 1 ? lsOverview(r.hosts) : [];
  const withDriver = r.hosts.some((h) => h.ok && h.volumes.some((v) => v.driver !== "local"));
  for (const h of r.hosts) {
    if (!h.ok) {
      pieces.push(...textPieces(failureLines(h)));
      continue;
    }
    const lead = lsHostLine(h.host, lsStats(h));
    if (h.volumes.length === 0) {
      pieces.push(lead);
      continue;
    }
    const t = volumeTable(h.volumes, withDriver);
    pieces.push(...codePieces(t.lines, { head: [t.head], lead }));
  }
  return { text: fallbackText(lsText(r)), blocks: [lsHeader(r), ...sections(pieces)] };
}

/** The `ls` summary: per host the count, the total and its `largest` largest volumes. */
function lsSummary(r: LsResult, file: NonNullable<SlackMessage["file"]>, largest: number): SlackMessage {
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
    const lead = lsHostLine(h.host, lsStats(h));
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
    const tbl = volumeTable(top, withDriver);
    pieces.push(...codePieces(tbl.lines, { head: [tbl.head], lead: `${lead} · largest:` }));
  }
  return {
    text: fallbackText(`${lsText(r)} (full list attached as ${file.filename})`),
    blocks: [lsHeader(r), ...sections(pieces)],
    file,
  };
}

// ---------------------------------------------------------------------------------------------
// inspect

function pairLines(m: Record<string, string>): string[] {
  return Object.entries(m)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
}

function renderInspect(r: InspectResult): SlackMessage {
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

// ---------------------------------------------------------------------------------------------
// too long for one message

function hostNames(r: ReadResult): string[] {
  return r.command === "help" ? [] : r.hosts.map((h) => h.host);
}

/** `dvol-ls-host1.txt`, `dvol-ls-host1,host2.txt`, `dvol-ls-12-hosts.txt`. */
export function attachmentName(r: ReadResult): string {
  const names = hostNames(r).map((h) => h.replace(/[^A-Za-z0-9._-]/g, "_"));
  const joined = names.join(",");
  const part =
    names.length === 0
      ? ""
      : names.length <= 3 && joined.length <= 80
        ? `-${joined}`
        : `-${names.length}-hosts`;
  return `dvol-${r.command}${part}.txt`;
}

function summarise(r: ReadResult, full: SlackMessage): SlackMessage {
  const names = hostNames(r);
  const file = {
    filename: attachmentName(r),
    title: `dvol ${r.command}${names.length ? ` ${nameList(names, 3)}` : ""}`,
    content: renderText(r),
  };
  if (r.command === "ls") {
    let last = full;
    for (const n of SUMMARY_LARGEST) {
      last = lsSummary(r, file, n);
      if (fits(last)) return last;
    }
    return preview(last, file);
  }
  return preview(
    { ...full, text: fallbackText(`${full.text} (full output attached as ${file.filename})`) },
    file,
  );
}

/**
 * The beginning of a message that does not fit: its header, a notice naming the attached file, as
 * many of its blocks as fit, and a last line saying that the rest is in the file.
 */
function preview(msg: SlackMessage, file: NonNullable<SlackMessage["file"]>): SlackMessage {
  const [first, ...rest] = msg.blocks;
  const head: KnownBlock[] = first?.type === "header" ? [first] : [];
  const body = first?.type === "header" ? rest : msg.blocks;
  const notice = section(
    `:paperclip: Too long for one message: the full output is attached as ${esc(file.filename)}. Below, its beginning.`,
  );
  const build = (k: number): SlackMessage => ({
    text: msg.text,
    blocks: [
      ...head,
      notice,
      ...body.slice(0, k),
      ...(k < body.length ? [section(`… the rest is in ${esc(file.filename)}.`)] : []),
    ],
    file,
  });
  let k = 0;
  while (k < body.length && fits(build(k + 1))) k++;
  return build(k);
}

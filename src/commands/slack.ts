/**
 * What the commands' Slack renderings share (each command's `slack.ts`): a host that could not be
 * asked, lists of host names, right-aligned tables, and a result too long for one message, which
 * becomes its beginning with the whole text rendering attached as a file. Everything that comes
 * from a host, a user or the config is escaped, so a label such as `<!channel>` is shown, never
 * acted on.
 */
import { escapeMrkdwn, fallbackText, fits, preview } from "../blocks/blocks.js";
import type { SlackMessage } from "../blocks/message.js";
import type { HostFailureResult } from "../docker/fanout.js";
import { num, plural, table } from "../format.js";

export const esc = escapeMrkdwn;

/** A share as a percentage: 0.256 → "26%". */
export const pct = (share: number) => `${Math.round(share * 100)}%`;

/** Rows as a table whose columns in `right` are right-aligned (numbers, sizes). */
export function grid(rows: string[][], right: readonly number[]): string[] {
  const widths = new Map<number, number>();
  for (const r of rows) for (const i of right) widths.set(i, Math.max(widths.get(i) ?? 0, r[i]?.length ?? 0));
  return table(rows.map((r) => r.map((c, i) => (widths.has(i) ? c.padStart(widths.get(i) ?? 0) : c))));
}

/** A failed host's error without its leading host name. */
export function failureReason(h: HostFailureResult): string {
  return h.error.startsWith(`${h.host}: `) ? h.error.slice(h.host.length + 2) : h.error;
}

/** The mrkdwn lines of a host that could not be asked. */
export function failureLines(h: HostFailureResult): string[] {
  return [
    `❌ *${esc(h.host)}* unavailable: ${esc(failureReason(h))}`,
    ...(h.hint ? [`      ${esc(h.hint)}`] : []),
  ];
}

/** "host1", "host1, host2 and host3", "host1, host2, host3 and 7 more". */
export function nameList(names: readonly string[], max = 5): string {
  if (names.length <= 1) return names.join("");
  if (names.length > max) return `${names.slice(0, max).join(", ")} and ${num(names.length - max)} more`;
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** The hosts part of a header or title: "host1", "host1, host2", or "12 hosts". */
export function hostsLabel(hosts: readonly { host: string }[]): string {
  if (hosts.length === 1) return hosts[0]?.host ?? "";
  if (hosts.length <= 3) return hosts.map((h) => h.host).join(", ");
  return plural(hosts.length, "host");
}

/** A result as the commands' renderings see it: which command, which hosts. */
export interface Rendered {
  command: string;
  hosts: readonly { host: string }[];
}

/** `dvol-ls-host1.txt`, `dvol-ls-host1,host2.txt`, `dvol-ls-12-hosts.txt`. */
function attachmentName(r: Rendered): string {
  const names = r.hosts.map((h) => h.host.replace(/[^A-Za-z0-9._-]/g, "_"));
  const joined = names.join(",");
  const part =
    names.length === 0
      ? ""
      : names.length <= 3 && joined.length <= 80
        ? `-${joined}`
        : `-${names.length}-hosts`;
  return `dvol-${r.command}${part}.txt`;
}

/** The file a result too long for one message is attached as: its whole text rendering. */
export function resultFile(r: Rendered, content: string): NonNullable<SlackMessage["file"]> {
  const names = r.hosts.map((h) => h.host);
  return {
    filename: attachmentName(r),
    title: `dvol ${r.command}${names.length ? ` ${nameList(names, 3)}` : ""}`,
    content,
  };
}

/**
 * `full` when it fits in one message; otherwise its beginning, with the whole text rendering
 * (`text`, made only then) attached as a file.
 */
export function fitted(full: SlackMessage, r: Rendered, text: () => string): SlackMessage {
  if (fits(full)) return full;
  const file = resultFile(r, text());
  return preview(
    { ...full, text: fallbackText(`${full.text} (full output attached as ${file.filename})`) },
    file,
  );
}

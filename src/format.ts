/** Formatting shared by the text and Slack renderings (and by commands, which import nothing of Slack). */

const UNITS = ["B", "kB", "MB", "GB", "TB", "PB"];

/** Decimal units, as the docker CLI prints them: 5242880 → "5.2 MB". */
export function humanSize(bytes: number | null): string {
  if (bytes === null) return "?";
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  if (u === 0) return `${v} B`;
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[u]}`;
}

/** A bar of block characters for a share between 0 and 1. */
export function bar(share: number, width = 10): string {
  const eighths = Math.round(Math.max(0, Math.min(1, share)) * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  const partial = rest ? (["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][rest] ?? "") : "";
  return ("█".repeat(full) + partial).padEnd(width, " ");
}

/** "yes", "no", or "?" when unknown. */
export function yesNo(b: boolean | null): string {
  return b === null ? "?" : b ? "yes" : "no";
}

/** "2026-11-29 13:51" (UTC) from an ISO time. */
export function shortTime(iso: string | null): string {
  return iso ? iso.slice(0, 16).replace("T", " ") : "?";
}

/** Aligns rows into columns separated by two spaces; the last column is not padded. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

/** A count with thousands separators: 12345 → "12,345". */
export function num(k: number): string {
  return k.toLocaleString("en-US");
}

/** "1 volume", "0 volumes", "1,200 volumes": the count (as `num`) and the word, with an s unless 1. */
export function plural(k: number, word: string): string {
  return `${num(k)} ${word}${k === 1 ? "" : "s"}`;
}

/** `s` cut to at most `max` characters, the last of them "…" when it is cut. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * What a terminal acts on instead of showing (SPEC: hostile names and labels): the C0 controls
 * (escape sequences, carriage returns, backspaces), DEL and the C1 controls (a lone U+009B is a
 * CSI on some terminals), and the bidirectional overrides and isolates that reorder what is shown.
 * Engine data (labels, container names, driver status, error texts) may hold any of them.
 */
// As regular-expression source: Biome refuses control characters in a regex literal.
const BIDI = "\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069";
const TERMINAL_UNSAFE = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${BIDI}]`, "g");
/** The same, and the newline and tab that would split or shift a line. */
const LINE_UNSAFE = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${BIDI}]`, "g");

const escapeChar = (c: string) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`;

/**
 * Text for a terminal: every unsafe character written as `\uXXXX`, newlines and tabs kept. In a
 * JSON document the same replacement is the character's own JSON escape, so the document means
 * the same (JSON.stringify already escapes the C0 controls, not the others).
 */
export function terminalSafe(text: string): string {
  return text.replace(TERMINAL_UNSAFE, escapeChar);
}

/** Lines joined for a terminal: within each line, newlines and tabs are escaped too, so no value adds or hides a row. */
export function joinLines(lines: readonly string[]): string {
  return lines.map((l) => l.replace(LINE_UNSAFE, escapeChar)).join("\n");
}

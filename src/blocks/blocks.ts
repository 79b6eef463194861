/**
 * The Block Kit toolkit every Slack rendering is built with: mrkdwn escaping and code spans,
 * section, header and context blocks, one-section messages, text and code packed into sections
 * within Slack's limits (limits.ts), `fits`, the one test of whether a rendering leaves room for the
 * poster's extra line, and `preview`, the beginning of a message too long for one, with the rest in
 * its attached file.
 */
import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from "@slack/types";
import { clip } from "../format.js";
import { checkMessage, MAX_HEADER_TEXT, MAX_SECTION_TEXT } from "./limits.js";
import type { SlackMessage } from "./message.js";

/**
 * Room every rendering leaves for one more block of up to this many characters, so that the
 * poster can add a line (who ran what) without pushing the message over a limit.
 */
const HEADROOM_CHARS = 300;
const HEADROOM_BLOCK: KnownBlock = {
  type: "context",
  elements: [{ type: "mrkdwn", text: "x".repeat(HEADROOM_CHARS) }],
};

/** Within Slack's limits, with room left for one more block of HEADROOM_CHARS. */
export function fits(msg: SlackMessage): boolean {
  return checkMessage({ ...msg, blocks: [...msg.blocks, HEADROOM_BLOCK] }).length === 0;
}

/** Top-level text is for notifications: short. */
const MAX_FALLBACK_TEXT = 600;

/** A message's top-level text (what notifications show): clipped and escaped. */
export function fallbackText(s: string): string {
  return escapeMrkdwn(clip(s, MAX_FALLBACK_TEXT));
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** User data as inline code; a backtick (which would end it) becomes a look-alike. */
export function inlineCode(s: string): string {
  return s === "" ? "_(empty)_" : `\`${escapeMrkdwn(s.replace(/`/g, "ˋ"))}\``;
}

/** Text typed by a user as inline code, on one line, at most 200 characters; a backtick becomes '. */
export function codeSpan(text: string): string {
  const clean = escapeMrkdwn(text.replace(/`/g, "'").replace(/\s+/g, " ").trim());
  return `\`${clean.length > 200 ? `${clean.slice(0, 200)}…` : clean}\``;
}

/** A one-section message, its text also the notification's. */
export function plain(text: string): SlackMessage {
  return { text, blocks: [section(text)] };
}

/** A line inside a code block: escaped, and no run of backticks that could close the block. */
const codeLine = (s: string) => escapeMrkdwn(s).replace(/`(?=`)/g, "`\u200b");

const FENCE = "```";

export function section(text: string): SectionBlock {
  return { type: "section", text: { type: "mrkdwn", text } };
}

export function header(text: string): HeaderBlock {
  return { type: "header", text: { type: "plain_text", text: clip(text, MAX_HEADER_TEXT), emoji: true } };
}

export function context(text: string): ContextBlock {
  return { type: "context", elements: [{ type: "mrkdwn", text }] };
}

/** Cuts an (escaped) string into parts of at most `cap` characters, never inside an entity or a pair. */
function cut(s: string, cap: number): string[] {
  const parts: string[] = [];
  let rest = s;
  while (rest.length > cap) {
    let at = cap;
    const amp = rest.lastIndexOf("&", at - 1);
    if (amp > 0 && at - amp < 5 && !rest.slice(amp, at).includes(";")) at = amp;
    const c = rest.charCodeAt(at - 1);
    if (c >= 0xd800 && c <= 0xdbff) at--;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  parts.push(rest);
  return parts;
}

/** mrkdwn lines packed into pieces of at most one section's text each. */
export function textPieces(lines: readonly string[]): string[] {
  const pieces: string[] = [];
  let cur = "";
  for (const line of lines) {
    for (const part of cut(line, MAX_SECTION_TEXT)) {
      if (cur !== "" && cur.length + 1 + part.length > MAX_SECTION_TEXT) {
        pieces.push(cur);
        cur = "";
      }
      cur = cur === "" ? part : `${cur}\n${part}`;
    }
  }
  if (cur !== "") pieces.push(cur);
  return pieces;
}

/**
 * Lines (raw, escaped here) as code blocks, each in a piece of at most one section's text; `head`
 * (a table's header row) starts every block, and `lead` (mrkdwn) comes before the first.
 */
export function codePieces(
  lines: readonly string[],
  opts: { head?: readonly string[]; lead?: string } = {},
): string[] {
  const head = (opts.head ?? []).map(codeLine);
  const headSize = head.reduce((a, h) => a + h.length + 1, 0);
  let lead = opts.lead === undefined ? "" : `${opts.lead}\n`;
  // text = lead + "```\n" + lines.join("\n") + "\n```": lead + 7 + Σ(line + 1)
  const fixed = 7 + headSize;
  const cap = Math.max(100, MAX_SECTION_TEXT - fixed - lead.length - 1);
  const pieces: string[] = [];
  let body: string[] = [];
  let used = 0;
  const flush = () => {
    pieces.push(`${lead}${FENCE}\n${[...head, ...body].join("\n")}\n${FENCE}`);
    lead = "";
    body = [];
    used = 0;
  };
  for (const raw of lines) {
    for (const part of cut(codeLine(raw), cap)) {
      if (body.length > 0 && lead.length + fixed + used + part.length + 1 > MAX_SECTION_TEXT) flush();
      body.push(part);
      used += part.length + 1;
    }
  }
  if (body.length > 0) flush();
  else if (lead !== "") pieces.push(lead.trimEnd());
  return pieces;
}

/** Pieces packed into as few sections as fit, a blank line between pieces. */
export function sections(pieces: readonly string[]): SectionBlock[] {
  const out: SectionBlock[] = [];
  let cur = "";
  for (const p of pieces) {
    if (cur !== "" && cur.length + 2 + p.length > MAX_SECTION_TEXT) {
      out.push(section(cur));
      cur = "";
    }
    cur = cur === "" ? p : `${cur}\n\n${p}`;
  }
  if (cur !== "") out.push(section(cur));
  return out;
}

/**
 * The beginning of a message that does not fit: its header, a notice naming the attached file, as
 * many of its blocks as fit, and a last line saying that the rest is in the file.
 */
export function preview(msg: SlackMessage, file: NonNullable<SlackMessage["file"]>): SlackMessage {
  const [first, ...rest] = msg.blocks;
  const head: KnownBlock[] = first?.type === "header" ? [first] : [];
  const body = first?.type === "header" ? rest : msg.blocks;
  const notice = section(
    `:paperclip: Too long for one message: the full output is attached as ${escapeMrkdwn(file.filename)}. Below, its beginning.`,
  );
  const build = (k: number): SlackMessage => ({
    text: msg.text,
    blocks: [
      ...head,
      notice,
      ...body.slice(0, k),
      ...(k < body.length ? [section(`… the rest is in ${escapeMrkdwn(file.filename)}.`)] : []),
    ],
    file,
  });
  let k = 0;
  while (k < body.length && fits(build(k + 1))) k++;
  return build(k);
}

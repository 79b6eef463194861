/**
 * Slack's limits on a message, as the Block Kit reference and chat.postMessage document them, and a
 * checker that names every one a message breaks. Slack rejects a message that breaks a block limit
 * (`invalid_blocks`, `msg_blocks_too_long`), so dvol checks before it posts and tests check every
 * message dvol renders.
 *
 * Lengths are counted in UTF-16 code units (JavaScript's `length`), which is never less than the
 * number of characters Slack counts, and on the text as sent (mrkdwn escapes included).
 */
import type { SlackMessage } from "./message.js";

/** Blocks in one message (modals and Home tabs allow 100; messages 50). */
export const MAX_BLOCKS = 50;
/** A section's `text`. */
export const MAX_SECTION_TEXT = 3000;
/** Items in a section's `fields`. */
export const MAX_FIELDS = 10;
/** The text of each item in a section's `fields`. */
export const MAX_FIELD_TEXT = 2000;
/** A header's text, which must be `plain_text`. */
export const MAX_HEADER_TEXT = 150;
/** Elements (text objects and images) in a context block. */
export const MAX_CONTEXT_ELEMENTS = 10;
/** Any text object not limited more tightly (e.g. a context element). */
export const MAX_TEXT_OBJECT = 3000;
/** A `markdown` block's text. */
export const MAX_MARKDOWN_TEXT = 12_000;
/** Elements in an actions block. */
export const MAX_ACTIONS_ELEMENTS = 25;
/** A button's label. */
export const MAX_BUTTON_TEXT = 75;
/** A button's value. */
export const MAX_BUTTON_VALUE = 2000;
/** action_id and block_id. */
export const MAX_ID = 255;
/** A confirmation dialog's title, text, and confirm/deny labels. */
export const MAX_CONFIRM_TITLE = 100;
export const MAX_CONFIRM_TEXT = 300;
export const MAX_CONFIRM_BUTTON = 30;
/**
 * Top-level `text`: Slack truncates it at 40,000 characters and asks apps to keep it under 4,000;
 * with blocks it is the notification and screen-reader text, so it should be short anyway.
 */
export const MAX_MESSAGE_TEXT = 4000;
export const SLACK_TRUNCATES_TEXT_AT = 40_000;
/**
 * All blocks together, measured as their JSON. Not in Slack's reference: chat.postMessage answers
 * `msg_blocks_too_long` for blocks whose text adds up to about 12,000-13,000 characters even when
 * every block is within its own limit (slackapi/bolt-js#2509, #2867; a Slack engineer there:
 * "12,000 text characters with a buffer for block containers"). Counting the JSON, containers
 * included, keeps dvol below every size observed to fail.
 */
export const MAX_BLOCKS_TOTAL = 12_000;

type Obj = Record<string, unknown>;

const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const n = (x: number) => x.toLocaleString("en-US");

/** Every way `msg` breaks Slack's limits, one sentence each; empty when it is fine to post. */
export function checkMessage(msg: SlackMessage): string[] {
  const out: string[] = [];
  const tooLong = (what: string, s: string, max: number) => {
    if (s.length > max) out.push(`${what} is ${n(s.length)} characters, more than ${n(max)}`);
  };

  if (typeof msg.text !== "string" || msg.text.trim() === "") {
    out.push("text is empty: Slack needs it for notifications and screen readers");
  } else {
    tooLong("text", msg.text, MAX_MESSAGE_TEXT);
  }

  if (!Array.isArray(msg.blocks)) {
    out.push("blocks is not an array");
    return out;
  }
  if (msg.blocks.length > MAX_BLOCKS) out.push(`${n(msg.blocks.length)} blocks, more than ${MAX_BLOCKS}`);
  const total = JSON.stringify(msg.blocks).length;
  if (total > MAX_BLOCKS_TOTAL) {
    out.push(
      `blocks are ${n(total)} characters of JSON in all, more than ${n(MAX_BLOCKS_TOTAL)} (msg_blocks_too_long)`,
    );
  }

  const blockIds = new Set<string>();
  const blocks: readonly unknown[] = msg.blocks;
  blocks.forEach((b, i) => {
    if (!isObj(b)) {
      out.push(`blocks[${i}] is not an object`);
      return;
    }
    const at = `blocks[${i}] (${String(b.type)})`;
    if (typeof b.block_id === "string") {
      tooLong(`${at} block_id`, b.block_id, MAX_ID);
      if (blockIds.has(b.block_id)) out.push(`${at} repeats block_id "${b.block_id}"`);
      blockIds.add(b.block_id);
    }
    switch (b.type) {
      case "section":
        checkSection(b, at, out);
        break;
      case "header":
        checkText(b.text, `${at} text`, MAX_HEADER_TEXT, out, "plain_text");
        break;
      case "context":
        checkContext(b, at, out);
        break;
      case "markdown":
        if (typeof b.text !== "string" || b.text === "") out.push(`${at} has no text`);
        else tooLong(`${at} text`, b.text, MAX_MARKDOWN_TEXT);
        break;
      case "actions":
        checkActions(b, at, out);
        break;
    }
  });

  if (msg.file !== undefined) {
    if (!/^[^/\\\s][^/\\]*$/.test(msg.file.filename))
      out.push(`file name "${msg.file.filename}" is not usable`);
    if (msg.file.title.trim() === "") out.push("file has no title");
    if (msg.file.content === "") out.push("file is empty");
  }
  return out;
}

function checkText(t: unknown, what: string, max: number, out: string[], only?: "plain_text"): void {
  if (!isObj(t)) {
    out.push(`${what} is missing`);
    return;
  }
  if (t.type !== "plain_text" && t.type !== "mrkdwn") out.push(`${what} has type "${String(t.type)}"`);
  else if (only && t.type !== only) out.push(`${what} must be ${only}, not ${String(t.type)}`);
  if (typeof t.text !== "string" || t.text === "") {
    out.push(`${what} is empty (Slack needs at least 1 character)`);
  } else if (t.text.length > max) {
    out.push(`${what} is ${n(t.text.length)} characters, more than ${n(max)}`);
  }
}

function checkSection(b: Obj, at: string, out: string[]): void {
  if (b.text === undefined && b.fields === undefined) out.push(`${at} has neither text nor fields`);
  if (b.text !== undefined) checkText(b.text, `${at} text`, MAX_SECTION_TEXT, out);
  if (b.fields !== undefined) {
    if (!Array.isArray(b.fields) || b.fields.length === 0) {
      out.push(`${at} fields is empty`);
    } else {
      if (b.fields.length > MAX_FIELDS) {
        out.push(`${at} has ${b.fields.length} fields, more than ${MAX_FIELDS}`);
      }
      b.fields.forEach((f, j) => {
        checkText(f, `${at} fields[${j}]`, MAX_FIELD_TEXT, out);
      });
    }
  }
  if (isObj(b.accessory) && b.accessory.type === "button") checkButton(b.accessory, `${at} accessory`, out);
}

function checkContext(b: Obj, at: string, out: string[]): void {
  if (!Array.isArray(b.elements) || b.elements.length === 0) {
    out.push(`${at} has no elements`);
    return;
  }
  if (b.elements.length > MAX_CONTEXT_ELEMENTS) {
    out.push(`${at} has ${b.elements.length} elements, more than ${MAX_CONTEXT_ELEMENTS}`);
  }
  b.elements.forEach((e, j) => {
    if (isObj(e) && e.type !== "image") checkText(e, `${at} elements[${j}]`, MAX_TEXT_OBJECT, out);
  });
}

function checkActions(b: Obj, at: string, out: string[]): void {
  if (!Array.isArray(b.elements) || b.elements.length === 0) {
    out.push(`${at} has no elements`);
    return;
  }
  if (b.elements.length > MAX_ACTIONS_ELEMENTS) {
    out.push(`${at} has ${b.elements.length} elements, more than ${MAX_ACTIONS_ELEMENTS}`);
  }
  b.elements.forEach((e, j) => {
    if (isObj(e) && e.type === "button") checkButton(e, `${at} elements[${j}]`, out);
  });
}

function checkButton(e: Obj, at: string, out: string[]): void {
  checkText(e.text, `${at} text`, MAX_BUTTON_TEXT, out, "plain_text");
  if (typeof e.value === "string" && e.value.length > MAX_BUTTON_VALUE) {
    out.push(`${at} value is ${n(e.value.length)} characters, more than ${n(MAX_BUTTON_VALUE)}`);
  }
  if (typeof e.action_id === "string" && e.action_id.length > MAX_ID) {
    out.push(`${at} action_id is ${n(e.action_id.length)} characters, more than ${MAX_ID}`);
  }
  if (isObj(e.confirm)) {
    const c = e.confirm;
    const parts: [unknown, string, number, "plain_text" | undefined][] = [
      [c.title, "title", MAX_CONFIRM_TITLE, "plain_text"],
      [c.text, "text", MAX_CONFIRM_TEXT, undefined],
      [c.confirm, "confirm label", MAX_CONFIRM_BUTTON, "plain_text"],
      [c.deny, "deny label", MAX_CONFIRM_BUTTON, "plain_text"],
    ];
    for (const [t, what, max, only] of parts) {
      if (t !== undefined) checkText(t, `${at} confirm ${what}`, max, out, only);
    }
  }
}

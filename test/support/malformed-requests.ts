// Correctly signed Slack requests whose bodies are malformed: what both receivers (the API
// Gateway one and the local server's front door, through src/slack/inbound.ts) must answer with a
// 400 at once, a short text and a warning in the log, never reaching a listener.
import { FORM } from "./slack-requests.js";

export interface MalformedCase {
  what: string;
  body: string;
  contentType: string;
  /** The reason in the answer (`bad request: <reason>`) and the log. */
  reason: string;
}

const interactive = (payload: unknown) =>
  new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
const click = (over: Record<string, unknown>) =>
  interactive({
    type: "block_actions",
    user: { id: "U0AAAAAAA", team_id: "T0001" },
    team: { id: "T0001" },
    channel: { id: "C0123ABCD" },
    response_url: "https://hooks.slack.com/actions/T0001/1/abc",
    actions: [{ type: "button", action_id: "dvol_button", value: "v" }],
    ...over,
  });
const command = (fields: Record<string, string>) =>
  new URLSearchParams({
    command: "/dvol",
    text: "ls host1",
    channel_id: "C0123ABCD",
    user_id: "U0AAAAAAA",
    response_url: "https://hooks.slack.com/commands/T0001/1/abc",
    ...fields,
  }).toString();

export const MALFORMED_CASES: readonly MalformedCase[] = [
  { what: "an empty form body", body: "", contentType: FORM, reason: "empty body" },
  { what: "an empty JSON body", body: "", contentType: "application/json", reason: "empty body" },
  {
    what: 'actions: "x"',
    body: click({ actions: "x" }),
    contentType: FORM,
    reason: "actions is not a list of actions",
  },
  {
    what: "actions: {}",
    body: click({ actions: {} }),
    contentType: FORM,
    reason: "actions is not a list of actions",
  },
  {
    what: "actions: []",
    body: click({ actions: [] }),
    contentType: FORM,
    reason: "actions is not a list of actions",
  },
  {
    what: "actions: [1]",
    body: click({ actions: [1] }),
    contentType: FORM,
    reason: "an action without action_id",
  },
  {
    what: "an action without action_id",
    body: click({ actions: [{ type: "button" }] }),
    contentType: FORM,
    reason: "an action without action_id",
  },
  {
    what: "a click without user",
    body: click({ user: null }),
    contentType: FORM,
    reason: "block_actions without user",
  },
  {
    what: 'type: "nonsense"',
    body: interactive({ type: "nonsense" }),
    contentType: FORM,
    reason: "unknown payload type",
  },
  {
    what: "a view_submission (no listener)",
    body: interactive({ type: "view_submission", view: {} }),
    contentType: FORM,
    reason: "unknown payload type",
  },
  {
    what: "an event_callback (no subscription)",
    body: JSON.stringify({ type: "event_callback", event: { type: "app_mention" } }),
    contentType: "application/json",
    reason: "unknown payload type",
  },
  {
    what: "a payload without type",
    body: interactive({ actions: [{ action_id: "a" }] }),
    contentType: FORM,
    reason: "neither a slash command nor a payload type",
  },
  {
    what: "a form without command",
    body: "text=ls+host1&user_id=U0AAAAAAA&channel_id=C0123ABCD",
    contentType: FORM,
    reason: "neither a slash command nor a payload type",
  },
  {
    what: "a command that is not a slash command",
    body: command({ command: "dvol" }),
    contentType: FORM,
    reason: "command is not a slash command",
  },
  {
    what: "a JSON command that is a number",
    body: JSON.stringify({ command: 5 }),
    contentType: "application/json",
    reason: "command is not a slash command",
  },
  {
    what: "a slash command without user_id",
    body: command({ user_id: "" }),
    contentType: FORM,
    reason: "slash command without user_id",
  },
  {
    what: "a slash command without response_url",
    body: new URLSearchParams({ command: "/dvol", text: "ls", channel_id: "C1", user_id: "U1" }).toString(),
    contentType: FORM,
    reason: "slash command without response_url",
  },
  {
    what: "a payload that is not JSON",
    body: "payload=%7Bnot",
    contentType: FORM,
    reason: "body is not JSON",
  },
  { what: "a JSON array", body: "[1]", contentType: "application/json", reason: "body is not a JSON object" },
  { what: "a text/plain body", body: "hello", contentType: "text/plain", reason: "unsupported content type" },
  {
    what: "url_verification without a challenge",
    body: JSON.stringify({ type: "url_verification" }),
    contentType: "application/json",
    reason: "url_verification without a challenge",
  },
];

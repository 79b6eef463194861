/**
 * Posting what dvol renders: a SlackMessage in a channel (chat.postMessage with the bot token),
 * its file, when it has one, in the message's thread (files.getUploadURLExternal, the upload,
 * files.completeUploadExternal: what WebClient's filesUploadV2 does; files.upload is retired),
 * and ephemeral answers through a command's response_url. For deletion requests: replies in a
 * thread, chat.update of what was posted, and user groups' members (usergroups.users.list).
 */
import { ErrorCode, WebClient, type WebClientOptions } from "@slack/web-api";
import type { SlackMessage } from "../blocks/message.js";
import { SlackPostError } from "../errors.js";

export interface PostedMessage {
  channel: string;
  ts: string;
  /** The ID of the uploaded file, when the message had one. */
  fileId: string | null;
}

/** What the worker needs from Slack; an interface so tests can look inside. */
export interface SlackOutbox {
  post(channel: string, msg: SlackMessage): Promise<PostedMessage>;
  /** Answers only the person who typed the command (response_url, ephemeral). */
  respond(responseUrl: string, msg: SlackMessage): Promise<void>;
}

/**
 * What deletion requests need besides (SPEC §4): replies in a request's thread, updates of the
 * messages already posted, and the members of user groups (access lists may name groups).
 */
export interface SlackThreadOutbox extends SlackOutbox {
  /** Posts in the thread of `threadTs`; a file, when the message has one, goes in the same thread. */
  postInThread(channel: string, threadTs: string, msg: SlackMessage): Promise<PostedMessage>;
  /** Replaces a message the bot posted (chat.update); a message with a file is refused. */
  update(channel: string, ts: string, msg: SlackMessage): Promise<void>;
  /** The user IDs in a user group (usergroups.users.list; scope usergroups:read). */
  usergroupMembers(groupId: string): Promise<string[]>;
}

export interface SlackPosterOptions {
  token: string;
  /** Base URL of the Web API (SLACK_API_URL); Slack's own when undefined. */
  slackApiUrl?: string | undefined;
  /** Deadline of one Slack call, in ms. */
  timeoutMs?: number;
  clientOptions?: WebClientOptions;
}

/** The Slack error code of a failed Web API call (`not_in_channel`), or null. */
export function slackErrorCode(err: unknown): string | null {
  if (typeof err !== "object" || err === null || !("code" in err) || err.code !== ErrorCode.PlatformError) {
    return null;
  }
  const data = "data" in err ? err.data : undefined;
  return typeof data === "object" && data !== null && "error" in data && typeof data.error === "string"
    ? data.error
    : null;
}

export class SlackPoster implements SlackThreadOutbox {
  readonly client: WebClient;
  private readonly timeoutMs: number;

  constructor(opts: SlackPosterOptions) {
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.client = new WebClient(opts.token, {
      ...(opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : {}),
      timeout: this.timeoutMs,
      // A worker has minutes, not half an hour: a few retries, then the error is reported.
      retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 4000 },
      ...opts.clientOptions,
    });
  }

  post(channel: string, msg: SlackMessage): Promise<PostedMessage> {
    return this.postMessage(channel, msg, undefined);
  }

  postInThread(channel: string, threadTs: string, msg: SlackMessage): Promise<PostedMessage> {
    return this.postMessage(channel, msg, threadTs);
  }

  async update(channel: string, ts: string, msg: SlackMessage): Promise<void> {
    // A caller's bug, not Slack's answer: what dvol updates (a request's messages) has no file.
    if (msg.file) throw new Error("chat.update cannot attach a file");
    await this.client.chat.update({
      channel,
      ts,
      text: msg.text,
      // An empty list removes the blocks the message had (its buttons, say).
      blocks: msg.blocks,
    });
  }

  async usergroupMembers(groupId: string): Promise<string[]> {
    const res = await this.client.usergroups.users.list({ usergroup: groupId });
    return res.users ?? [];
  }

  private async postMessage(
    channel: string,
    msg: SlackMessage,
    threadTs: string | undefined,
  ): Promise<PostedMessage> {
    const res = await this.client.chat.postMessage({
      channel,
      text: msg.text,
      ...(msg.blocks.length > 0 ? { blocks: msg.blocks } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
      unfurl_links: false,
      unfurl_media: false,
    });
    const ts = res.ts;
    const postedChannel = res.channel ?? channel;
    if (!ts) {
      throw new SlackPostError("chat.postMessage", "answered ok without the message's ts", {
        hint: "The Web API did not answer as Slack's does: check SLACK_API_URL (unset for Slack's own).",
      });
    }
    let fileId: string | null = null;
    if (msg.file) {
      const up = await this.client.filesUploadV2({
        channel_id: postedChannel,
        // In the message's thread: its own, or the one it was posted in.
        thread_ts: threadTs ?? ts,
        filename: msg.file.filename,
        title: msg.file.title,
        content: msg.file.content,
      });
      fileId = firstFileId(up) ?? null;
    }
    return { channel: postedChannel, ts, fileId };
  }

  respond(responseUrl: string, msg: SlackMessage): Promise<void> {
    return respondEphemeral(responseUrl, msg, this.timeoutMs);
  }
}

/** Answers through a response_url, ephemeral (no token needed: the URL is the credential). */
export async function respondEphemeral(
  responseUrl: string,
  msg: SlackMessage,
  timeoutMs = 15_000,
): Promise<void> {
  let ok: boolean;
  let status: number;
  let body: string;
  try {
    const res = await fetch(responseUrl, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({
        response_type: "ephemeral",
        replace_original: false,
        text: msg.text,
        ...(msg.blocks.length > 0 ? { blocks: msg.blocks } : {}),
      }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    ok = res.ok;
    status = res.status;
    body = await res.text();
  } catch (cause) {
    const timedOut = cause instanceof Error && cause.name === "TimeoutError";
    throw new SlackPostError(
      "response_url",
      timedOut ? `no answer within ${timeoutMs / 1000} s` : `no answer: ${messageOf(cause)}`,
      { cause, hint: "Check the network path to hooks.slack.com; the person was not told." },
    );
  }
  if (!ok) {
    throw new SlackPostError("response_url", `answered HTTP ${status}: ${body.slice(0, 200)}`, {
      status,
      hint: "A response_url takes at most 5 answers, within 30 minutes of the command or click; past that the person cannot be told this way.",
    });
  }
}

function messageOf(err: unknown): string {
  // fetch's TypeError ("fetch failed") keeps the reason (ECONNREFUSED, ENOTFOUND, …) in its cause.
  const cause = err instanceof Error ? err.cause : undefined;
  const why = cause instanceof Error ? ` (${cause.message})` : "";
  return `${err instanceof Error ? err.message : String(err)}${why}`;
}

function firstFileId(up: Awaited<ReturnType<WebClient["filesUploadV2"]>>): string | undefined {
  // filesUploadV2 answers { ok, files: [ completeUploadExternal's answer, … ] }.
  for (const c of up.files ?? []) for (const f of c.files ?? []) if (f.id) return f.id;
  return undefined;
}

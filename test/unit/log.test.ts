// Structured logs (src/log.ts) as CloudWatch receives them from the functions: one JSON object a
// line, with the function, the Lambda request ID and the job's fields; readable lines off Lambda;
// errors with their stack only when unexpected; no secret anywhere.

import { describe, expect, it } from "vitest";
import { createSlackHandler } from "../../handlers/slack.js";
import { createWorkerHandler } from "../../handlers/worker.js";
import { parseConfig } from "../../src/config/load.js";
import type { ConnectionFactory } from "../../src/docker/connection.js";
import { HostError, StoreError } from "../../src/errors.js";
import type { CommandJob, DecideJob } from "../../src/jobs/job.js";
import { createLogger, errorFields, type LogSink, withFields } from "../../src/log.js";
import type { SlackOutbox } from "../../src/slack/post.js";
import { lambdaContext } from "../support/lambda-context.js";
import { apiGatewayEvent, slackHeaders, slashCommandBody } from "../support/slack-requests.js";

const LAMBDA_ENV = { AWS_LAMBDA_FUNCTION_NAME: "dvol-prod-worker", POWERTOOLS_SERVICE_NAME: "dvol-prod" };
const BOT_TOKEN = "xoxb-canary-4242424242-secret";
const SIGNING_SECRET = "canary-signing-secret-0123456789";

function capture() {
  const lines: { level: string; line: string }[] = [];
  const sink: LogSink = (level, line) => lines.push({ level, line });
  return { lines, sink, json: () => lines.map((l) => JSON.parse(l.line) as Record<string, unknown>) };
}

const config = parseConfig(
  "hosts:\n  - name: host1\n    socket: /nonexistent/1.sock\n",
  "/tmp/dvol.config.yaml",
);

const job: CommandJob = {
  kind: "command",
  words: ["ls", "host1", "--dangling"],
  text: "ls host1 --dangling",
  channel: "C0OPS0001",
  user: "U0ALICE01",
  responseUrl: "https://hooks.slack.com/commands/T1/2/3",
  acceptedAt: "2026-12-01T08:00:00.000Z",
};

/** An outbox where nothing can be said: the worker must log the failure and throw. */
const mute: SlackOutbox = {
  async post() {
    throw Object.assign(new Error("An API error occurred: channel_not_found"), {
      data: { ok: false, error: "channel_not_found" },
    });
  },
  async respond() {
    throw new Error("expired_url");
  },
};

const engine: ConnectionFactory = async (host) => ({
  host: host.name,
  async call<T>(): Promise<T> {
    return { Version: "28.5.2", ApiVersion: "1.51", Volumes: [] } as T;
  },
  close() {},
});

describe("the worker's logs on Lambda", () => {
  it("are JSON lines with the function, the request ID and the job's kind, command, user and host", async () => {
    const out = capture();
    const worker = createWorkerHandler({
      env: { ...LAMBDA_ENV, SLACK_BOT_TOKEN: BOT_TOKEN },
      config,
      connect: engine,
      slack: mute,
      logger: createLogger({ env: LAMBDA_ENV, sink: out.sink }),
    });
    await expect(
      worker(job, lambdaContext({ functionName: "dvol-prod-worker", awsRequestId: "req-0001" })),
    ).rejects.toThrow(/could not be told/);
    const lines = out.json();
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l).toMatchObject({
        service: "dvol-prod",
        function_name: "dvol-prod-worker",
        function_request_id: "req-0001",
        job_kind: "command",
        command: "ls",
        slack_user: "U0ALICE01",
        channel: "C0OPS0001",
        host: "host1",
      });
      expect(["INFO", "WARN", "ERROR"]).toContain(l.level);
    }
    expect(lines.some((l) => l.level === "ERROR" && String(l.message).includes("could not be told"))).toBe(
      true,
    );
    expect(out.lines.every((l) => !l.line.includes("\n"))).toBe(true);
    expect(out.lines.map((l) => l.line).join("\n")).not.toContain(BOT_TOKEN);
  });

  it("a decision carries the deletion request ID, and the next invocation its own request ID", async () => {
    const out = capture();
    const worker = createWorkerHandler({
      env: LAMBDA_ENV,
      config,
      connect: engine,
      slack: mute,
      store: {
        getRequest: async () => {
          throw new StoreError("DynamoDB read request DR-0A1B2C3D on table t failed: Timeout");
        },
      } as never,
      logger: createLogger({ env: LAMBDA_ENV, sink: out.sink }),
    });
    const decide: DecideJob = {
      kind: "decide",
      requestId: "DR-0A1B2C3D",
      action: "approve",
      user: "U0BOB0001",
      channel: "C0OPS0001",
      messageTs: "1790000000.000100",
      threadTs: null,
      responseUrl: "https://hooks.slack.com/actions/T1/2/3",
      text: "approve DR-0A1B2C3D",
      acceptedAt: "2026-12-01T08:00:00.000Z",
    };
    await worker(decide, lambdaContext({ functionName: "dvol-prod-worker", awsRequestId: "req-0002" })).catch(
      () => {},
    );
    await worker(job, lambdaContext({ functionName: "dvol-prod-worker", awsRequestId: "req-0003" })).catch(
      () => {},
    );
    const lines = out.json();
    const first = lines.filter((l) => l.function_request_id === "req-0002");
    const second = lines.filter((l) => l.function_request_id === "req-0003");
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    for (const l of first) {
      expect(l).toMatchObject({
        job_kind: "decide",
        deletion_request_id: "DR-0A1B2C3D",
        slack_user: "U0BOB0001",
      });
    }
    // Nothing of the first job leaks into the next one's lines.
    for (const l of second) expect(l.deletion_request_id).toBeUndefined();
  });
});

describe("the Slack function's logs", () => {
  it("a refused request is a WARN line with the function and request ID, and no secret", async () => {
    const out = capture();
    const env = {
      ...LAMBDA_ENV,
      AWS_LAMBDA_FUNCTION_NAME: "dvol-prod-slack",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
    };
    const handler = createSlackHandler({
      env,
      config,
      dispatch: async () => {},
      logger: createLogger({ env, sink: out.sink }),
    });
    const body = slashCommandBody({ text: "ls host1" });
    const event = apiGatewayEvent(body, slackHeaders(body, { secret: "not-the-secret" }));
    const res = await handler(
      event,
      lambdaContext({ functionName: "dvol-prod-slack", awsRequestId: "req-0100" }),
    );
    expect(res).toMatchObject({ statusCode: 401 });
    const lines = out.json();
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "WARN",
        function_name: "dvol-prod-slack",
        function_request_id: "req-0100",
        message: expect.stringContaining("refused a request"),
      }),
    );
    expect(out.lines.map((l) => l.line).join("\n")).not.toContain(SIGNING_SECRET);
  });
});

describe("errorFields", () => {
  it("an unexpected error keeps its stack; a typed one its message and hint; causes are kept", () => {
    const bug = errorFields(new TypeError("x is undefined"));
    expect(bug.error).toMatchObject({ name: "TypeError", message: "x is undefined" });
    expect(String(bug.error.stack)).toContain("log.test.ts");

    const typed = errorFields(
      new HostError("host1", "timeout", "timed out after 20 s", { cause: new Error("ETIMEDOUT") }),
    );
    expect(typed.error.stack).toBeUndefined();
    expect(typed.error).toMatchObject({ name: "HostError", cause: { name: "Error", message: "ETIMEDOUT" } });
  });

  it("keeps none of an AWS SDK error's other properties (its $response holds the request's headers)", () => {
    const sdk = Object.assign(new Error("AccessDenied"), {
      name: "AccessDeniedException",
      $response: { headers: { authorization: "AWS4-HMAC-SHA256 Credential=AKIACANARY/…" } },
    });
    expect(JSON.stringify(errorFields(sdk))).not.toContain("AKIACANARY");
  });
});

describe("off Lambda", () => {
  it("the same logger prints readable lines: time, level, message, then the fields", () => {
    const out = capture();
    const log = withFields(createLogger({ env: {}, sink: out.sink }), { job_kind: "command", host: "host1" });
    log.warn("dvol: host1 is slow", errorFields(new Error("boom")));
    const [only] = out.lines;
    expect(only?.level).toBe("warn");
    const [first, ...stack] = String(only?.line).split("\n");
    expect(first).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN {2}dvol: host1 is slow job_kind=command host=host1 error="Error: boom"$/,
    );
    expect(stack[0]).toBe("Error: boom");
    expect(() => JSON.parse(String(only?.line))).toThrow();
  });
});

// Dispatchers: the Lambda one sends an asynchronous Invoke (InvocationType "Event") of the worker
// with the job as payload; the in-process one runs the job after the caller's turn, and logs
// failures instead of throwing them into the request.
import type { LambdaClient } from "@aws-sdk/client-lambda";
import { describe, expect, it, vi } from "vitest";
import { JobDispatchError } from "../../../src/errors.js";
import {
  IN_PROCESS_JOB_CONCURRENCY,
  inProcessDispatcher,
  lambdaDispatcher,
  workerFunctionName,
} from "../../../src/jobs/dispatch.js";
import type { CommandJob } from "../../../src/jobs/job.js";

const job: CommandJob = {
  kind: "command",
  words: ["ls", "host1"],
  text: "ls host1",
  channel: "C1",
  user: "U1",
  responseUrl: "https://hooks.slack.com/commands/1",
  acceptedAt: "2026-11-29T14:00:00.000Z",
};

function fakeLambda(statusCode: number) {
  const sent: { input: Record<string, unknown> }[] = [];
  const client = {
    send: async (cmd: { input: Record<string, unknown> }) => {
      sent.push(cmd);
      return { StatusCode: statusCode };
    },
  } as unknown as LambdaClient;
  return { client, sent };
}

describe("lambdaDispatcher", () => {
  it("invokes the worker asynchronously with the job as JSON", async () => {
    const { client, sent } = fakeLambda(202);
    await lambdaDispatcher({ functionName: "dvol-dev-worker", client })(job);
    expect(sent).toHaveLength(1);
    const input = sent[0]?.input ?? {};
    expect(input.FunctionName).toBe("dvol-dev-worker");
    expect(input.InvocationType).toBe("Event");
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual(job);
  });

  it("fails with a typed error when Lambda does not answer 202 Accepted", async () => {
    const { client } = fakeLambda(200);
    const sent = lambdaDispatcher({ functionName: "w", client })(job);
    await expect(sent).rejects.toBeInstanceOf(JobDispatchError);
    await expect(sent).rejects.toThrow("invoking w: answered 200, not 202 Accepted");
  });

  it("gives up at its deadline when Lambda does not answer, so the ack is not late", async () => {
    vi.useFakeTimers();
    try {
      let aborted: unknown;
      const client = {
        send: (_cmd: unknown, opts?: { abortSignal?: AbortSignal }) =>
          new Promise((_resolve, reject) => {
            opts?.abortSignal?.addEventListener("abort", () => {
              aborted = opts.abortSignal?.reason;
              reject(new Error("Request aborted"));
            });
          }),
      } as unknown as LambdaClient;
      const sent = lambdaDispatcher({ functionName: "w", client, timeoutMs: 1500 })(job);
      const settled = sent.then(
        () => "resolved",
        (err: unknown) => err,
      );
      await vi.advanceTimersByTimeAsync(1499);
      expect(aborted).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      const err = await settled;
      expect(err).toBeInstanceOf(JobDispatchError);
      expect(String(err)).toContain("invoking w: no answer within 1500 ms");
      expect(aborted).toBe(err);
    } finally {
      vi.useRealTimers();
    }
  });

  it("names the worker when the SDK call itself fails", async () => {
    const client = {
      send: async () => {
        throw new Error("AccessDeniedException: not authorized to perform lambda:InvokeFunction");
      },
    } as unknown as LambdaClient;
    const sent = lambdaDispatcher({ functionName: "dvol-dev-worker", client })(job);
    await expect(sent).rejects.toBeInstanceOf(JobDispatchError);
    await expect(sent).rejects.toThrow(/invoking dvol-dev-worker: .*AccessDenied/);
  });

  it("reads the function name from DVOL_WORKER_FUNCTION", () => {
    expect(workerFunctionName({ DVOL_WORKER_FUNCTION: " dvol-worker " })).toBe("dvol-worker");
    expect(workerFunctionName({})).toBeUndefined();
  });
});

describe("inProcessDispatcher", () => {
  it("resolves before the job runs, then runs it", async () => {
    const order: string[] = [];
    const d = inProcessDispatcher(async (j) => {
      order.push(`ran ${j.text}`);
    });
    await d(job);
    order.push("dispatched");
    await d.idle();
    expect(order).toEqual(["dispatched", "ran ls host1"]);
  });

  it("logs a failing job and never throws it", async () => {
    const logged: string[] = [];
    const d = inProcessDispatcher(
      async () => {
        throw new Error("engine on fire");
      },
      { error: (m: string) => logged.push(m) },
    );
    await expect(d(job)).resolves.toBeUndefined();
    await d.idle();
    expect(logged.join("\n")).toContain("engine on fire");
  });

  it("starts a job only once its startAfter has resolved (the acknowledgement written)", async () => {
    const order: string[] = [];
    let ackWritten: () => void = () => {};
    const written = new Promise<void>((r) => {
      ackWritten = r;
    });
    const d = inProcessDispatcher(
      async (j) => {
        order.push(`ran ${j.text}`);
      },
      console,
      { startAfter: () => written },
    );
    await d(job);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    order.push("ack written");
    ackWritten();
    await d.idle();
    expect(order).toEqual(["ack written", "ran ls host1"]);
  });

  it(`runs at most ${IN_PROCESS_JOB_CONCURRENCY} jobs at once, the others in the order they came`, async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const d = inProcessDispatcher(async (j) => {
      started.push(Number(j.text));
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    });
    for (let i = 0; i < 20; i++) await d({ ...job, text: String(i) });
    await d.idle();
    expect(IN_PROCESS_JOB_CONCURRENCY).toBe(4);
    expect(most).toBe(IN_PROCESS_JOB_CONCURRENCY);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("a failed job frees its slot", async () => {
    const ran: string[] = [];
    const d = inProcessDispatcher(
      async (j) => {
        ran.push(j.text);
        throw new Error("boom");
      },
      { error: () => {} },
      { concurrency: 1 },
    );
    await d({ ...job, text: "a" });
    await d({ ...job, text: "b" });
    await d.idle();
    expect(ran).toEqual(["a", "b"]);
  });
});

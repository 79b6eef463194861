// A MODEL of AWS Lambda's asynchronous invocation (how EventBridge invokes the report function),
// on an injected clock, with what matters to a handler that must not lose its work:
//
// - Lambda queues the event and answers at once; the handler runs later.
// - It retries only an invocation whose handler failed (threw): at most twice, about 1 minute
//   after the first failure and about 2 minutes after the second (retryDelaysMs). A handler that
//   returns is never retried, whatever it returned.
// - Each retry gets the same event and the same request id, and may run on another instance.
// - After the last failed try the event goes to the function's on-failure destination (or DLQ),
//   recorded here with the last error.
// - The handler's context says how long the invocation has left (the function's timeout).
//
// Time is virtual: a handler's run takes no time on the clock, attempts due at one instant run
// concurrently (EventBridge can deliver an event twice), and the clock moves to the next attempt
// only once every attempt in flight has ended (a real retry comes a minute later, when a run of a
// few seconds is long over). Not modelled: a handler killed at its deadline, Lambda's jitter.
import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import type { ManualClock } from "./clock.js";
import { lambdaContext } from "./lambda-context.js";

/** Lambda's context for one try: the request ID of the invocation, the time the try has left. */
export type AsyncContext = Context;

export type AsyncHandler<E, R> = (event: E, context: AsyncContext) => Promise<R>;

export interface Attempt<E, R> {
  /** Which invocation (in order of invoke()), from 0. */
  invocation: number;
  requestId: string;
  /** 1 for the first try, 2 and 3 for Lambda's retries. */
  attempt: number;
  /** When it ran, ms on the clock. */
  at: number;
  event: E;
  outcome: "succeeded" | "failed";
  result?: R;
  error?: unknown;
}

export interface FailedEvent<E> {
  invocation: number;
  requestId: string;
  event: E;
  /** How many times the handler was run. */
  attempts: number;
  /** The last try's error. */
  error: unknown;
  at: number;
}

export interface LambdaAsyncOptions<E, R> {
  handler: AsyncHandler<E, R>;
  clock: ManualClock;
  /** Delays before the retries (ms after the failed try): Lambda's are about 1 and 2 minutes. */
  retryDelaysMs?: readonly number[];
  /** The function's timeout (ms), for the context's remaining time (serverless.yml: 120 s). */
  timeoutMs?: number;
}

interface Pending<E> {
  invocation: number;
  requestId: string;
  attempt: number;
  due: number;
  event: E;
}

export const LAMBDA_RETRY_DELAYS_MS: readonly number[] = [60_000, 120_000];

export class LambdaAsyncModel<E, R> {
  /** Every try, in the order they ended. */
  readonly attempts: Attempt<E, R>[] = [];
  /** Events whose every try failed. */
  readonly failureDestination: FailedEvent<E>[] = [];
  private readonly queue: Pending<E>[] = [];
  private invocations = 0;
  private readonly delays: readonly number[];
  private readonly timeoutMs: number;

  constructor(private readonly opts: LambdaAsyncOptions<E, R>) {
    this.delays = opts.retryDelaysMs ?? LAMBDA_RETRY_DELAYS_MS;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  /** An asynchronous invocation: queued now, run by settle(). Returns the invocation's number. */
  invoke(event: E): number {
    const invocation = this.invocations++;
    this.queue.push({ invocation, requestId: randomUUID(), attempt: 1, due: this.opts.clock.ms(), event });
    return invocation;
  }

  /** Runs every queued try and retry, in time order, until nothing is left to run. */
  async settle(): Promise<void> {
    while (this.queue.length > 0) {
      const due = Math.min(...this.queue.map((p) => p.due));
      if (due > this.opts.clock.ms()) this.opts.clock.set(due);
      const now = this.queue.filter((p) => p.due === due);
      for (const p of now) this.queue.splice(this.queue.indexOf(p), 1);
      await Promise.all(now.map((p) => this.run(p)));
    }
  }

  /** The tries of one invocation, in order. */
  triesOf(invocation: number): Attempt<E, R>[] {
    return this.attempts.filter((a) => a.invocation === invocation);
  }

  private async run(p: Pending<E>): Promise<void> {
    const { clock } = this.opts;
    const startedAt = clock.ms();
    const context: AsyncContext = lambdaContext({
      awsRequestId: p.requestId,
      remainingMs: () => Math.max(0, startedAt + this.timeoutMs - clock.ms()),
    });
    const base = { invocation: p.invocation, requestId: p.requestId, attempt: p.attempt, at: startedAt };
    try {
      const result = await this.opts.handler(p.event, context);
      this.attempts.push({ ...base, event: p.event, outcome: "succeeded", result });
    } catch (error) {
      this.attempts.push({ ...base, event: p.event, outcome: "failed", error });
      const delay = this.delays[p.attempt - 1];
      if (delay === undefined) {
        this.failureDestination.push({
          invocation: p.invocation,
          requestId: p.requestId,
          event: p.event,
          attempts: p.attempt,
          error,
          at: clock.ms(),
        });
      } else {
        this.queue.push({ ...p, attempt: p.attempt + 1, due: clock.ms() + delay });
      }
    }
  }
}

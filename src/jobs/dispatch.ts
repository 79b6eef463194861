/**
 * Handing jobs to the worker. On AWS: an asynchronous invocation (`InvocationType: "Event"`) of
 * the worker function named by DVOL_WORKER_FUNCTION, which returns once Lambda has queued the
 * event (failed runs go to the function's on-failure destination). Locally: in-process, after the
 * acknowledgement, a few at a time, with errors logged and never thrown into the request.
 */
import type { LambdaClient } from "@aws-sdk/client-lambda";
import pLimit from "p-limit";
import { cached } from "../cached.js";
import { describeError, JobDispatchError } from "../errors.js";
import { errorFields } from "../log.js";
import type { Job, JobDispatcher } from "./job.js";

export interface LambdaDispatcherOptions {
  /** Name or ARN of the worker function. */
  functionName: string;
  /** A client to use (tests, custom endpoints); by default one is made on first use. */
  client?: LambdaClient;
  /**
   * Deadline of the whole invocation, retries included, in ms. Slack wants its acknowledgement
   * within 3 s, and the handler answers only after the job is handed over.
   */
  timeoutMs?: number;
}

export const DISPATCH_TIMEOUT_MS = 2000;

/**
 * Invokes the worker asynchronously. The SDK is loaded on the first dispatch, not at import, so
 * the Slack handler's cold start does not pay for it when a command needs no host.
 */
export function lambdaDispatcher(opts: LambdaDispatcherOptions): JobDispatcher {
  const ready = cached(() =>
    import("@aws-sdk/client-lambda").then((sdk) => ({
      client: opts.client ?? new sdk.LambdaClient({}),
      Invoke: sdk.InvokeCommand,
    })),
  );
  const timeoutMs = opts.timeoutMs ?? DISPATCH_TIMEOUT_MS;
  return async (job: Job) => {
    const { client, Invoke } = await ready();
    // A timer of our own rather than AbortSignal.timeout: the error says what timed out, and
    // tests drive it with fake timers.
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new JobDispatchError(opts.functionName, `no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    let out: { StatusCode?: number };
    try {
      out = await client.send(
        new Invoke({
          FunctionName: opts.functionName,
          InvocationType: "Event",
          Payload: new TextEncoder().encode(JSON.stringify(job)),
        }),
        { abortSignal: abort.signal },
      );
    } catch (err) {
      if (err instanceof JobDispatchError) throw err;
      if (abort.signal.aborted) throw abort.signal.reason;
      throw new JobDispatchError(opts.functionName, describeError(err), { cause: err });
    } finally {
      clearTimeout(timer);
    }
    if (out.StatusCode !== 202) {
      throw new JobDispatchError(
        opts.functionName,
        `answered ${out.StatusCode ?? "no status"}, not 202 Accepted`,
      );
    }
  };
}

export interface InProcessDispatcher extends JobDispatcher {
  /** Resolves when every job dispatched so far has finished (tests, shutdown). */
  idle(): Promise<void>;
}

/**
 * How many in-process jobs run at once; the others wait their turn, in the order they came. Every
 * job runs on the one thread that also answers Slack: each host it asks costs a TLS handshake and
 * the parse of the engine's answer (for 1,000 volumes, a few ms each), and its result is rendered
 * there too. Unbounded, a burst of 100 `/dvol ls host1,host2` runs 200 of those at once, between
 * the acknowledgements still to be written, which then took up to 3.3 s (bench/server-burst.ts).
 * Four keep a few hosts' round trips overlapping (a job mostly awaits the network) and leave the
 * event loop to the acknowledgements on a 2-core machine; a job stuck on a slow host holds one
 * slot until its host's timeout.
 */
export const IN_PROCESS_JOB_CONCURRENCY = 4;

export interface InProcessDispatcherOptions {
  /** At most this many jobs at once (default IN_PROCESS_JOB_CONCURRENCY). */
  concurrency?: number;
  /**
   * Asked when a job is dispatched: what the job waits for before it is queued (the local server:
   * its request's acknowledgement written). Undefined: the next turn of the event loop.
   */
  startAfter?: () => Promise<unknown> | undefined;
}

/**
 * Runs each job in this process, after the acknowledgement (`startAfter`, else a later turn of
 * the event loop), at most `concurrency` at once (p-limit, dvol's one concurrency limiter). A
 * job's failure is logged, never thrown into the request that dispatched it.
 */
export function inProcessDispatcher(
  run: (job: Job) => Promise<unknown>,
  logger: Pick<Console, "error"> = console,
  opts: InProcessDispatcherOptions = {},
): InProcessDispatcher {
  const limit = pLimit(Math.max(1, opts.concurrency ?? IN_PROCESS_JOB_CONCURRENCY));
  const pending = new Set<Promise<void>>();
  const dispatch = async (job: Job): Promise<void> => {
    const after = opts.startAfter?.() ?? new Promise<void>((resolve) => setImmediate(resolve));
    const p: Promise<void> = after
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => limit(() => run(job)))
      .then(
        () => undefined,
        (err: unknown) => {
          logger.error(`dvol: job ${job.text} failed: ${describeError(err)}`, errorFields(err));
        },
      )
      .finally(() => pending.delete(p));
    pending.add(p);
  };
  return Object.assign(dispatch, {
    async idle(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  });
}

/** The dispatcher the environment asks for: Lambda when DVOL_WORKER_FUNCTION is set. */
export function workerFunctionName(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DVOL_WORKER_FUNCTION?.trim() || undefined;
}

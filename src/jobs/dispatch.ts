/**
 * Handing jobs to the worker. On AWS: an asynchronous invocation (`InvocationType: "Event"`) of
 * the worker function named by DVOL_WORKER_FUNCTION, which returns once Lambda has queued the
 * event (failed runs go to the function's on-failure destination). Locally: in-process, after the
 * acknowledgement, with errors logged and never thrown into the request.
 */
import type { LambdaClient } from "@aws-sdk/client-lambda";
import { cached } from "../cached.js";
import { describeError } from "../errors.js";
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
  return async (job: Job) => {
    const { client, Invoke } = await ready();
    const out = await client.send(
      new Invoke({
        FunctionName: opts.functionName,
        InvocationType: "Event",
        Payload: new TextEncoder().encode(JSON.stringify(job)),
      }),
      { abortSignal: AbortSignal.timeout(opts.timeoutMs ?? DISPATCH_TIMEOUT_MS) },
    );
    if (out.StatusCode !== 202) {
      throw new Error(`invoking ${opts.functionName} answered ${out.StatusCode ?? "no status"}, not 202`);
    }
  };
}

export interface InProcessDispatcher extends JobDispatcher {
  /** Resolves when every job dispatched so far has finished (tests, shutdown). */
  idle(): Promise<void>;
}

/**
 * Runs each job in this process, on a later turn of the event loop, so the acknowledgement goes
 * out first. A job's failure is logged, never thrown into the request that dispatched it.
 */
export function inProcessDispatcher(
  run: (job: Job) => Promise<unknown>,
  logger: Pick<Console, "error"> = console,
): InProcessDispatcher {
  const pending = new Set<Promise<void>>();
  const dispatch = async (job: Job): Promise<void> => {
    const p: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => run(job))
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

// A complete Lambda context, as Lambda hands one to a handler: what the handlers type their
// context as (aws-lambda's Context), so that a test passes what production passes, not a part.
import type { Context } from "aws-lambda";

export interface LambdaContextOptions {
  functionName?: string;
  awsRequestId?: string;
  /** What getRemainingTimeInMillis() answers (default: a minute, always). */
  remainingMs?: () => number;
}

export function lambdaContext(opts: LambdaContextOptions = {}): Context {
  const functionName = opts.functionName ?? "dvol-test-function";
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: opts.awsRequestId ?? "00000000-0000-4000-8000-000000000000",
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "2026/01/01/[$LATEST]0123456789abcdef",
    getRemainingTimeInMillis: opts.remainingMs ?? (() => 60_000),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

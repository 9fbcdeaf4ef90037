import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface LambdaContextInput {
  readonly functionName: string;
  readonly timeoutMs: number;
  /** When the invocation started (ms since the epoch, on `now`'s clock). */
  readonly startedAt: number;
  readonly now: () => number;
  readonly memoryLimitInMB?: number;
}

/** The Lambda context of one local invocation; `getRemainingTimeInMillis` counts down from the function timeout. */
export function createLambdaContext(input: LambdaContextInput): Context {
  const deadline = input.startedAt + input.timeoutMs;
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name} is not supported by the local runner (use an async handler)`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: input.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${input.functionName}`,
    memoryLimitInMB: String(input.memoryLimitInMB ?? 512),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${input.functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - input.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

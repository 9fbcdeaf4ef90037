import type { LambdaSettings, QueueSettings } from './lambda-settings.js';

/**
 * What `TaskerEngine` deploys with its default props, as plain numbers (no aws-cdk-lib), so the
 * embedded runtime starts in milliseconds instead of synthesizing a stack (~9 s). A test
 * synthesizes the default construct and checks these against the template; `cdk/props.ts`
 * should take its defaults from here so the two cannot drift.
 */
export const DEPLOYED_DEFAULTS = {
  maxConcurrentHandlers: 10,
  handlerTimeoutSeconds: 30,
  dispatchBatchSize: 1,
  completionBatchSize: 10,
  completionMaxConcurrency: 5,
  completionTimeoutSeconds: 30,
  maxReceiveCount: 5,
  /** AWS: the visibility timeout is at least 6 x the function timeout (+ the batching window). */
  visibilityTimeoutFactor: 6,
  sweepIntervalSeconds: 60,
} as const;

const d = DEPLOYED_DEFAULTS;

/** The step-handler function and its dispatch event source: reserved = max concurrency = the semaphore. */
export const STEP_HANDLER_DEFAULTS: LambdaSettings = {
  timeoutMs: d.handlerTimeoutSeconds * 1000,
  reservedConcurrency: d.maxConcurrentHandlers,
  batchSize: d.dispatchBatchSize,
  maxBatchingWindowMs: 0,
  maxConcurrency: d.maxConcurrentHandlers,
  reportBatchItemFailures: true,
};

/** The completion function: no reserved concurrency, five concurrent batches of ten. */
export const COMPLETION_DEFAULTS: LambdaSettings = {
  timeoutMs: d.completionTimeoutSeconds * 1000,
  reservedConcurrency: undefined,
  batchSize: d.completionBatchSize,
  maxBatchingWindowMs: 0,
  maxConcurrency: d.completionMaxConcurrency,
  reportBatchItemFailures: true,
};

export const DISPATCH_QUEUE_DEFAULTS: QueueSettings = {
  visibilityTimeoutSeconds: d.visibilityTimeoutFactor * d.handlerTimeoutSeconds,
  maxReceiveCount: d.maxReceiveCount,
};

export const COMPLETION_QUEUE_DEFAULTS: QueueSettings = {
  visibilityTimeoutSeconds: d.visibilityTimeoutFactor * d.completionTimeoutSeconds,
  maxReceiveCount: d.maxReceiveCount,
};

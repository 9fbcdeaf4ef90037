import { runtimeConfig } from '../../contracts/runtime-config.js';
import type { AnswerConfig } from '../dispatch-deps.js';
import { DEFAULT_MAX_RESULT_BYTES } from '../worker-config.js';
import { DEFAULT_RETRY_DELAYS_MS } from '../../ports/retry-settings.js';

/** The runtime defaults (tasker-core's worker.toml, TAS-67): completion, starvation and callback timeouts. */
const RUNTIME_DEFAULTS = runtimeConfig.parse({});

/** SQS's own default visibility timeout; a heartbeat keeps a running step's message invisible beyond it. */
export const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
/** Heartbeats run at this fraction of the visibility timeout, so two can fail before a redelivery. */
export const DEFAULT_HEARTBEAT_FRACTION = 1 / 3;
/** A poll waits at most this long for a message (SQS WaitTimeSeconds), so it never holds its caller for long. */
export const MAX_POLL_WAIT_SECONDS = 1;
/** How often deadlines and starvation are checked. */
export const DEFAULT_TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/** A pull worker's settings: its queues and identity, and the timing of its polls, heartbeats and timeouts. */
export interface PullWorkerConfig {
  /** The namespace's dispatch queue this worker pulls from. */
  readonly dispatchQueueUrl: string;
  readonly completionQueueUrl: string;
  readonly poisonQueueUrl: string;
  readonly domainEventDlqUrl?: string;
  readonly workerId: string;
  /** Visibility timeout asked for on receive and renewed by every heartbeat. Default 30 s. */
  readonly visibilityTimeoutSeconds?: number;
  /** Heartbeat interval as a fraction (0..1, exclusive) of the visibility timeout. Default 1/3. */
  readonly heartbeatFraction?: number;
  /** SQS WaitTimeSeconds of one poll: 0 or 1. Default 1. */
  readonly pollWaitSeconds?: number;
  /** Messages asked for per receive (1..10); extras are buffered. Default 1. */
  readonly receiveBatchSize?: number;
  /** Caps every step's timeout (counted from receipt): TASKER_COMPLETION_TIMEOUT_MS, default 30 s. */
  readonly completionTimeoutMs?: number;
  /** An event received and not answered for longer than this is warned about, once. Default 10 s. */
  readonly starvationWarningThresholdMs?: number;
  /** `complete` waits at most this long for domain-event publishing, which goes on in the background. Default 5 s. */
  readonly callbackTimeoutMs?: number;
  readonly timeoutCheckIntervalMs?: number;
  readonly maxResultBytes?: number;
  readonly retryDelaysMs?: readonly number[];
}

/** The settings with every default filled in. */
export type ResolvedPullWorkerConfig = Required<Omit<PullWorkerConfig, 'domainEventDlqUrl'>> &
  Pick<PullWorkerConfig, 'domainEventDlqUrl'>;

/** A setting no pull worker can run with: a programming or configuration error. */
export class PullWorkerConfigError extends Error {
  override readonly name = 'PullWorkerConfigError';
}

/**
 * The settings with their defaults (SQS's visibility timeout, the runtime's completion, starvation and
 * callback timeouts, a 1 s poll of one message); throws PullWorkerConfigError for one no worker can run with.
 *
 * @example
 * ```ts
 * resolvePullWorkerConfig({ dispatchQueueUrl, completionQueueUrl, poisonQueueUrl, workerId: 'w-1' }).visibilityTimeoutSeconds; // 30
 * ```
 */
export function resolvePullWorkerConfig(config: PullWorkerConfig): ResolvedPullWorkerConfig {
  const resolved: ResolvedPullWorkerConfig = {
    visibilityTimeoutSeconds: DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
    heartbeatFraction: DEFAULT_HEARTBEAT_FRACTION,
    pollWaitSeconds: MAX_POLL_WAIT_SECONDS,
    receiveBatchSize: 1,
    completionTimeoutMs: RUNTIME_DEFAULTS.completionTimeoutMs,
    starvationWarningThresholdMs: RUNTIME_DEFAULTS.starvationWarningThresholdMs,
    callbackTimeoutMs: RUNTIME_DEFAULTS.callbackTimeoutMs,
    timeoutCheckIntervalMs: DEFAULT_TIMEOUT_CHECK_INTERVAL_MS,
    maxResultBytes: DEFAULT_MAX_RESULT_BYTES,
    retryDelaysMs: DEFAULT_RETRY_DELAYS_MS,
    ...withoutUndefined(config),
  } as ResolvedPullWorkerConfig;
  checkConfig(resolved);
  return resolved;
}

/** The settings the shared answering steps (result send, poison, event parking) read. */
export function answerConfig(config: ResolvedPullWorkerConfig): AnswerConfig {
  return {
    completionQueueUrl: config.completionQueueUrl,
    poisonQueueUrl: config.poisonQueueUrl,
    domainEventDlqUrl: config.domainEventDlqUrl,
    maxResultBytes: config.maxResultBytes,
    workerId: config.workerId,
    workerKind: 'pull',
    sourceQueue: config.dispatchQueueUrl,
    retryDelaysMs: config.retryDelaysMs,
  };
}

/** The heartbeat interval in milliseconds. */
export function heartbeatIntervalMs(config: ResolvedPullWorkerConfig): number {
  return Math.max(1, Math.floor(config.visibilityTimeoutSeconds * 1000 * config.heartbeatFraction));
}

function checkConfig(c: ResolvedPullWorkerConfig): void {
  const problems = [
    integerIn('visibilityTimeoutSeconds', c.visibilityTimeoutSeconds, 1, 43_200),
    integerIn('pollWaitSeconds', c.pollWaitSeconds, 0, MAX_POLL_WAIT_SECONDS),
    integerIn('receiveBatchSize', c.receiveBatchSize, 1, 10),
    c.heartbeatFraction > 0 && c.heartbeatFraction < 1
      ? null
      : `heartbeatFraction must be in (0, 1), got ${c.heartbeatFraction}`,
    ...(
      ['completionTimeoutMs', 'starvationWarningThresholdMs', 'callbackTimeoutMs', 'timeoutCheckIntervalMs'] as const
    ).map((k) => integerIn(k, c[k], 1, Number.MAX_SAFE_INTEGER)),
  ].filter((p): p is string => p !== null);
  if (problems.length > 0) throw new PullWorkerConfigError(`invalid pull worker configuration: ${problems.join('; ')}`);
}

function integerIn(name: string, value: number, min: number, max: number): string | null {
  return Number.isInteger(value) && value >= min && value <= max
    ? null
    : `${name} must be an integer in ${min}..${max}, got ${value}`;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

import type { Clock } from '../ports/clock.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { QueueSender } from '../ports/message-queue.js';
import type { HandlerRegistry } from './handler-registry.js';
import { timerSleep, type RetrySettings, type Sleep } from '../ports/retry-settings.js';
import { resolveWorkerConfig, type ResolvedWorkerConfig, type WorkerConfig } from './worker-config.js';

/** One message from the dispatch queue, in the least shape every consumer (Lambda, pull worker, local runner) can give. */
export interface DispatchRecord {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount?: number;
  /** Its first receive (SQS ApproximateFirstReceiveTimestamp): the attempt's time runs from here (see attempt-start.ts). */
  readonly firstReceivedAt?: Date;
  /** The queue it came from (an ARN or URL), named in poison messages. */
  readonly sourceQueue?: string;
}

export interface DispatchDeps {
  readonly queue: QueueSender;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly handlers: HandlerRegistry;
  readonly config: WorkerConfig;
  /** Time the runtime has left (Lambda: context.getRemainingTimeInMillis; Infinity when unbounded). */
  readonly remainingTimeMs: () => number;
  /** Waits between retries; a timer by default. */
  readonly sleep?: Sleep;
}

/** The settings answering a record reads (result size, worker identity, queues, retries); nothing about a runtime's end. */
export type AnswerConfig = Omit<ResolvedWorkerConfig, 'safetyMarginMs'>;

/**
 * What answering a record takes without running its handler: sending its result, moving it to the
 * poison queue, publishing or parking its domain events. The pull worker gives exactly this.
 */
export interface AnswerDeps {
  readonly queue: QueueSender;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: AnswerConfig;
  readonly retry: RetrySettings;
}

/** The deps with every default filled in, as the per-record steps use them: answering, plus running the handler. */
export interface RecordDeps extends AnswerDeps {
  readonly config: ResolvedWorkerConfig;
  readonly handlers: HandlerRegistry;
  /** Time the runtime has left (Lambda: context.getRemainingTimeInMillis; Infinity when unbounded). */
  readonly remainingTimeMs: () => number;
}

/** Retries at the configured delays, waiting with `sleep` (a timer when left out). */
export function retrySettings(config: Pick<AnswerConfig, 'retryDelaysMs'>, sleep: Sleep | undefined): RetrySettings {
  return { delaysMs: config.retryDelaysMs, sleep: sleep ?? timerSleep };
}

export function resolveDeps(deps: DispatchDeps): RecordDeps {
  const config = resolveWorkerConfig(deps.config);
  return { ...deps, config, retry: retrySettings(config, deps.sleep) };
}

import type { Clock, RandomSource, Sleeper } from '../ports/clock.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { QueueSender } from '../ports/message-queue.js';
import type { OrchestrationStore } from '../ports/orchestration-store.js';
import type { QueueCounter } from '../ports/queue-counts.js';
import { DEFAULT_RETRY_DELAYS_MS, timerSleep, type RetrySettings } from '../ports/retry-settings.js';
import type { QueueRouting } from './queue-routing.js';

/** What the orchestration use cases run on. */
export interface OrchestrationDeps {
  readonly store: OrchestrationStore;
  readonly queues: QueueSender;
  readonly events: EventBus;
  readonly routing: QueueRouting;
  /**
   * Counts the dispatch queues' messages for the sweeper, which holds attempts nobody reported
   * started while their queue holds a backlog. Without it only the attempts' deadlines count.
   */
  readonly queueCounts?: QueueCounter;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly limits?: Partial<OrchestrationLimits>;
  /** Lets a retry tick that arrived up to a second early wait for its due time (SQS delays are whole seconds). */
  readonly sleeper?: Sleeper;
  /** How a failed poison-queue send is retried; DEFAULT_RETRY_DELAYS_MS on a timer when left out. */
  readonly retry?: RetrySettings;
}

export interface OrchestrationLimits {
  /** Largest task context accepted at creation (it travels in every dispatch message). */
  readonly maxContextBytes: number;
  /** Outbox rows older than this are re-sent by the sweeper (their sender died). */
  readonly outboxResendAfterMs: number;
  /** Rows handled per sweep of each kind. */
  readonly sweepBatchSize: number;
}

export const DEFAULT_LIMITS: OrchestrationLimits = {
  maxContextBytes: 64 * 1024,
  outboxResendAfterMs: 30_000,
  sweepBatchSize: 500,
};

export function limitsOf(deps: OrchestrationDeps): OrchestrationLimits {
  return { ...DEFAULT_LIMITS, ...deps.limits };
}

/** The retry settings of the deps, with the defaults filled in. */
export function retryOf(deps: OrchestrationDeps): RetrySettings {
  return deps.retry ?? { delaysMs: DEFAULT_RETRY_DELAYS_MS, sleep: timerSleep };
}

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

/** The deps with every default filled in, as the per-record steps use them. */
export interface RecordDeps extends Omit<DispatchDeps, 'config' | 'sleep'> {
  readonly config: ResolvedWorkerConfig;
  readonly retry: RetrySettings;
}

export function resolveDeps(deps: DispatchDeps): RecordDeps {
  const config = resolveWorkerConfig(deps.config);
  return { ...deps, config, retry: { delaysMs: config.retryDelaysMs, sleep: deps.sleep ?? timerSleep } };
}

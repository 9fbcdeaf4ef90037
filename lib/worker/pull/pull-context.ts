import type { QueueReceiver } from '../../ports/message-queue.js';
import type { RecordDeps } from '../dispatch-deps.js';
import type { ResolvedPullWorkerConfig } from './pull-worker-config.js';
import type { PullCounters } from './pull-metrics.js';
import type { PendingEvents } from './pending-events.js';

/** What the pull worker's steps share: the ports, the settings, the pending events and the totals. */
export interface PullContext {
  /** The shared worker steps' deps: the sender (completion, poison, parked events), bus, clock, logger, retries. */
  readonly deps: RecordDeps;
  /** The dispatch queue: receive, heartbeat (ChangeMessageVisibility), delete. */
  readonly dispatch: QueueReceiver;
  readonly config: ResolvedPullWorkerConfig;
  readonly pending: PendingEvents;
  readonly counters: PullCounters;
  /** Domain-event publishing still running after `complete` returned; awaited (bounded) by `close`. */
  readonly background: Set<Promise<unknown>>;
}

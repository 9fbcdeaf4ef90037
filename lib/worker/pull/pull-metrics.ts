import type { PendingEvent } from './pending-events.js';

/** Running totals since the worker started. */
export interface PullCounters {
  received: number;
  completed: number;
  /** `complete` calls refused: unknown, already answered, timed out, not handed out, or the worker closed. */
  refusedCompletions: number;
  /** `complete` calls whose result could not be sent; the event stayed pending. */
  completionSendFailures: number;
  timedOut: number;
  invalid: number;
  poisoned: number;
  duplicates: number;
  receiveErrors: number;
  heartbeatFailures: number;
  /** Domain-event publishing that outlasted the callback timeout (it went on in the background). */
  callbackTimeouts: number;
}

/** A snapshot of the worker (FfiDispatchChannelMetrics): what is pending, how old, whether it starves. */
export interface PullWorkerMetrics extends Readonly<PullCounters> {
  /** Events received and not answered yet (buffered plus handed out). */
  readonly pendingCount: number;
  readonly bufferedCount: number;
  /** Events handed out by `poll` whose `complete` has not been accepted yet. */
  readonly inProgressCount: number;
  readonly oldestPendingAgeMs: number | null;
  readonly newestPendingAgeMs: number | null;
  readonly starvationDetected: boolean;
  /** Pending events older than the starvation warning threshold. */
  readonly starvingEventCount: number;
}

/** What one heartbeat did: visibilities extended, and extensions that failed (logged and counted). */
export interface HeartbeatReport {
  readonly extended: number;
  readonly failed: number;
}

/** All totals at zero: a worker just started. */
export function emptyCounters(): PullCounters {
  return {
    received: 0,
    completed: 0,
    refusedCompletions: 0,
    completionSendFailures: 0,
    timedOut: 0,
    invalid: 0,
    poisoned: 0,
    duplicates: 0,
    receiveErrors: 0,
    heartbeatFailures: 0,
    callbackTimeouts: 0,
  };
}

/** The snapshot `metrics()` returns: the totals, and the pending events' counts and ages at `now`. */
export function pullWorkerMetrics(
  events: readonly PendingEvent[],
  counters: PullCounters,
  now: Date,
  starvationThresholdMs: number,
): PullWorkerMetrics {
  const ages = events.map((e) => now.getTime() - e.receivedAt.getTime());
  const starving = ages.filter((age) => age > starvationThresholdMs).length;
  return {
    ...counters,
    pendingCount: events.length,
    bufferedCount: events.filter((e) => e.state === 'buffered').length,
    inProgressCount: events.filter((e) => e.state !== 'buffered').length,
    oldestPendingAgeMs: ages.length === 0 ? null : Math.max(...ages),
    newestPendingAgeMs: ages.length === 0 ? null : Math.min(...ages),
    starvationDetected: starving > 0,
    starvingEventCount: starving,
  };
}

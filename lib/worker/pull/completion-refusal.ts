import type { PendingEvent } from './pending-event.js';
import type { PendingEvents } from './pending-events.js';

/** Why `complete` refused an event (it then returns false and logs this). */
export type CompletionRefusal =
  | 'unknown_event'
  | 'already_completed'
  | 'timed_out'
  /** Received but never handed out by `poll`: its id cannot have come from this worker. */
  | 'not_handed_out'
  /** Another `complete` (or the timeout) is answering it right now. */
  | 'already_answering'
  | 'worker_closed';

/** The reason `complete` must refuse the event, or null when it may be answered. */
export function completionRefusal(eventId: string, event: PendingEvent | undefined, pending: PendingEvents, closed: boolean): CompletionRefusal | null {
  if (closed) return 'worker_closed';
  if (event === undefined) {
    const finished = pending.finished(eventId);
    return finished === undefined ? 'unknown_event' : finished === 'completed' ? 'already_completed' : 'timed_out';
  }
  if (event.state === 'buffered') return 'not_handed_out';
  return event.state === 'answering' ? 'already_answering' : null;
}

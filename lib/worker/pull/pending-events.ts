import type { StepDispatchMessage } from '../../contracts/step-dispatch-message.js';
import type { LogFields } from '../../ports/logger.js';
import { computeStepDeadline, type DeadlineBound } from '../step-deadline.js';

/**
 * Where a received event stands: `buffered` (received, not yet handed out by `poll`), `handed_out`
 * (a handler runs it), `answering` (its result, or the timeout failure sent on its behalf, is being sent).
 */
export type PendingState = 'buffered' | 'handed_out' | 'answering';

/** One received dispatch message the worker has not answered yet (FfiDispatchChannel's pending event). */
export interface PendingEvent {
  readonly eventId: string;
  readonly message: StepDispatchMessage;
  readonly messageId: string;
  /** The newest receipt handle: SQS deletes and extends only with the most recent one. */
  readonly receiptHandle: string;
  readonly receiveCount: number;
  readonly receivedAt: Date;
  readonly deadline: Date;
  readonly deadlineBound: DeadlineBound;
  readonly state: PendingState;
  readonly handedOutAt: Date | null;
  readonly starvationWarned: boolean;
}

/** The receipt of one delivery of a message. */
export interface ReceiptInfo {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly receiveCount: number;
}

/** How an answered event ended, remembered so a later `complete` is refused with the right reason. */
export type FinishedAs = 'completed' | 'timed_out';

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

/**
 * What receiving a valid message did: `added` a buffered event; `redelivered`: the same message of
 * a pending event came again, and its newest receipt handle is kept; `duplicate`: another copy of
 * an event pending or answered (it is answered once, by its first copy).
 */
export type Admission =
  | { readonly kind: 'added' }
  | { readonly kind: 'redelivered'; readonly event: PendingEvent }
  | { readonly kind: 'duplicate' };

/** Answered events remembered for refusals and duplicate deliveries; the oldest are forgotten beyond this. */
const MAX_FINISHED = 10_000;

/** A pending event as this map changes it; every PendingEvent handed out is one of these. */
type Entry = { -readonly [K in keyof PendingEvent]: PendingEvent[K] };

/**
 * The pending events, keyed by event_id, in receipt order, and the recently answered ones. Every
 * change of an event (receipt, hand-out, answering and its undoing, finishing, release) happens
 * here; callers get read-only views.
 */
export class PendingEvents {
  private readonly byId = new Map<string, Entry>();
  private readonly finishedById = new Map<string, FinishedAs>();

  /** The pending event with this id, if any. */
  get(eventId: string): PendingEvent | undefined {
    return this.byId.get(eventId);
  }

  /** True while this very event is pending (not answered, released or dropped since). */
  holds(event: PendingEvent): boolean {
    return this.byId.get(event.eventId) === event;
  }

  /** Every pending event, oldest receipt first. */
  all(): PendingEvent[] {
    return [...this.byId.values()];
  }

  /**
   * Files a valid message received now. A new event is buffered; its deadline is the earliest of the
   * attempt's deadline (by default the dispatch message's `deadline`; see attempt-start.ts) and
   * receipt plus the step timeout, capped by `completionTimeoutMs`.
   */
  admit(
    message: StepDispatchMessage,
    receipt: ReceiptInfo,
    now: Date,
    completionTimeoutMs: number,
    attemptDeadline = new Date(message.deadline),
  ): Admission {
    const known = this.byId.get(message.event_id);
    if (known !== undefined && known.messageId === receipt.messageId) {
      known.receiptHandle = receipt.receiptHandle;
      return { kind: 'redelivered', event: known };
    }
    if (known !== undefined || this.finishedById.has(message.event_id)) return { kind: 'duplicate' };
    this.byId.set(message.event_id, newEntry(message, receipt, now, completionTimeoutMs, attemptDeadline));
    return { kind: 'added' };
  }

  /** The oldest buffered event still within its deadline, now handed out; null when there is none. */
  handOut(now: Date): PendingEvent | null {
    const next = [...this.byId.values()].find((e) => e.state === 'buffered' && !isPastDeadline(e, now));
    if (next === undefined) return null;
    next.state = 'handed_out';
    next.handedOutAt = now;
    return next;
  }

  /** The reason `complete` must refuse the event, or null when it may be answered. */
  refusal(eventId: string, closed: boolean): CompletionRefusal | null {
    if (closed) return 'worker_closed';
    const event = this.byId.get(eventId);
    if (event === undefined) {
      const finished = this.finishedById.get(eventId);
      return finished === undefined ? 'unknown_event' : finished === 'completed' ? 'already_completed' : 'timed_out';
    }
    if (event.state === 'buffered') return 'not_handed_out';
    return event.state === 'answering' ? 'already_answering' : null;
  }

  /** Marks the event as being answered; returns the state to go back to if its answer cannot be sent. */
  beginAnswer(event: PendingEvent): PendingState {
    const previous = event.state;
    (event as Entry).state = 'answering';
    return previous;
  }

  /** An answer that was not sent: the event, if still being answered, goes back to `state`. */
  undoAnswer(event: PendingEvent, state: PendingState): void {
    if (event.state === 'answering') (event as Entry).state = state;
  }

  /** Removes the answered event and remembers how it ended. */
  finish(eventId: string, as: FinishedAs): void {
    this.byId.delete(eventId);
    this.finishedById.delete(eventId);
    this.finishedById.set(eventId, as);
    if (this.finishedById.size > MAX_FINISHED)
      this.finishedById.delete(this.finishedById.keys().next().value as string);
  }

  /** How an answered event ended; undefined when it is pending, unknown or forgotten. */
  finished(eventId: string): FinishedAs | undefined {
    return this.finishedById.get(eventId);
  }

  /** Removes an event nobody is answering, unanswered (given back to the queue); null when there is none. */
  release(eventId: string): PendingEvent | null {
    const event = this.byId.get(eventId);
    if (event === undefined || event.state === 'answering') return null;
    this.byId.delete(eventId);
    return event;
  }

  /** Removes every event, unanswered; returns them (the worker closes). */
  releaseAll(): PendingEvent[] {
    const events = this.all();
    this.byId.clear();
    return events;
  }

  /** Events past their deadline that nobody is answering yet. */
  expired(now: Date): PendingEvent[] {
    return this.all().filter((e) => e.state !== 'answering' && isPastDeadline(e, now));
  }

  /** Events older than the threshold not warned about yet; each is returned once. */
  newlyStarving(now: Date, thresholdMs: number): PendingEvent[] {
    const starving = [...this.byId.values()].filter(
      (e) => !e.starvationWarned && now.getTime() - e.receivedAt.getTime() > thresholdMs,
    );
    for (const event of starving) event.starvationWarned = true;
    return starving;
  }
}

/** True once the instant is after the event's deadline (the same rule as a handler's late return). */
export function isPastDeadline(event: PendingEvent, now: Date): boolean {
  return now.getTime() > event.deadline.getTime();
}

/** The ids every log line about the event carries. */
export function eventLogFields(event: PendingEvent): LogFields {
  const m = event.message;
  return {
    task_uuid: m.task_uuid,
    step_uuid: m.step_uuid,
    event_id: m.event_id,
    correlation_id: m.correlation_id,
    step_name: m.step_name,
    message_id: event.messageId,
  };
}

function newEntry(
  message: StepDispatchMessage,
  receipt: ReceiptInfo,
  receivedAt: Date,
  completionTimeoutMs: number,
  attemptDeadline: Date,
): Entry {
  const deadline = computeStepDeadline({
    now: receivedAt,
    stepTimeoutMs: Math.min(message.timeout_ms, completionTimeoutMs),
    remainingTimeMs: Number.POSITIVE_INFINITY,
    safetyMarginMs: 0,
    dispatchDeadline: attemptDeadline,
  });
  return {
    eventId: message.event_id,
    message,
    messageId: receipt.messageId,
    receiptHandle: receipt.receiptHandle,
    receiveCount: receipt.receiveCount,
    receivedAt,
    deadline: deadline.at,
    deadlineBound: deadline.bound,
    state: 'buffered',
    handedOutAt: null,
    starvationWarned: false,
  };
}

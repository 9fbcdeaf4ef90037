import type { StepDispatchMessage } from '../../contracts/step-dispatch-message.js';
import type { LogFields } from '../../ports/logger.js';
import type { DeadlineBound } from '../handler-timeout-error.js';
import { computeStepDeadline } from '../step-deadline.js';
import { resultContext, type ResultContext } from '../step-result.js';
import type { PullContext } from './pull-context.js';

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
  receiptHandle: string;
  readonly receiveCount: number;
  readonly receivedAt: Date;
  readonly deadline: Date;
  readonly deadlineBound: DeadlineBound;
  state: PendingState;
  handedOutAt: Date | null;
  starvationWarned: boolean;
}

export interface ReceiptInfo {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly receiveCount: number;
}

/**
 * A pending event for a message received now. Its deadline is the earliest of the dispatch
 * message's `deadline` and receipt plus the step timeout, capped by the worker's completion timeout.
 */
export function pendingEventOf(message: StepDispatchMessage, receipt: ReceiptInfo, receivedAt: Date, completionTimeoutMs: number): PendingEvent {
  const deadline = computeStepDeadline({
    now: receivedAt,
    stepTimeoutMs: Math.min(message.timeout_ms, completionTimeoutMs),
    remainingTimeMs: Number.POSITIVE_INFINITY,
    safetyMarginMs: 0,
    dispatchDeadline: new Date(message.deadline),
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

/** True once the instant is after the event's deadline (the same rule as a handler's late return). */
export function isPastDeadline(event: PendingEvent, now: Date): boolean {
  return now.getTime() > event.deadline.getTime();
}

/** The ids every log line about the event carries. */
export function eventLogFields(event: PendingEvent): LogFields {
  const m = event.message;
  return { task_uuid: m.task_uuid, step_uuid: m.step_uuid, event_id: m.event_id, correlation_id: m.correlation_id, step_name: m.step_name, message_id: event.messageId };
}

/** The result context of an event's answer: from its hand-out (or receipt, if never handed out) to now. */
export function eventResultContext(event: PendingEvent, ctx: PullContext): ResultContext {
  return resultContext(event.handedOutAt ?? event.receivedAt, ctx.deps);
}

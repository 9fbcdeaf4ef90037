import type { StepDispatchMessage } from '../../contracts/step-dispatch-message.js';
import type { DeadlineBound } from '../handler-timeout-error.js';
import type { PendingEvent } from './pending-event.js';

/**
 * What `poll` hands out (FfiStepEvent in tasker-core): the correlation ids at the top level, the
 * full dispatch message in `dispatch`. Answer it with `complete(event_id, ...)` before `deadline`.
 */
export interface PolledStepEvent {
  readonly event_id: string;
  readonly task_uuid: string;
  readonly step_uuid: string;
  readonly correlation_id: string;
  readonly trace_id: string | null;
  readonly span_id: string | null;
  readonly step_name: string;
  /** After this instant the worker sends a `handler_timeout` failure itself and refuses `complete`. */
  readonly deadline: Date;
  readonly deadline_bound: DeadlineBound;
  /** How many times SQS has delivered this message (more than 1: an earlier run did not answer it). */
  readonly receive_count: number;
  /** The whole step dispatch message, as received. */
  readonly dispatch: StepDispatchMessage;
}

export function polledStepEvent(event: PendingEvent): PolledStepEvent {
  const m = event.message;
  return {
    event_id: m.event_id,
    task_uuid: m.task_uuid,
    step_uuid: m.step_uuid,
    correlation_id: m.correlation_id,
    trace_id: m.trace_id,
    span_id: m.span_id,
    step_name: m.step_name,
    deadline: event.deadline,
    deadline_bound: event.deadlineBound,
    receive_count: event.receiveCount,
    dispatch: m,
  };
}

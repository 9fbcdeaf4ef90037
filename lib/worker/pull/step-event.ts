import type { z } from 'zod';
import { formatIssues } from '../../contracts/format-issues.js';
import type { StepDispatchMessage } from '../../contracts/step-dispatch-message.js';
import { stepError as stepErrorSchema, type StepExecutionResult } from '../../contracts/step-execution-result.js';
import type { AnswerDeps } from '../dispatch-deps.js';
import type { HandlerOutcome } from '../execute-step.js';
import { conversionError, toJsonValue } from '../json-result.js';
import type { DeadlineBound } from '../step-deadline.js';
import { stepError } from '../step-errors.js';
import { buildStepResult, limitResultSize, resultContext, subjectOf, type ResultContext } from '../step-result.js';
import type { PendingEvent, PendingState } from './pending-events.js';

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

/**
 * What a caller of `complete` reports for one event: the handler's JSON result, or its error in the
 * wire format (`retry_after_ms` and `code` may be left out). A HandlerOutcome is one.
 *
 * @example
 * ```ts
 * await worker.complete(event.event_id, { status: 'failure', error: { error_type: 'handler_error', message: 'carrier down', retryable: true } });
 * ```
 */
export type StepCompletion =
  | { readonly status: 'success'; readonly result: unknown }
  | { readonly status: 'failure'; readonly error: z.input<typeof stepErrorSchema> };

/** What building an answer's result reads: the clock and the worker's identity and result limit. */
export type ResultDeps = Pick<AnswerDeps, 'clock' | 'config'>;

/** The step event `poll` hands out for a pending event. */
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

/**
 * The completion as a handler outcome, as a handler returning it would give: a result JSON cannot
 * hold, or an error that is not a valid step error, becomes a retryable `handler_panic` failure; a
 * result PostgreSQL cannot store, a permanent `result_not_storable` failure naming the place.
 */
export function completionOutcome(completion: StepCompletion): HandlerOutcome {
  if (completion.status === 'success') {
    const json = toJsonValue(completion.result);
    return json.ok ? { status: 'success', result: json.value } : { status: 'failure', error: conversionError(json) };
  }
  if (completion.status !== 'failure')
    return panic(
      `the completion's status must be "success" or "failure", got ${JSON.stringify((completion as { status?: unknown }).status)}`,
    );
  const error = stepErrorSchema.safeParse(completion.error);
  if (error.success) return { status: 'failure', error: error.data };
  return panic(`the completion's error is not a valid step error: ${formatIssues(error.error.issues).join('; ')}`);
}

/** The result a caller's completion sends, over-size results replaced by a `result_too_large` failure. */
export function completionResult(
  event: PendingEvent,
  completion: StepCompletion,
  deps: ResultDeps,
): StepExecutionResult {
  const result = buildStepResult(
    subjectOf(event.message),
    completionOutcome(completion),
    eventResultContext(event, deps),
  );
  return limitResultSize(result, deps.config.maxResultBytes);
}

/** The `handler_timeout` failure the worker sends on the handler's behalf; `was` is the event's state at its deadline. */
export function timeoutResult(event: PendingEvent, was: PendingState, deps: ResultDeps): StepExecutionResult {
  const bound = event.deadlineBound.replaceAll('_', ' ');
  const detail =
    was === 'buffered'
      ? 'the event was not handed to a handler before its deadline'
      : 'no completion arrived before its deadline';
  const error = stepError(
    'handler_timeout',
    `handler timed out (deadline set by ${bound}, ${event.deadline.toISOString()}): ${detail}`,
    event.deadlineBound,
  );
  return buildStepResult(subjectOf(event.message), { status: 'failure', error }, eventResultContext(event, deps));
}

/** An answer's timing: from its hand-out (or receipt, if never handed out) to now. */
function eventResultContext(event: PendingEvent, deps: ResultDeps): ResultContext {
  return resultContext(event.handedOutAt ?? event.receivedAt, deps);
}

function panic(problem: string): HandlerOutcome {
  return { status: 'failure', error: stepError('handler_panic', problem) };
}

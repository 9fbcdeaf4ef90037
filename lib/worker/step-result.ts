import { SCHEMA_VERSION, byteLength } from '../contracts/schema-version.js';
import type { StepDispatchMessage } from '../contracts/step-dispatch-message.js';
import type { StepExecutionResult } from '../contracts/step-execution-result.js';
import type { AnswerDeps } from './dispatch-deps.js';
import type { HandlerOutcome } from './execute-step.js';
import { stepError, storableError } from './step-errors.js';

/** The attempt a result answers, as far as the worker could read it. */
export interface ResultSubject {
  readonly event_id: string;
  readonly task_uuid: string;
  readonly step_uuid: string;
  readonly correlation_id: string | null;
  readonly step_name: string | null;
  readonly attempt: number | null;
}

export interface ResultContext {
  readonly startedAt: Date;
  readonly completedAt: Date;
  readonly workerId: string;
  /** `lambda`, `pull`, ... */
  readonly workerKind: string;
}

/** When the attempt ran and which worker ran it; completed now. */
export function resultContext(startedAt: Date, deps: Pick<AnswerDeps, 'clock' | 'config'>): ResultContext {
  return {
    startedAt,
    completedAt: deps.clock.now(),
    workerId: deps.config.workerId,
    workerKind: deps.config.workerKind,
  };
}

export function subjectOf(m: StepDispatchMessage): ResultSubject {
  return {
    event_id: m.event_id,
    task_uuid: m.task_uuid,
    step_uuid: m.step_uuid,
    correlation_id: m.correlation_id,
    step_name: m.step_name,
    attempt: m.attempt,
  };
}

/** The StepExecutionResult for one outcome, in its wire format; a failure's texts made storable (see storableError). */
export function buildStepResult(
  subject: ResultSubject,
  outcome: HandlerOutcome,
  ctx: ResultContext,
): StepExecutionResult {
  const common = {
    schema_version: SCHEMA_VERSION,
    message_type: 'step_result' as const,
    ...subject,
    timing: {
      started_at: ctx.startedAt.toISOString(),
      completed_at: ctx.completedAt.toISOString(),
      duration_ms: Math.max(0, ctx.completedAt.getTime() - ctx.startedAt.getTime()),
    },
    worker: { worker_id: ctx.workerId, kind: ctx.workerKind },
  };
  return outcome.status === 'success'
    ? { ...common, status: 'success', result: outcome.result, error: null }
    : {
        ...common,
        status: 'failure',
        result: null,
        error: storableError(outcome.error),
        ...(outcome.checkpoint === undefined ? {} : { checkpoint: outcome.checkpoint }),
      };
}

/**
 * The result as it may be sent: one whose serialized form exceeds `maxBytes` is replaced by a
 * permanent `result_too_large` failure naming the size and the limit (the large result is dropped).
 */
export function limitResultSize(result: StepExecutionResult, maxBytes: number): StepExecutionResult {
  const size = byteLength(result);
  if (size <= maxBytes) return result;
  const message = `the step result is ${size} bytes serialized, over the limit of ${maxBytes} bytes; return a reference (an S3 key, an id) instead of the data`;
  return { ...result, status: 'failure', result: null, error: stepError('result_too_large', message) };
}

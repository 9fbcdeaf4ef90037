import type { StepExecutionResult } from '../contracts/step-execution-result.js';
import { heldRetry } from '../domain/held-retry.js';
import type { StepView, TaskView } from '../ports/orchestration-store.js';
import type { ProgressEvent } from './step-progress.js';

type Ref = { taskUuid: string; stepUuid: string; stepName: string; attempt: number; at: Date };

const STEP_GAVE_UP: ReadonlySet<string> = new Set(['error', 'cancelled']);

/**
 * What a result did to its step, judged by the step as read after it was applied (possibly later:
 * a failed attempt whose step has since moved on to a later attempt was retried). A retry its
 * task holds is not a retry: null here, reported by {@link heldRetryEvents}.
 */
export function classify(
  result: StepExecutionResult,
  step: StepView,
  task: TaskView,
  ref: Ref,
  now: Date,
): ProgressEvent | null {
  if (result.status === 'success')
    return step.state === 'complete' ? { type: 'step_completed', durationMs: result.timing.duration_ms, ...ref } : null;
  const error = result.error;
  const laterAttempt = step.attempts > ref.attempt;
  if (STEP_GAVE_UP.has(step.state) && !laterAttempt)
    return { type: 'step_failed', errorType: error.error_type, message: error.message, ...ref };
  if (!laterAttempt && (step.state === 'complete' || step.state === 'resolved_manually')) return null;
  if (!laterAttempt && heldRetry(task.state, step, task.steps)) return null;
  return {
    type: 'step_retrying',
    retryInMs: retryDelay(result, step, now),
    errorType: error.error_type,
    message: error.message,
    ...ref,
  };
}

/** The backoff orchestration chose: from the failure to the next attempt's earliest start. */
function retryDelay(result: StepExecutionResult, step: StepView, now: Date): number | null {
  if (!step.nextAttemptAt) return null;
  const decidedAt = Date.parse(result.timing.completed_at);
  return Math.max(0, new Date(step.nextAttemptAt).getTime() - (Number.isFinite(decidedAt) ? decidedAt : now.getTime()));
}

/** A `step_retry_held` for each step of the task waiting for a retry the blocked (or failed) task holds, with the failure it waits after. */
export function heldRetryEvents(task: TaskView, now: Date): Array<Extract<ProgressEvent, { type: 'step_retry_held' }>> {
  return task.steps.flatMap((step) => {
    const held = heldRetry(task.state, step, task.steps);
    if (!held) return [];
    const error = step.lastError ?? {};
    return [
      {
        type: 'step_retry_held' as const,
        held,
        errorType: String(error.error_type ?? 'unknown'),
        message: String(error.message ?? ''),
        taskUuid: task.taskUuid,
        stepUuid: step.stepUuid,
        stepName: step.name,
        attempt: step.attempts,
        at: now,
      },
    ];
  });
}

/** Workflow step states, named as in tasker-core. */
export const STEP_STATES = [
  'pending',
  'enqueued',
  'in_progress',
  'enqueued_for_orchestration',
  'enqueued_as_error_for_orchestration',
  'waiting_for_retry',
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
  'skipped',
] as const;

export type StepState = (typeof STEP_STATES)[number];

/** States whose step satisfies a dependency for its children. */
export const DEPENDENCY_SATISFIED_STATES: readonly StepState[] = ['complete', 'resolved_manually'];

/**
 * States that end a step; only an operator action moves it again. `skipped`: a decision did not
 * activate the step, or every parent of it was skipped, or its batch had no instances (issue 15).
 */
export const TERMINAL_STEP_STATES: readonly StepState[] = [
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
  'skipped',
];

/** States a task counts as done when it decides it is complete (skipped branches count as done, not run). */
export const DONE_STEP_STATES: readonly StepState[] = ['complete', 'resolved_manually', 'skipped'];

export function isTerminalStepState(state: StepState): boolean {
  return TERMINAL_STEP_STATES.includes(state);
}

/** States of a step whose attempt is out (dispatched, running, or its result not yet applied). */
export const IN_FLIGHT_STEP_STATES: readonly StepState[] = [
  'enqueued',
  'in_progress',
  'enqueued_for_orchestration',
  'enqueued_as_error_for_orchestration',
];

/**
 * Which per-task counter a step in this state counts in (a task keeps one count per bucket, so
 * evaluating it reads counters instead of its steps); `idle` is counted in none. A skipped step
 * counts as completed: the task is complete when every step is complete or skipped.
 */
export type StepBucket = 'in_flight' | 'waiting' | 'completed' | 'failed' | 'idle';

export function stepBucket(state: StepState): StepBucket {
  if (IN_FLIGHT_STEP_STATES.includes(state)) return 'in_flight';
  if (state === 'waiting_for_retry') return 'waiting';
  if (DONE_STEP_STATES.includes(state)) return 'completed';
  if (state === 'error') return 'failed';
  return 'idle';
}

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
] as const;

export type StepState = (typeof STEP_STATES)[number];

/** States whose step satisfies a dependency for its children. */
export const DEPENDENCY_SATISFIED_STATES: readonly StepState[] = ['complete', 'resolved_manually'];

/** States that end a step; only an operator action moves it again. */
export const TERMINAL_STEP_STATES: readonly StepState[] = ['complete', 'error', 'cancelled', 'resolved_manually'];

export function isTerminalStepState(state: StepState): boolean {
  return TERMINAL_STEP_STATES.includes(state);
}

/** Task states, named as in tasker-core. */
export const TASK_STATES = [
  'pending',
  'initializing',
  'enqueuing_steps',
  'steps_in_process',
  'evaluating_results',
  'waiting_for_dependencies',
  'waiting_for_retry',
  'blocked_by_failures',
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
] as const;

export type TaskState = (typeof TASK_STATES)[number];

/** A task in one of these states never moves again on its own. */
export const TERMINAL_TASK_STATES: readonly TaskState[] = ['complete', 'error', 'cancelled', 'resolved_manually'];

export function isTerminalTaskState(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.includes(state);
}

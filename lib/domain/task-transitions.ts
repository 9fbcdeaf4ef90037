import { isTerminalTaskState, TASK_STATES, type TaskState } from './task-state.js';
import type { TransitionTable } from './transition-table.js';

export const TASK_EVENTS = [
  'start',
  'initialize_failed',
  'enqueue_steps',
  'steps_enqueued',
  'evaluate_results',
  'wait_for_dependencies',
  'wait_for_retry',
  'block_by_failures',
  'complete',
  'fail',
  'cancel',
  'resolve_manually',
] as const;

export type TaskEvent = (typeof TASK_EVENTS)[number];

const ACTIVE: TaskState[] = TASK_STATES.filter((state) => !isTerminalTaskState(state));

/** The task state machine. */
export const TASK_TRANSITIONS: TransitionTable<TaskEvent, TaskState> = {
  start: { from: ['pending'], to: 'initializing' },
  initialize_failed: { from: ['initializing'], to: 'error' },
  enqueue_steps: {
    from: ['initializing', 'evaluating_results', 'waiting_for_dependencies', 'waiting_for_retry', 'blocked_by_failures'],
    to: 'enqueuing_steps',
  },
  steps_enqueued: { from: ['enqueuing_steps'], to: 'steps_in_process' },
  evaluate_results: {
    from: ['steps_in_process', 'waiting_for_retry', 'waiting_for_dependencies', 'blocked_by_failures'],
    to: 'evaluating_results',
  },
  wait_for_dependencies: { from: ['evaluating_results'], to: 'waiting_for_dependencies' },
  wait_for_retry: { from: ['evaluating_results'], to: 'waiting_for_retry' },
  block_by_failures: { from: ['evaluating_results'], to: 'blocked_by_failures' },
  complete: { from: ['evaluating_results'], to: 'complete' },
  fail: { from: ['blocked_by_failures'], to: 'error' },
  cancel: { from: ACTIVE, to: 'cancelled' },
  resolve_manually: { from: ['blocked_by_failures', 'error'], to: 'resolved_manually' },
};

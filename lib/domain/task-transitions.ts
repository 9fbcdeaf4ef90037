import { isTerminalTaskState, TASK_STATES, type TaskState } from './task-state.js';
import { shortestPath, type TransitionTable } from './transition-table.js';

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
  'reopen',
] as const;

export type TaskEvent = (typeof TASK_EVENTS)[number];

const ACTIVE: TaskState[] = TASK_STATES.filter((state) => !isTerminalTaskState(state));

/** The task state machine. */
export const TASK_TRANSITIONS: TransitionTable<TaskEvent, TaskState> = {
  start: { from: ['pending'], to: 'initializing' },
  initialize_failed: { from: ['initializing'], to: 'error' },
  enqueue_steps: {
    from: [
      'initializing',
      'evaluating_results',
      'waiting_for_dependencies',
      'waiting_for_retry',
      'blocked_by_failures',
    ],
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
  /**
   * An operator's step action on a task that failed (`error`) takes it back to the state it failed
   * from; evaluating it then walks on as for any blocked task. tasker-core's legacy `Reset` goes
   * Error -> Pending; returning to blocked_by_failures keeps `pending` meaning "never started".
   */
  reopen: { from: ['error'], to: 'blocked_by_failures' },
};

/**
 * The events an evaluation walks a task with from `from` to `to`: the shortest path that passes
 * through no terminal state on the way (a task is never failed and reopened in passing). The SQL
 * function tasker.task_path is generated from it.
 *
 * @example taskWalk('pending', 'blocked_by_failures') // ['start', 'enqueue_steps', 'steps_enqueued', 'evaluate_results', 'block_by_failures']
 */
export function taskWalk(from: TaskState, to: TaskState): TaskEvent[] | null {
  return shortestPath(TASK_TRANSITIONS, from, to, (state) => !isTerminalTaskState(state));
}

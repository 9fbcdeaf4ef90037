import { isTerminalStepState, STEP_STATES, type StepState } from './step-state.js';
import type { TransitionTable } from './transition-table.js';

export const STEP_EVENTS = [
  'enqueue',
  'start',
  'enqueue_for_orchestration',
  'enqueue_as_error_for_orchestration',
  'complete',
  'wait_for_retry',
  'fail',
  'cancel',
  'resolve_manually',
  'complete_manually',
  'reset_for_retry',
  'skip',
] as const;

export type StepEvent = (typeof STEP_EVENTS)[number];

/**
 * The step state machine. A dispatched step is `enqueued`; its result arrives through the
 * completion queue and walks in_progress -> enqueued_(as_error_)for_orchestration -> final.
 */
export const STEP_TRANSITIONS: TransitionTable<StepEvent, StepState> = {
  enqueue: { from: ['pending', 'waiting_for_retry'], to: 'enqueued' },
  start: { from: ['enqueued'], to: 'in_progress' },
  enqueue_for_orchestration: { from: ['in_progress'], to: 'enqueued_for_orchestration' },
  enqueue_as_error_for_orchestration: {
    from: ['enqueued', 'in_progress'],
    to: 'enqueued_as_error_for_orchestration',
  },
  complete: { from: ['enqueued_for_orchestration'], to: 'complete' },
  wait_for_retry: { from: ['enqueued_as_error_for_orchestration'], to: 'waiting_for_retry' },
  fail: { from: ['enqueued_as_error_for_orchestration'], to: 'error' },
  cancel: { from: STEP_STATES.filter((state) => !isTerminalStepState(state)), to: 'cancelled' },
  resolve_manually: {
    from: ['pending', 'enqueued', 'in_progress', 'waiting_for_retry', 'error'],
    to: 'resolved_manually',
  },
  complete_manually: { from: ['pending', 'enqueued', 'in_progress', 'waiting_for_retry', 'error'], to: 'complete' },
  reset_for_retry: { from: ['error', 'cancelled'], to: 'pending' },
  /** A decision did not activate the step, all its parents were skipped, or its batch is empty. */
  skip: { from: ['pending'], to: 'skipped' },
};

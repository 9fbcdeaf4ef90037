import type { TaskState } from './task-state.js';

/**
 * Where a task stands, from counts of its steps. The precedence is the one tasker-core fixed in
 * TAS-67: a task with a permanently failed step is blocked_by_failures even when other steps are
 * ready, because dispatching more work into a task that can no longer complete only wastes it.
 * The SQL function tasker.get_task_execution_context applies the same order.
 */
export const EXECUTION_STATUSES = [
  'blocked_by_failures',
  'has_ready_steps',
  'processing',
  'waiting_for_retry',
  'all_complete',
  'waiting_for_dependencies',
] as const;

export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** The task state that each execution status moves a task to when it is evaluated. */
export const TASK_STATE_FOR_STATUS: Readonly<Record<ExecutionStatus, TaskState>> = {
  blocked_by_failures: 'blocked_by_failures',
  has_ready_steps: 'steps_in_process',
  processing: 'steps_in_process',
  waiting_for_retry: 'waiting_for_retry',
  all_complete: 'complete',
  waiting_for_dependencies: 'waiting_for_dependencies',
};

export interface StepCounts {
  readonly total: number;
  readonly ready: number;
  readonly inProgress: number;
  readonly waitingForRetry: number;
  readonly completed: number;
  readonly permanentlyFailed: number;
}

export function executionStatus(counts: StepCounts): ExecutionStatus {
  if (counts.permanentlyFailed > 0) return 'blocked_by_failures';
  if (counts.ready > 0) return 'has_ready_steps';
  if (counts.inProgress > 0) return 'processing';
  if (counts.waitingForRetry > 0) return 'waiting_for_retry';
  if (counts.completed === counts.total) return 'all_complete';
  return 'waiting_for_dependencies';
}

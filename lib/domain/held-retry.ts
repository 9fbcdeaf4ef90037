import type { StepState } from './step-state.js';
import type { TaskState } from './task-state.js';

/**
 * Why a step waiting for a retry does not get it: its task is blocked_by_failures (or has failed
 * to `error`) because of the named steps, and a blocked task dispatches nothing (TAS-67's
 * precedence). The retry runs only if an operator unblocks the task (it is then ready at once).
 */
export interface HeldRetry {
  readonly taskState: 'blocked_by_failures' | 'error';
  /** The steps that failed for good, in the task's order. */
  readonly blockedBy: readonly string[];
}

interface StepLike {
  readonly name: string;
  readonly state: StepState;
}

/**
 * The held retry of `step`, or null when it is not waiting for a retry or its task is not blocked.
 *
 * @example
 * heldRetry('blocked_by_failures', { name: 'flaky', state: 'waiting_for_retry' }, [{ name: 'charge', state: 'error' }])
 * // { taskState: 'blocked_by_failures', blockedBy: ['charge'] }
 */
export function heldRetry(taskState: TaskState, step: StepLike, steps: readonly StepLike[]): HeldRetry | null {
  if (step.state !== 'waiting_for_retry' || (taskState !== 'blocked_by_failures' && taskState !== 'error')) return null;
  return { taskState, blockedBy: steps.filter((s) => s.state === 'error').map((s) => s.name) };
}

/** "task blocked by a, b" or "task failed, blocked by a": what a display says about a held retry. */
export function describeHeldRetry(held: HeldRetry): string {
  const by = held.blockedBy.length > 0 ? held.blockedBy.join(', ') : 'a failed step';
  return held.taskState === 'error' ? `task failed, blocked by ${by}` : `task blocked by ${by}`;
}

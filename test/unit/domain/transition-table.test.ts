import { describe, expect, it } from 'vitest';
import { EXECUTION_STATUSES, TASK_STATE_FOR_STATUS } from '../../../lib/domain/execution-status.js';
import { STEP_STATES, stepBucket } from '../../../lib/domain/step-state.js';
import { STEP_TRANSITIONS } from '../../../lib/domain/step-transitions.js';
import { isTerminalTaskState, TASK_STATES, type TaskState } from '../../../lib/domain/task-state.js';
import { TASK_TRANSITIONS } from '../../../lib/domain/task-transitions.js';
import { shortestPath, transition, type TransitionOutcome } from '../../../lib/domain/transition-table.js';

describe('shortestPath', () => {
  it('finds the events the engine walks a task with', () => {
    expect(shortestPath(TASK_TRANSITIONS, 'pending', 'steps_in_process')).toEqual([
      'start',
      'enqueue_steps',
      'steps_enqueued',
    ]);
    expect(shortestPath(TASK_TRANSITIONS, 'steps_in_process', 'complete')).toEqual(['evaluate_results', 'complete']);
    expect(shortestPath(TASK_TRANSITIONS, 'waiting_for_retry', 'steps_in_process')).toEqual([
      'enqueue_steps',
      'steps_enqueued',
    ]);
    expect(shortestPath(STEP_TRANSITIONS, 'enqueued', 'complete')).toEqual(['complete_manually']);
  });

  it('is empty from a state to itself and null when the target cannot be reached', () => {
    expect(shortestPath(TASK_TRANSITIONS, 'blocked_by_failures', 'blocked_by_failures')).toEqual([]);
    expect(shortestPath(TASK_TRANSITIONS, 'complete', 'pending')).toBeNull();
  });

  it('returns a path the table allows, event by event', () => {
    const path = shortestPath(TASK_TRANSITIONS, 'initializing', 'waiting_for_dependencies')!;
    let state: TaskState = 'initializing';
    for (const event of path) {
      const moved: TransitionOutcome<TaskState> = transition(TASK_TRANSITIONS, state, event);
      expect(moved.ok).toBe(true);
      if (moved.ok) state = moved.to;
    }
    expect(state).toBe('waiting_for_dependencies');
  });
});

describe('what an evaluation can reach', () => {
  it('every execution status names a state every active task state can walk to', () => {
    const unreachable = TASK_STATES.filter((s) => !isTerminalTaskState(s)).flatMap((from) =>
      EXECUTION_STATUSES.filter(
        (status) => shortestPath(TASK_TRANSITIONS, from, TASK_STATE_FOR_STATUS[status]) === null,
      ).map((status) => `${from} -> ${status}`),
    );
    expect(unreachable).toEqual([]);
  });
});

describe('stepBucket', () => {
  it('puts each step state in the counter the task keeps for it', () => {
    expect(Object.fromEntries(STEP_STATES.map((s) => [s, stepBucket(s)]))).toEqual({
      pending: 'idle',
      enqueued: 'in_flight',
      in_progress: 'in_flight',
      enqueued_for_orchestration: 'in_flight',
      enqueued_as_error_for_orchestration: 'in_flight',
      waiting_for_retry: 'waiting',
      complete: 'completed',
      error: 'failed',
      cancelled: 'idle',
      resolved_manually: 'completed',
      skipped: 'completed',
    });
  });
});

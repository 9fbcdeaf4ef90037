import { describe, expect, it } from 'vitest';
import { blockedTaskFails, DEFAULT_BLOCKED_TASK_GRACE_MS } from '../../../lib/domain/blocked-task.js';
import { TASK_TRANSITIONS, taskWalk } from '../../../lib/domain/task-transitions.js';
import { shortestPath } from '../../../lib/domain/transition-table.js';

const blockedAt = new Date('2026-03-01T10:00:00.000Z');
const blockedFor = (ms: number) => new Date(blockedAt.getTime() + ms);

describe('blockedTaskFails', () => {
  it('fails a blocked task with nothing in flight at once by default (tasker-core: TaskFailed)', () => {
    expect(DEFAULT_BLOCKED_TASK_GRACE_MS).toBe(0);
    expect(blockedTaskFails({ inFlight: 0, blockedAt }, DEFAULT_BLOCKED_TASK_GRACE_MS, blockedAt)).toBe(true);
  });

  it('never while a step of the task is in flight, however long it has been blocked', () => {
    expect(blockedTaskFails({ inFlight: 1, blockedAt }, 0, blockedFor(86_400_000))).toBe(false);
  });

  it('with a grace: not before it has passed since the task became blocked', () => {
    expect(blockedTaskFails({ inFlight: 0, blockedAt }, 60_000, blockedFor(59_999))).toBe(false);
    expect(blockedTaskFails({ inFlight: 0, blockedAt }, 60_000, blockedFor(60_000))).toBe(true);
  });
});

describe('taskWalk', () => {
  it('reopens a failed task to blocked_by_failures', () => {
    expect(taskWalk('error', 'blocked_by_failures')).toEqual(['reopen']);
  });

  it('never walks through a terminal state on the way, though a path through error would be shorter', () => {
    expect(shortestPath(TASK_TRANSITIONS, 'initializing', 'blocked_by_failures')).toEqual([
      'initialize_failed',
      'reopen',
    ]);
    expect(taskWalk('initializing', 'blocked_by_failures')).toEqual([
      'enqueue_steps',
      'steps_enqueued',
      'evaluate_results',
      'block_by_failures',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { describeHeldRetry, heldRetry } from '../../../lib/domain/held-retry.js';

const steps = [
  { name: 'flaky', state: 'waiting_for_retry' as const },
  { name: 'bad', state: 'error' as const },
  { name: 'late', state: 'error' as const },
];

describe('heldRetry', () => {
  it('holds a waiting retry while the task is blocked or failed, naming the failed steps', () => {
    expect(heldRetry('blocked_by_failures', steps[0]!, steps)).toEqual({
      taskState: 'blocked_by_failures',
      blockedBy: ['bad', 'late'],
    });
    expect(heldRetry('error', steps[0]!, steps)).toEqual({ taskState: 'error', blockedBy: ['bad', 'late'] });
  });

  it('holds nothing in a task that runs, nor a step that does not wait for a retry', () => {
    expect(heldRetry('waiting_for_retry', steps[0]!, steps)).toBeNull();
    expect(heldRetry('blocked_by_failures', steps[1]!, steps)).toBeNull();
  });

  it('says what holds it', () => {
    expect(describeHeldRetry({ taskState: 'blocked_by_failures', blockedBy: ['bad'] })).toBe('task blocked by bad');
    expect(describeHeldRetry({ taskState: 'error', blockedBy: ['bad', 'late'] })).toBe(
      'task failed, blocked by bad, late',
    );
  });
});

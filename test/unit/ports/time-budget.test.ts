import { describe, expect, it } from 'vitest';
import { hasTimeFor, NO_TIME_LIMIT } from '../../../lib/ports/time-budget.js';

describe('hasTimeFor', () => {
  it('lets calls start only while they fit in the time left, each as long as a call may take', () => {
    let remaining = 10_000;
    const budget = { remainingMs: () => remaining, callMs: 2_500 };
    expect(hasTimeFor(budget, 2)).toBe(true);
    remaining = 5_000;
    expect(hasTimeFor(budget, 2)).toBe(false);
    expect(hasTimeFor(budget, 1)).toBe(true);
    remaining = 2_500;
    expect(hasTimeFor(budget, 1)).toBe(false);
  });

  it('always has time without a limit', () => {
    expect(hasTimeFor(NO_TIME_LIMIT, 1_000)).toBe(true);
  });
});

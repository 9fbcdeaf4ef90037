import { describe, expect, it } from 'vitest';
import { computeStepDeadline } from '../../../lib/worker/step-deadline.js';

const now = new Date('2025-12-07T10:15:30.000Z');
const base = {
  now,
  stepTimeoutMs: 10_000,
  remainingTimeMs: 60_000,
  safetyMarginMs: 2_000,
  dispatchDeadline: new Date('2025-12-07T10:16:00.000Z'),
};

describe('step deadline', () => {
  it('is the step timeout when that comes first', () => {
    expect(computeStepDeadline(base)).toEqual({
      at: new Date('2025-12-07T10:15:40.000Z'),
      budgetMs: 10_000,
      bound: 'step_timeout',
    });
  });

  it('is the remaining runtime less the safety margin when that comes first', () => {
    expect(computeStepDeadline({ ...base, remainingTimeMs: 5_000 })).toEqual({
      at: new Date('2025-12-07T10:15:33.000Z'),
      budgetMs: 3_000,
      bound: 'lambda_remaining_time',
    });
  });

  it("is the message's absolute deadline when that comes first", () => {
    const deadline = computeStepDeadline({ ...base, dispatchDeadline: new Date('2025-12-07T10:15:31.500Z') });
    expect(deadline).toEqual({ at: new Date('2025-12-07T10:15:31.500Z'), budgetMs: 1_500, bound: 'dispatch_deadline' });
  });

  it('has no budget left when the dispatch deadline has passed', () => {
    expect(computeStepDeadline({ ...base, dispatchDeadline: new Date('2025-12-07T10:15:29.000Z') }).budgetMs).toBe(
      -1_000,
    );
  });

  it('has no budget left when the runtime has less than the safety margin', () => {
    expect(computeStepDeadline({ ...base, remainingTimeMs: 1_500 })).toMatchObject({
      budgetMs: -500,
      bound: 'lambda_remaining_time',
    });
  });

  it('treats unbounded remaining time as no limit', () => {
    expect(computeStepDeadline({ ...base, remainingTimeMs: Number.POSITIVE_INFINITY }).bound).toBe('step_timeout');
  });
});

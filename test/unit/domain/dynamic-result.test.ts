import { describe, expect, it } from 'vitest';
import { dynamicResultProblem } from '../../../lib/domain/dynamic-result.js';

const decision = { type: 'decision', dependents: ['ship_express', 'ship_ground'] } as const;
const batchable = { type: 'batchable', max_batches: 3 } as const;

describe('dynamicResultProblem', () => {
  it('accepts any result of a step that is neither a decision nor batchable', () => {
    expect(dynamicResultProblem(undefined, { anything: 1 })).toBeNull();
  });

  it('accepts a decision activating some, all or none of its dependents', () => {
    for (const activate of [[], ['ship_ground'], ['ship_express', 'ship_ground']])
      expect(dynamicResultProblem(decision, { activate })).toBeNull();
  });

  it('refuses a decision naming a step that is not a dependent, with the names it may activate', () => {
    expect(dynamicResultProblem(decision, { activate: ['ship_ground', 'nope'] })).toEqual({
      errorType: 'invalid_decision',
      message: 'the decision activates nope, not among its dependents (ship_express, ship_ground)',
    });
  });

  it('refuses a decision result of the wrong shape', () => {
    for (const result of [null, [], { activate: 'ship_ground' }, { activate: [1] }, { other: [] }])
      expect(dynamicResultProblem(decision, result)).toEqual({
        errorType: 'invalid_decision',
        message: 'a decision must return { activate: [step names] }',
      });
  });

  it('accepts up to max_batches batches, zero included; refuses more, and a result of the wrong shape', () => {
    expect(dynamicResultProblem(batchable, { batches: [] })).toBeNull();
    expect(dynamicResultProblem(batchable, { batches: [1, 2, 3] })).toBeNull();
    expect(dynamicResultProblem(batchable, { batches: [1, 2, 3, 4] })).toEqual({
      errorType: 'invalid_batches',
      message: 'the step returned 4 batches, over its max_batches of 3',
    });
    expect(dynamicResultProblem(batchable, { batches: {} })?.errorType).toBe('invalid_batches');
  });
});

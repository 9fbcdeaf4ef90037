import { describe, expect, it } from 'vitest';
import { createTaskRequest } from '../../../lib/contracts/create-task-request.js';
import { expectRefusedAt, loadFixture } from '../../helpers/contract-fixtures.js';

describe('create task request contract', () => {
  it('accepts the full golden fixture unchanged', () => {
    const fixture = loadFixture('create-task-request.json');
    expect(createTaskRequest.parse(fixture)).toEqual(fixture);
  });

  it('fills in the defaults of the minimal fixture', () => {
    expect(createTaskRequest.parse(loadFixture('create-task-request.minimal.json'))).toEqual({
      namespace: 'ecommerce',
      name: 'order_fulfillment',
      context: {},
      priority: 0,
      identity_strategy: 'strict',
    });
  });

  it.each([
    ['an empty namespace', { namespace: '' }, ['namespace']],
    ['a missing name', { name: undefined }, ['name']],
    ['a context that is an array', { context: [1, 2] }, ['context']],
    ['a priority above 100', { priority: 101 }, ['priority']],
    ['a fractional priority', { priority: 1.5 }, ['priority']],
    ['an unknown identity strategy', { identity_strategy: 'random' }, ['identity_strategy']],
    ['a correlation id that is not a uuid', { correlation_id: 'abc' }, ['correlation_id']],
    ['an idempotency key over 255 characters', { idempotency_key: 'k'.repeat(256) }, ['idempotency_key']],
  ] as const)('refuses %s', (_label, change, path) => {
    expectRefusedAt(createTaskRequest, { ...loadFixture('create-task-request.json'), ...change }, path);
  });
});

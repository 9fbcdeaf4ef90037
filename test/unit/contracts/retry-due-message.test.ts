import { describe, expect, it } from 'vitest';
import { retryDueMessage } from '../../../lib/contracts/retry-due-message.js';
import { expectRefusedAt, loadFixture } from '../../helpers/contract-fixtures.js';

describe('retry due message contract', () => {
  it('accepts the golden fixture unchanged', () => {
    const fixture = loadFixture('retry-due-message.json');
    expect(retryDueMessage.parse(fixture)).toEqual(fixture);
  });

  it('accepts a due time with an offset', () => {
    expect(
      retryDueMessage.safeParse({ ...loadFixture('retry-due-message.json'), due_at: '2025-12-07T11:15:30.162+01:00' })
        .success,
    ).toBe(true);
  });

  it.each([
    ['a missing due time', { due_at: undefined }, ['due_at']],
    ['a due time that is not ISO 8601', { due_at: 'tomorrow' }, ['due_at']],
    ['a task_uuid that is not a uuid', { task_uuid: 'task-1' }, ['task_uuid']],
    ['another message type', { message_type: 'step_result' }, ['message_type']],
    ['an unknown schema version', { schema_version: 0 }, ['schema_version']],
  ] as const)('refuses %s', (_label, change, path) => {
    expectRefusedAt(retryDueMessage, { ...loadFixture('retry-due-message.json'), ...change }, path);
  });
});

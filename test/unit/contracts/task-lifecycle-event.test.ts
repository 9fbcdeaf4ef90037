import { describe, expect, it } from 'vitest';
import { taskLifecycleEvent } from '../../../lib/contracts/task-lifecycle-event.js';
import { expectRefusedAt, loadFixture } from '../../helpers/contract-fixtures.js';

describe('task lifecycle event contract', () => {
  it('accepts the golden fixture unchanged', () => {
    const fixture = loadFixture('task-lifecycle-event.json');
    expect(taskLifecycleEvent.parse(fixture)).toEqual(fixture);
  });

  it.each(['task.blocked_by_failures', 'task.failed', 'task.cancelled'])('accepts the event name %s', (eventName) => {
    expect(
      taskLifecycleEvent.safeParse({ ...loadFixture('task-lifecycle-event.json'), event_name: eventName }).success,
    ).toBe(true);
  });

  it.each([
    ['an unknown event name', { event_name: 'task.started' }, ['event_name']],
    ['an unknown state', { state: 'done' }, ['state']],
    ['a missing correlation id', { correlation_id: undefined }, ['correlation_id']],
    ['a fired_at that is not a timestamp', { fired_at: 1733566530540 }, ['fired_at']],
  ] as const)('refuses %s', (_label, change, path) => {
    expectRefusedAt(taskLifecycleEvent, { ...loadFixture('task-lifecycle-event.json'), ...change }, path);
  });
});

import { describe, expect, it } from 'vitest';
import { completionQueueMessage } from '../../../lib/contracts/completion-queue-message.js';
import { loadFixture } from '../../helpers/contract-fixtures.js';

describe('completion queue message contract', () => {
  it.each([
    'step-execution-result.success.json',
    'step-execution-result.failure.json',
    'step-execution-result.timeout.json',
    'retry-due-message.json',
    'step-started-message.json',
  ])('accepts %s', (name) => {
    const fixture = loadFixture(name);
    expect(completionQueueMessage.parse(fixture)).toEqual(fixture);
  });

  it.each(['poison-message.json', 'step-dispatch-message.json', 'task-lifecycle-event.json'])(
    'refuses %s, which belongs elsewhere',
    (name) => {
      expect(completionQueueMessage.safeParse(loadFixture(name)).success).toBe(false);
    },
  );
});

import { describe, expect, it } from 'vitest';
import { buildPoisonMessage, poisonMessage } from '../../../lib/contracts/poison-message.js';
import { expectRefusedAt, loadFixture } from '../../helpers/contract-fixtures.js';

describe('poison message contract', () => {
  it('accepts the golden fixture unchanged', () => {
    const fixture = loadFixture('poison-message.json');
    expect(poisonMessage.parse(fixture)).toEqual(fixture);
  });

  it('builds the golden fixture from its parts', () => {
    const fixture = loadFixture('poison-message.json');
    const built = buildPoisonMessage({
      reason: fixture.reason,
      errorCode: fixture.error_code,
      sourceQueue: fixture.source_queue,
      sourceMessageId: fixture.source_message_id,
      originalBody: fixture.original_body,
      movedAt: new Date(fixture.moved_at),
    });
    expect(built).toEqual(fixture);
  });

  it('accepts a message whose source message id is unknown', () => {
    expect(poisonMessage.safeParse({ ...loadFixture('poison-message.json'), source_message_id: null }).success).toBe(
      true,
    );
  });

  it.each([
    ['another message type', { message_type: 'step_dispatch' }, ['message_type']],
    ['a missing reason', { reason: undefined }, ['reason']],
    ['an original body that is not a string', { original_body: { a: 1 } }, ['original_body']],
    ['a moved_at that is not a timestamp', { moved_at: 'yesterday' }, ['moved_at']],
  ] as const)('refuses %s', (_label, change, path) => {
    expectRefusedAt(poisonMessage, { ...loadFixture('poison-message.json'), ...change }, path);
  });
});

import { describe, expect, it } from 'vitest';
import type { PoisonInput } from '../../../lib/contracts/poison-message.js';
import { SQS_MAX_MESSAGE_BYTES, byteLength } from '../../../lib/contracts/schema-version.js';
import { describeSendFailures } from '../../../lib/ports/message-queue.js';
import { sendToPoisonQueue, type PoisonQueue } from '../../../lib/ports/poison-queue.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';

const URL = 'q://poison';

function target(queue: FakeQueueSender): PoisonQueue & { waits: number[] } {
  const waits: number[] = [];
  return { queue, url: URL, retry: { delaysMs: [5, 15], sleep: async (ms) => void waits.push(ms) }, waits };
}

function input(originalBody: string): PoisonInput {
  return {
    reason: 'the body is not valid JSON',
    errorCode: 'unparseable_json',
    sourceQueue: 'dispatch',
    sourceMessageId: 'm-1',
    originalBody,
    movedAt: new Date('2026-11-23T10:00:00Z'),
  };
}

describe('sendToPoisonQueue', () => {
  it('puts the poison message, with the reason and the whole body, on the poison queue', async () => {
    const queue = new FakeQueueSender();
    expect(await sendToPoisonQueue(target(queue), input('not json {'))).toEqual({ moved: true, problem: null });
    expect(queue.bodiesTo(URL)).toEqual([
      {
        schema_version: 1,
        message_type: 'poison',
        reason: 'the body is not valid JSON',
        error_code: 'unparseable_json',
        source_queue: 'dispatch',
        source_message_id: 'm-1',
        original_body: 'not json {',
        moved_at: '2026-11-23T10:00:00.000Z',
      },
    ]);
  });

  it('fits a body too large for one SQS message by bytes', async () => {
    const queue = new FakeQueueSender();
    await sendToPoisonQueue(target(queue), input('ü'.repeat(SQS_MAX_MESSAGE_BYTES)));
    expect(byteLength(queue.sent[0]!.message.body)).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
  });

  it('retries transient failures after each delay', async () => {
    const queue = new FakeQueueSender().failNext(1, { mode: 'throw' });
    const t = target(queue);
    expect(await sendToPoisonQueue(t, input('x'))).toEqual({ moved: true, problem: null });
    expect(t.waits).toEqual([5]);
    expect(queue.sent).toHaveLength(1);
  });

  it('reports the failure when the queue refuses it for good, without retrying a permanent refusal', async () => {
    const queue = new FakeQueueSender().failAlways({ permanent: true, code: 'InvalidMessageContents' });
    const t = target(queue);
    expect(await sendToPoisonQueue(t, input('x'))).toEqual({
      moved: false,
      problem: 'InvalidMessageContents: fake send failure',
    });
    expect(t.waits).toEqual([]);
  });
});

describe('describeSendFailures', () => {
  it('names each failure as code: message, and nothing when there is none', () => {
    expect(describeSendFailures([])).toBeNull();
    expect(
      describeSendFailures([
        { id: 'a', code: 'A', message: 'one', permanent: false },
        { id: 'b', code: 'B', message: 'two', permanent: true },
      ]),
    ).toBe('A: one; B: two');
  });
});

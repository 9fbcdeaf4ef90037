import { describe, expect, it } from 'vitest';
import type { RetrySettings } from '../../../lib/ports/retry-settings.js';
import { retryOperation, sendWithRetry } from '../../../lib/ports/send-with-retry.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';

const URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/q';

function retry(): RetrySettings & { waits: number[] } {
  const waits: number[] = [];
  return { delaysMs: [10, 20, 40], sleep: async (ms) => void waits.push(ms), waits };
}

const messages = [
  { id: 'a', body: '{"n":1}' },
  { id: 'b', body: '{"n":2}' },
];

describe('sendWithRetry', () => {
  it('sends once when the queue accepts', async () => {
    const queue = new FakeQueueSender();
    const settings = retry();
    expect(await sendWithRetry(queue, URL, messages, settings)).toEqual({ failed: [], attempts: 1 });
    expect(queue.sent.map((s) => s.message.id)).toEqual(['a', 'b']);
    expect(settings.waits).toEqual([]);
  });

  it('resends only the messages that failed transiently, after each delay in turn', async () => {
    const queue = new FakeQueueSender().failNext(2, { match: (m) => m.id === 'b' });
    const settings = retry();
    expect(await sendWithRetry(queue, URL, messages, settings)).toEqual({ failed: [], attempts: 3 });
    expect(queue.calls.map((c) => c.messages.map((m) => m.id))).toEqual([['a', 'b'], ['b'], ['b']]);
    expect(settings.waits).toEqual([10, 20]);
  });

  it('retries a call that threw', async () => {
    const queue = new FakeQueueSender().failNext(1, { mode: 'throw' });
    expect(await sendWithRetry(queue, URL, messages, retry())).toEqual({ failed: [], attempts: 2 });
    expect(queue.sent).toHaveLength(2);
  });

  it('does not resend a permanent failure', async () => {
    const queue = new FakeQueueSender().failNext(1, {
      permanent: true,
      code: 'InvalidMessageContents',
      match: (m) => m.id === 'a',
    });
    const report = await sendWithRetry(queue, URL, messages, retry());
    expect(report.failed).toEqual([
      { id: 'a', code: 'InvalidMessageContents', message: 'fake send failure', permanent: true },
    ]);
    expect(queue.calls).toHaveLength(1);
  });

  it('gives up after the last delay and reports the last failures', async () => {
    const queue = new FakeQueueSender().failAlways({ mode: 'throw', code: 'ServiceUnavailable' });
    const settings = retry();
    const report = await sendWithRetry(queue, URL, messages, settings);
    expect(report.attempts).toBe(4);
    expect(report.failed.map((f) => f.id)).toEqual(['a', 'b']);
    expect(report.failed[0]!.message).toContain('ServiceUnavailable');
    expect(settings.waits).toEqual([10, 20, 40]);
  });
});

describe('retryOperation', () => {
  it('runs once when the first value needs no retry', async () => {
    const settings = retry();
    let calls = 0;
    expect(
      await retryOperation(
        async () => (calls += 1),
        () => false,
        settings,
      ),
    ).toEqual({ value: 1, attempts: 1 });
    expect(settings.waits).toEqual([]);
  });

  it('runs again after each delay in turn while the value calls for it, and returns the first that does not', async () => {
    const settings = retry();
    const values = ['busy', 'busy', 'done', 'never reached'];
    expect(
      await retryOperation(
        async () => values.shift(),
        (v) => v === 'busy',
        settings,
      ),
    ).toEqual({ value: 'done', attempts: 3 });
    expect(settings.waits).toEqual([10, 20]);
  });

  it('gives up after the last delay with the last value', async () => {
    const settings = retry();
    let calls = 0;
    expect(
      await retryOperation(
        async () => `failure ${(calls += 1)}`,
        () => true,
        settings,
      ),
    ).toEqual({ value: 'failure 4', attempts: 4 });
    expect(settings.waits).toEqual([10, 20, 40]);
  });
});

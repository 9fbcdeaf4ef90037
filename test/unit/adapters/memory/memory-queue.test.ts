import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryQueueError } from '../../../../lib/adapters/memory/errors.js';
import { MemoryQueue } from '../../../../lib/adapters/memory/memory-queue.js';
import type { ReceivedMessage } from '../../../../lib/ports/message-queue.js';

const START = new Date('2026-01-01T00:00:00Z');
const receiveNow = { maxMessages: 10, waitTimeSeconds: 0 } as const;

let queues: MemoryQueue;
let url: string;

beforeEach(() => {
  vi.useFakeTimers({ now: START });
  queues = new MemoryQueue();
  url = queues.createQueue('work', { visibilityTimeoutSeconds: 30 });
});

afterEach(() => {
  queues.close();
  vi.useRealTimers();
});

async function sendBodies(...bodies: string[]) {
  return queues.send(
    url,
    bodies.map((body, index) => ({ id: `id-${index}`, body })),
  );
}

/** Resolves the promise's state without waiting: true once it has settled. */
function track<T>(promise: Promise<T>) {
  const state = { settled: false, value: undefined as T | undefined };
  void promise.then((value) => Object.assign(state, { settled: true, value }));
  return state;
}

describe('MemoryQueue send and receive', () => {
  it('returns the URL-like name and delivers a sent message with its attributes', async () => {
    expect(url).toBe('memory://queue/work');
    expect(await sendBodies('hello')).toEqual({ failed: [] });
    const [message] = await queues.receive(url, receiveNow);
    expect(message?.body).toBe('hello');
    expect(message?.receiveCount).toBe(1);
    expect(message?.sentAt).toEqual(START);
    expect(message?.attributes).toEqual({
      ApproximateReceiveCount: '1',
      SentTimestamp: String(START.getTime()),
      ApproximateFirstReceiveTimestamp: String(START.getTime()),
    });
  });

  it('createQueue with an existing name returns the same queue', async () => {
    await sendBodies('kept');
    expect(queues.createQueue('work')).toBe(url);
    expect(queues.depth(url)).toBe(1);
  });

  it('never returns more than 10 messages and rejects maxMessages outside 1..10', async () => {
    await sendBodies(...Array.from({ length: 15 }, (_, index) => `m${index}`));
    expect(await queues.receive(url, receiveNow)).toHaveLength(10);
    expect(await queues.receive(url, receiveNow)).toHaveLength(5);
    await expect(queues.receive(url, { maxMessages: 11, waitTimeSeconds: 0 })).rejects.toMatchObject({
      code: 'InvalidParameterValue',
    });
    await expect(queues.receive(url, { maxMessages: 0, waitTimeSeconds: 0 })).rejects.toBeInstanceOf(MemoryQueueError);
    await expect(queues.receive(url, { maxMessages: 1, waitTimeSeconds: 21 })).rejects.toMatchObject({
      code: 'InvalidParameterValue',
    });
  });

  it('refuses a body over 256 KiB (counted in UTF-8 bytes) as a permanent failure and keeps the others', async () => {
    const outcome = await queues.send(url, [
      { id: 'at-limit', body: 'x'.repeat(262_144) },
      { id: 'one-byte-over', body: 'x'.repeat(262_145) },
      { id: 'multibyte-over', body: 'é'.repeat(131_073) },
    ]);
    expect(outcome.failed.map((failure) => [failure.id, failure.code, failure.permanent])).toEqual([
      ['one-byte-over', 'MessageTooLong', true],
      ['multibyte-over', 'MessageTooLong', true],
    ]);
    expect(queues.peekAll(url).map((message) => message.body.length)).toEqual([262_144]);
  });

  it('refuses what SQS refuses: an empty body, characters outside its set, a delay over 900 s', async () => {
    const outcome = await queues.send(url, [
      { id: 'empty', body: '' },
      { id: 'nul', body: 'a\u0000b' },
      { id: 'lone-surrogate', body: 'a\uD800b' },
      { id: 'delay', body: 'x', delaySeconds: 901 },
      { id: 'fine', body: 'tab\tand emoji 🎉' },
    ]);
    expect(outcome.failed.map((failure) => [failure.id, failure.code, failure.permanent])).toEqual([
      ['empty', 'MissingRequiredParameterException', true],
      ['nul', 'InvalidMessageContents', true],
      ['lone-surrogate', 'InvalidMessageContents', true],
      ['delay', 'InvalidParameterValue', true],
    ]);
    expect(queues.depth(url)).toBe(1);
  });

  it('reports every message as a transient failure for an unknown queue, and rejects receive there', async () => {
    const outcome = await queues.send('memory://queue/missing', [{ id: 'a', body: 'x' }]);
    expect(outcome.failed).toEqual([expect.objectContaining({ id: 'a', code: 'QueueDoesNotExist', permanent: false })]);
    await expect(queues.receive('memory://queue/missing', receiveNow)).rejects.toMatchObject({
      code: 'QueueDoesNotExist',
    });
  });
});

describe('MemoryQueue visibility', () => {
  it('hides a received message for the visibility timeout, then redelivers it with a higher receive count', async () => {
    await sendBodies('again');
    const [first] = await queues.receive(url, receiveNow);
    expect(queues.inFlight(url)).toBe(1);
    expect(await queues.receive(url, receiveNow)).toEqual([]);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(await queues.receive(url, receiveNow)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    const [second] = await queues.receive(url, receiveNow);
    expect(second?.messageId).toBe(first?.messageId);
    expect(second?.receiveCount).toBe(2);
    expect(second?.receiptHandle).not.toBe(first?.receiptHandle);
  });

  it('keeps the first receive time across redeliveries (ApproximateFirstReceiveTimestamp)', async () => {
    await sendBodies('late');
    await vi.advanceTimersByTimeAsync(5_000);
    const [first] = await queues.receive(url, receiveNow);
    await vi.advanceTimersByTimeAsync(30_000);
    const [second] = await queues.receive(url, receiveNow);
    expect(second?.receiveCount).toBe(2);
    expect(first?.attributes.ApproximateFirstReceiveTimestamp).toBe(String(START.getTime() + 5_000));
    expect(second?.attributes.ApproximateFirstReceiveTimestamp).toBe(String(START.getTime() + 5_000));
  });

  it('uses the visibility timeout given to receive over the queue default', async () => {
    await sendBodies('short');
    await queues.receive(url, { ...receiveNow, visibilityTimeoutSeconds: 2 });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await queues.receive(url, receiveNow)).toHaveLength(1);
  });

  it('changeVisibility to 0 makes an in-flight message visible at once', async () => {
    await sendBodies('retry-now');
    const [message] = await queues.receive(url, receiveNow);
    await queues.changeVisibility(url, message!.receiptHandle, 0);
    expect(queues.depth(url)).toBe(1);
    const [again] = await queues.receive(url, receiveNow);
    expect(again?.receiveCount).toBe(2);
  });

  it('changeVisibility extends the timeout from now', async () => {
    await sendBodies('longer');
    const [message] = await queues.receive(url, receiveNow);
    await vi.advanceTimersByTimeAsync(20_000);
    await queues.changeVisibility(url, message!.receiptHandle, 60);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(queues.inFlight(url)).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(queues.depth(url)).toBe(1);
  });

  it('changeVisibility rejects an unknown receipt handle and a message no longer in flight', async () => {
    await sendBodies('x');
    const [message] = await queues.receive(url, receiveNow);
    await expect(queues.changeVisibility(url, 'nope', 0)).rejects.toMatchObject({ code: 'ReceiptHandleIsInvalid' });
    await vi.advanceTimersByTimeAsync(30_000);
    await expect(queues.changeVisibility(url, message!.receiptHandle, 10)).rejects.toMatchObject({
      code: 'MessageNotInflight',
    });
  });
});

describe('MemoryQueue delete', () => {
  it('deletes an in-flight message so it is never redelivered', async () => {
    await sendBodies('done');
    const [message] = await queues.receive(url, receiveNow);
    await queues.delete(url, message!.receiptHandle);
    expect(queues.inFlight(url)).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await queues.receive(url, receiveNow)).toEqual([]);
    expect(queues.peekAll(url)).toEqual([]);
  });

  it('a stale receipt handle (from an earlier receive) deletes nothing', async () => {
    await sendBodies('redelivered');
    const [first] = await queues.receive(url, receiveNow);
    await vi.advanceTimersByTimeAsync(30_000);
    await queues.receive(url, receiveNow);
    await queues.delete(url, first!.receiptHandle);
    expect(queues.inFlight(url)).toBe(1);
  });
});

describe('MemoryQueue dead-letter queue', () => {
  it('moves a message received more than maxReceiveCount times to the DLQ, keeping id, body and count', async () => {
    const dlq = queues.createQueue('work-dlq');
    const source = queues.createQueue('redriven', {
      visibilityTimeoutSeconds: 5,
      deadLetterQueue: dlq,
      maxReceiveCount: 2,
    });
    await queues.send(source, [{ id: 'a', body: 'poison' }]);
    const [first] = await queues.receive(source, receiveNow);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await queues.receive(source, receiveNow)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await queues.receive(source, receiveNow)).toEqual([]);
    expect(queues.peekAll(source)).toEqual([]);
    const [dead] = await queues.receive(dlq, receiveNow);
    expect(dead).toMatchObject({ messageId: first!.messageId, body: 'poison', receiveCount: 3 });
  });

  it('wakes a long poll waiting on the DLQ when a message is moved there', async () => {
    const dlq = queues.createQueue('dlq-wait');
    const source = queues.createQueue('redrive-wait', {
      visibilityTimeoutSeconds: 1,
      deadLetterQueue: dlq,
      maxReceiveCount: 1,
    });
    await queues.send(source, [{ id: 'a', body: 'poison' }]);
    await queues.receive(source, receiveNow);
    const waiting = track(queues.receive(dlq, { maxMessages: 1, waitTimeSeconds: 20 }));
    await vi.advanceTimersByTimeAsync(1_000);
    await queues.receive(source, receiveNow);
    await vi.advanceTimersByTimeAsync(0);
    expect(waiting.settled).toBe(true);
    expect(waiting.value?.[0]?.body).toBe('poison');
  });

  it('rejects a DLQ without maxReceiveCount, a maxReceiveCount without DLQ, and an unknown DLQ', () => {
    const dlq = queues.createQueue('some-dlq');
    expect(() => queues.createQueue('a', { deadLetterQueue: dlq })).toThrow(MemoryQueueError);
    expect(() => queues.createQueue('b', { maxReceiveCount: 3 })).toThrow(/go together/);
    expect(() => queues.createQueue('c', { deadLetterQueue: 'memory://queue/none', maxReceiveCount: 3 })).toThrow(
      /no queue/,
    );
  });
});

describe('MemoryQueue delays', () => {
  it('keeps a delayed message invisible until its delay has passed', async () => {
    await queues.send(url, [{ id: 'later', body: 'later', delaySeconds: 5 }]);
    expect(queues.delayed(url)).toBe(1);
    expect(queues.depth(url)).toBe(0);
    expect(await queues.receive(url, receiveNow)).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect((await queues.receive(url, receiveNow)).map((message) => message.body)).toEqual(['later']);
  });

  it('applies the queue default delay when the message gives none, and a message delay of 0 overrides it', async () => {
    const slow = queues.createQueue('slow', { delaySeconds: 10 });
    await queues.send(slow, [
      { id: 'a', body: 'default' },
      { id: 'b', body: 'now', delaySeconds: 0 },
    ]);
    expect(queues.peekAll(slow).map((message) => [message.body, message.state])).toEqual([
      ['default', 'delayed'],
      ['now', 'visible'],
    ]);
  });
});

describe('MemoryQueue long polling', () => {
  it('resolves a waiting receive as soon as a message is sent', async () => {
    const waiting = track(queues.receive(url, { maxMessages: 5, waitTimeSeconds: 20 }));
    await vi.advanceTimersByTimeAsync(3_000);
    expect(waiting.settled).toBe(false);
    await sendBodies('wake');
    await vi.advanceTimersByTimeAsync(0);
    expect(waiting.value?.map((message) => message.body)).toEqual(['wake']);
  });

  it('resolves when a delayed message becomes visible, not before', async () => {
    await queues.send(url, [{ id: 'a', body: 'delayed', delaySeconds: 2 }]);
    const waiting = track(queues.receive(url, { maxMessages: 1, waitTimeSeconds: 20 }));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(waiting.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(waiting.value?.[0]?.body).toBe('delayed');
  });

  it('resolves when an in-flight message times out, or is made visible by changeVisibility', async () => {
    await sendBodies('a', 'b');
    const [first, second] = await queues.receive(url, { ...receiveNow, visibilityTimeoutSeconds: 4 });
    const byExpiry = track(queues.receive(url, { maxMessages: 1, waitTimeSeconds: 20 }));
    const byChange = track(queues.receive(url, { maxMessages: 1, waitTimeSeconds: 20 }));
    await queues.changeVisibility(url, second!.receiptHandle, 0);
    await vi.advanceTimersByTimeAsync(0);
    expect(byExpiry.value?.[0]?.body).toBe('b');
    expect(byChange.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(byChange.value?.[0]).toMatchObject({ messageId: first!.messageId, receiveCount: 2 });
  });

  it('wakes at the earliest upcoming visibility even when a later one was scheduled first', async () => {
    await sendBodies('in-flight');
    await queues.receive(url, receiveNow);
    const waiting = track(queues.receive(url, { maxMessages: 1, waitTimeSeconds: 20 }));
    await queues.send(url, [{ id: 'soon', body: 'soon', delaySeconds: 2 }]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(waiting.value?.[0]?.body).toBe('soon');
  });

  it('returns [] when the wait ends without a message', async () => {
    const waiting = track(queues.receive(url, { maxMessages: 1, waitTimeSeconds: 3 }));
    await vi.advanceTimersByTimeAsync(2_999);
    expect(waiting.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(waiting).toEqual({ settled: true, value: [] });
  });

  it('serves waiting receives oldest first, one message each when only one is there', async () => {
    const first = track(queues.receive(url, { maxMessages: 10, waitTimeSeconds: 20 }));
    const second = track(queues.receive(url, { maxMessages: 10, waitTimeSeconds: 20 }));
    await sendBodies('only');
    await vi.advanceTimersByTimeAsync(0);
    expect(first.value?.map((message: ReceivedMessage) => message.body)).toEqual(['only']);
    expect(second.settled).toBe(false);
  });
});

describe('MemoryQueue close', () => {
  it('ends pending long polls with [], returns [] from later receives and refuses sends', async () => {
    const waiting = track(queues.receive(url, { maxMessages: 1, waitTimeSeconds: 20 }));
    queues.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(waiting).toEqual({ settled: true, value: [] });
    expect(await queues.receive(url, { maxMessages: 1, waitTimeSeconds: 20 })).toEqual([]);
    const outcome = await sendBodies('late');
    expect(outcome.failed).toEqual([expect.objectContaining({ code: 'QueueClosed', permanent: false })]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('MemoryQueue inspection', () => {
  it('peekAll shows each message with its state and receive count', async () => {
    await queues.send(url, [
      { id: 'a', body: 'ready' },
      { id: 'b', body: 'later', delaySeconds: 9 },
    ]);
    await queues.receive(url, { maxMessages: 1, waitTimeSeconds: 0 });
    await queues.send(url, [{ id: 'c', body: 'fresh' }]);
    expect(queues.peekAll(url).map(({ body, state, receiveCount }) => [body, state, receiveCount])).toEqual([
      ['ready', 'in_flight', 1],
      ['later', 'delayed', 0],
      ['fresh', 'visible', 0],
    ]);
    expect([queues.depth(url), queues.inFlight(url), queues.delayed(url)]).toEqual([1, 1, 1]);
    expect(await queues.countMessages(url)).toEqual({ visible: 1, inFlight: 1, delayed: 1 });
  });
});

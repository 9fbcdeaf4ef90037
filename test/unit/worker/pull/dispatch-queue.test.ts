import { describe, expect, it } from 'vitest';
import type { QueueReceiver } from '../../../../lib/ports/message-queue.js';
import type { AnswerDeps } from '../../../../lib/worker/dispatch-deps.js';
import { DispatchQueue } from '../../../../lib/worker/pull/dispatch-queue.js';
import { QUEUES } from '../../../helpers/dispatch-fixtures.js';
import { FakeEventBus } from '../../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../../helpers/fake-queue-sender.js';
import { FixedClock } from '../../../helpers/fixed-clock.js';
import { RecordingLogger } from '../../../helpers/recording-logger.js';

const URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/tasker-dispatch-ecommerce';
const SETTINGS = { dispatchQueueUrl: URL, receiveBatchSize: 2, pollWaitSeconds: 1, visibilityTimeoutSeconds: 30 };

/** A receiver whose calls throw the queued errors in turn, then go through; every call is recorded. */
function flakyReceiver(...errors: unknown[]): QueueReceiver & { calls: string[] } {
  const calls: string[] = [];
  const next = async (call: string) => {
    calls.push(call);
    if (errors.length > 0) throw errors.shift();
  };
  return {
    calls,
    receive: async (url, options) => (
      await next(
        `receive ${url} ${options.maxMessages} ${options.waitTimeSeconds} ${options.visibilityTimeoutSeconds}`,
      ),
      []
    ),
    delete: (url, handle) => next(`delete ${url} ${handle}`),
    changeVisibility: (_url, handle, seconds) => next(`visibility ${handle} ${seconds}`),
  };
}

function queueOf(receiver: QueueReceiver): { queue: DispatchQueue; waits: number[] } {
  const waits: number[] = [];
  const deps: AnswerDeps = {
    queue: new FakeQueueSender(),
    bus: new FakeEventBus(),
    clock: new FixedClock(),
    logger: new RecordingLogger(),
    config: {
      completionQueueUrl: QUEUES.completion,
      poisonQueueUrl: QUEUES.poison,
      maxResultBytes: 200_000,
      workerId: 'pull-test',
      workerKind: 'pull',
      sourceQueue: URL,
      retryDelaysMs: [5, 10, 20],
    },
    retry: { delaysMs: [5, 10, 20], sleep: async (ms) => void waits.push(ms) },
  };
  return { queue: new DispatchQueue(receiver, SETTINGS, deps), waits };
}

describe('DispatchQueue', () => {
  it('receives with the worker’s batch size, short wait and visibility timeout', async () => {
    const receiver = flakyReceiver();
    expect(await queueOf(receiver).queue.receive()).toEqual({ ok: true, messages: [] });
    expect(receiver.calls).toEqual([`receive ${URL} 2 1 30`]);
  });

  it('reports a failed receive as its problem', async () => {
    const { queue } = queueOf(flakyReceiver(new Error('socket hang up')));
    expect(await queue.receive()).toEqual({ ok: false, problem: 'Error: socket hang up' });
  });

  it('retries a failed delete after each delay in turn, as every send is retried', async () => {
    const receiver = flakyReceiver(new Error('throttled'), new Error('throttled'));
    const { queue, waits } = queueOf(receiver);
    expect(await queue.delete('handle-1')).toBeNull();
    expect(receiver.calls).toEqual(Array(3).fill(`delete ${URL} handle-1`));
    expect(waits).toEqual([5, 10]);
  });

  it('gives up on a delete after the last delay and names the attempts and the last failure', async () => {
    const failure = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    const { queue, waits } = queueOf(flakyReceiver(failure, failure, failure, 'not an Error'));
    expect(await queue.delete('handle-1')).toBe('delete failed after 4 attempt(s): DeleteError: not an Error');
    expect(waits).toEqual([5, 10, 20]);
    const again = queueOf(flakyReceiver(failure, failure, failure, failure)).queue;
    expect(await again.delete('handle-1')).toBe('delete failed after 4 attempt(s): ThrottlingException: slow down');
  });

  it('changes a message’s visibility once, reporting a failure as its problem', async () => {
    const receiver = flakyReceiver(new Error('gone'));
    const { queue } = queueOf(receiver);
    expect(await queue.changeVisibility('handle-1', 0)).toBe('Error: gone');
    expect(await queue.changeVisibility('handle-1', 30)).toBeNull();
    expect(receiver.calls).toEqual(['visibility handle-1 0', 'visibility handle-1 30']);
  });
});

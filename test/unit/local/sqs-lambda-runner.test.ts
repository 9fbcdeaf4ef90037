import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryQueue } from '../../../lib/adapters/memory/memory-queue.js';
import { ConcurrencyPool } from '../../../lib/local/concurrency-pool.js';
import type { LambdaSettings } from '../../../lib/local/lambda-settings.js';
import { LambdaSettingsError } from '../../../lib/local/errors.js';
import { SqsLambdaRunner, type SqsLambdaHandler } from '../../../lib/local/sqs-lambda-runner.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

const BASE: LambdaSettings = {
  timeoutMs: 5_000,
  reservedConcurrency: 5,
  batchSize: 1,
  maxBatchingWindowMs: 0,
  maxConcurrency: 5,
  reportBatchItemFailures: true,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds, polling every 10 ms; fails after `timeoutMs` (a generous bound for a loaded machine). */
async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

let queue: MemoryQueue;
const runners: SqsLambdaRunner[] = [];

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
  queue?.close();
});

function setup(options: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {}) {
  queue = new MemoryQueue();
  const dlq = queue.createQueue('work-dlq');
  const url = queue.createQueue('work', {
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
    ...(options.maxReceiveCount ? { deadLetterQueue: dlq, maxReceiveCount: options.maxReceiveCount } : {}),
  });
  return { url, dlq };
}

function run(
  url: string,
  handler: SqsLambdaHandler,
  settings: Partial<LambdaSettings> = {},
  extra: { pollers?: number; logger?: RecordingLogger; now?: () => number } = {},
) {
  const runner = new SqsLambdaRunner({
    queue,
    queueUrl: url,
    handler,
    settings: { ...BASE, ...settings },
    waitTimeSeconds: 1,
    stopTimeoutMs: 2_000,
    functionName: 'test-fn',
    ...extra,
  });
  runners.push(runner.start());
  return runner;
}

async function send(url: string, bodies: string[]): Promise<void> {
  const outcome = await queue.send(
    url,
    bodies.map((body, i) => ({ id: `m${i}`, body })),
  );
  expect(outcome.failed).toEqual([]);
}

const bodies = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('SqsLambdaRunner: events and context', () => {
  it('invokes with real SQS records (body, receive count, ARN, md5) and deletes a successful batch', async () => {
    const { url } = setup();
    const events: SQSEvent[] = [];
    const runner = run(url, async (event) => {
      events.push(event);
    });
    await send(url, ['hello']);
    await until(() => runner.metrics().messagesDeleted === 1);
    const record = events[0]!.Records[0]!;
    expect(record.body).toBe('hello');
    expect(record.eventSource).toBe('aws:sqs');
    expect(record.eventSourceARN).toBe('arn:aws:sqs:us-east-1:000000000000:work');
    expect(record.attributes.ApproximateReceiveCount).toBe('1');
    expect(record.md5OfBody).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(queue.peekAll(url)).toEqual([]);
  });

  it('gives the handler a getRemainingTimeInMillis that counts down from the function timeout', async () => {
    const { url } = setup();
    const seen: number[] = [];
    let clock = 1_000_000;
    const runner = run(
      url,
      async (_event, context: Context) => {
        seen.push(context.getRemainingTimeInMillis());
        clock += 150;
        seen.push(context.getRemainingTimeInMillis());
        clock += 5_000;
        seen.push(context.getRemainingTimeInMillis());
      },
      { timeoutMs: 2_000 },
      { now: () => clock },
    );
    await send(url, ['x']);
    await until(() => runner.metrics().invocations === 1);
    expect(seen).toEqual([2_000, 1_850, 0]);
  });
});

describe('SqsLambdaRunner: batches', () => {
  it('waits up to the batching window to fill a batch', async () => {
    const { url } = setup();
    const sizes: number[] = [];
    const runner = run(url, async (event) => void sizes.push(event.Records.length), {
      batchSize: 5,
      maxBatchingWindowMs: 400,
      maxConcurrency: 1,
    });
    await send(url, bodies(3));
    await sleep(100);
    await send(url, bodies(2, 'late'));
    await until(() => runner.metrics().messagesDeleted === 5);
    expect(sizes).toEqual([5]);
  });

  it('invokes as soon as the batch is full, before the window ends', async () => {
    const { url } = setup();
    // The runner's clock stands still: its window never ends, so only a full batch can be invoked.
    const runner = run(
      url,
      async () => undefined,
      { batchSize: 4, maxBatchingWindowMs: 3_000, maxConcurrency: 1 },
      { now: () => 0 },
    );
    await send(url, bodies(4));
    await until(() => runner.metrics().messagesDeleted === 4);
    expect(runner.metrics().batchSizes).toEqual([4]);
  });

  it('with the window passed and the batch not full, invokes with what it has', async () => {
    const { url } = setup();
    let clock = 0;
    const runner = run(
      url,
      async () => undefined,
      { batchSize: 10, maxBatchingWindowMs: 200, maxConcurrency: 1 },
      { now: () => clock },
    );
    await send(url, bodies(2));
    await until(() => queue.inFlight(url) === 2);
    await sleep(100);
    expect(runner.metrics().invocations, 'the window (on the runner clock) has not passed').toBe(0);
    clock += 200;
    await until(() => runner.metrics().messagesDeleted === 2);
    expect(runner.metrics().batchSizes).toEqual([2]);
  });

  it('with no window, invokes with what one receive returned, never more than the batch size', async () => {
    const { url } = setup();
    await send(url, bodies(7));
    const runner = run(url, async () => undefined, { batchSize: 3, maxConcurrency: 1 });
    await until(() => runner.metrics().messagesDeleted === 7);
    expect(runner.metrics().batchSizes).toEqual([3, 3, 1]);
  });
});

describe('SqsLambdaRunner: what is deleted and what is kept', () => {
  it('partial batch failure: deletes only the messages not listed', async () => {
    const { url } = setup();
    const runner = run(
      url,
      async (event): Promise<SQSBatchResponse> => ({
        batchItemFailures: event.Records.filter((r) => r.body.startsWith('bad')).map((r) => ({
          itemIdentifier: r.messageId,
        })),
      }),
      { batchSize: 4, maxBatchingWindowMs: 300, maxConcurrency: 1 },
    );
    await send(url, ['good1', 'bad1', 'good2', 'bad2']);
    await until(() => runner.metrics().invocations === 1 && runner.metrics().messagesDeleted === 2);
    const left = queue.peekAll(url);
    expect(left.map((m) => m.body).sort()).toEqual(['bad1', 'bad2']);
    expect(left.every((m) => m.state === 'in_flight')).toBe(true);
    expect(runner.metrics().messagesKept).toBe(2);
  });

  it('a thrown error keeps the whole batch; it returns after the visibility timeout with a higher receive count', async () => {
    const { url } = setup({ visibilityTimeoutSeconds: 1 });
    const receiveCounts: string[] = [];
    const runner = run(
      url,
      async (event) => {
        receiveCounts.push(...event.Records.map((r) => `${r.body}:${r.attributes.ApproximateReceiveCount}`));
        if (receiveCounts.length <= 2) throw new Error('database down');
      },
      { batchSize: 2, maxBatchingWindowMs: 200, maxConcurrency: 1 },
    );
    await send(url, ['a', 'b']);
    await until(() => runner.metrics().errors === 1);
    expect(queue.peekAll(url)).toHaveLength(2);
    expect(runner.metrics().messagesDeleted).toBe(0);
    await until(() => runner.metrics().messagesDeleted === 2);
    expect(receiveCounts.sort()).toEqual(['a:1', 'a:2', 'b:1', 'b:2']);
  });

  it('an invalid batch response (unknown itemIdentifier) fails the whole batch', async () => {
    const { url } = setup();
    const logger = new RecordingLogger();
    const runner = run(url, async () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] }), {}, { logger });
    await send(url, ['x']);
    await until(() => runner.metrics().invocations === 1 && runner.metrics().messagesKept === 1);
    expect(runner.metrics().messagesDeleted).toBe(0);
    expect(queue.peekAll(url)).toHaveLength(1);
    expect(JSON.stringify(logger.entries)).toContain('not-in-batch');
  });

  it('without ReportBatchItemFailures the response is ignored: the batch is deleted', async () => {
    const { url } = setup();
    const runner = run(
      url,
      async (event) => ({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] }),
      { reportBatchItemFailures: false },
    );
    await send(url, ['x']);
    await until(() => runner.metrics().messagesDeleted === 1);
    expect(queue.peekAll(url)).toEqual([]);
  });

  it('an invocation still running at the function timeout fails: nothing is deleted, the timeout is counted', async () => {
    const { url } = setup();
    let finished = false;
    const runner = run(
      url,
      async () => {
        await sleep(400);
        finished = true;
      },
      { timeoutMs: 100 },
    );
    await send(url, ['slow']);
    await until(() => runner.metrics().timeouts === 1);
    expect(finished).toBe(false);
    await sleep(400);
    expect(runner.metrics().messagesDeleted).toBe(0);
    expect(queue.peekAll(url)).toHaveLength(1);
    expect(queue.inFlight(url)).toBe(1);
  });
});

describe('SqsLambdaRunner: concurrency', () => {
  it('never runs more than the cap under a burst of 200 messages, and reaches it', async () => {
    const { url } = setup();
    let running = 0;
    let peak = 0;
    const runner = run(
      url,
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await sleep(5);
        running -= 1;
      },
      { reservedConcurrency: 5, maxConcurrency: 5 },
    );
    expect(runner.pollerCount).toBe(5);
    await send(url, bodies(200));
    await until(() => runner.metrics().messagesDeleted === 200, 10_000);
    expect(peak).toBeLessThanOrEqual(5);
    expect(peak).toBe(5);
    expect(runner.metrics().peakConcurrency).toBe(5);
    expect(runner.metrics().throttles).toBe(0);
    expect(runner.metrics().invocations).toBe(200);
  });

  it('uses min(maxConcurrency, reserved concurrency) pollers', () => {
    const { url } = setup();
    const make = (s: Partial<LambdaSettings>) =>
      new SqsLambdaRunner({ queue, queueUrl: url, handler: async () => undefined, settings: { ...BASE, ...s } });
    expect(make({ maxConcurrency: 10, reservedConcurrency: 3 }).pollerCount).toBe(3);
    expect(make({ maxConcurrency: 2, reservedConcurrency: 10 }).pollerCount).toBe(2);
    expect(make({ maxConcurrency: 4, reservedConcurrency: undefined }).pollerCount).toBe(4);
    expect(make({ maxConcurrency: undefined, reservedConcurrency: 4 }).pollerCount).toBe(8);
  });

  it('shares one reserved concurrency between the event sources of one function', async () => {
    const { url } = setup();
    const other = queue.createQueue('other');
    const pool = new ConcurrencyPool(2);
    let running = 0;
    let peak = 0;
    const handler: SqsLambdaHandler = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(20);
      running -= 1;
    };
    for (const queueUrl of [url, other]) {
      runners.push(
        new SqsLambdaRunner({
          queue,
          queueUrl,
          handler,
          settings: { ...BASE, reservedConcurrency: 2, maxConcurrency: 1 },
          concurrency: pool,
          waitTimeSeconds: 1,
        }).start(),
      );
    }
    await send(url, bodies(10));
    await send(other, bodies(10));
    await until(() => runners.reduce((n, r) => n + r.metrics().messagesDeleted, 0) === 20);
    expect(pool.peakInUse).toBe(2);
    expect(peak).toBe(2);
  });

  /**
   * Why the stack sets both reserved concurrency and the event source's maximum concurrency:
   * without the latter, Lambda's pollers take more batches than the function may run; each
   * throttled batch stays in flight, comes back after the visibility timeout with a higher receive
   * count, and after maxReceiveCount receives lands on the dead-letter queue unprocessed.
   */
  it('throttle mode (no maxConcurrency): throttles, rising receive counts and dead-lettered messages', async () => {
    const { url, dlq } = setup({ visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    const runner = run(
      url,
      async () => {
        await sleep(900);
      },
      { reservedConcurrency: 2, maxConcurrency: undefined },
      { pollers: 6 },
    );
    await send(url, bodies(6));
    await until(() => queue.depth(dlq) >= 1, 6_000);
    const m = runner.metrics();
    expect(m.throttles).toBeGreaterThanOrEqual(4);
    expect(m.peakConcurrency).toBe(2);
    expect(queue.peekAll(dlq).every((msg) => msg.receiveCount === 2)).toBe(true);
  });

  it('max-concurrency mode with the same reserved concurrency and load: no throttle, nothing dead-lettered', async () => {
    const { url, dlq } = setup({ visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    const runner = run(
      url,
      async () => {
        await sleep(900);
      },
      { reservedConcurrency: 2, maxConcurrency: 2 },
    );
    await send(url, bodies(6));
    await until(() => runner.metrics().messagesDeleted === 6, 6_000);
    expect(runner.metrics().throttles).toBe(0);
    expect(runner.metrics().peakConcurrency).toBe(2);
    expect(queue.peekAll(dlq)).toEqual([]);
  });
});

describe('SqsLambdaRunner: stop and settings', () => {
  it('stop waits for a running invocation, then polls no more', async () => {
    const { url } = setup();
    let done = 0;
    const runner = run(url, async () => {
      await sleep(200);
      done += 1;
    });
    await send(url, ['a']);
    await until(() => runner.metrics().invocations === 1);
    await runner.stop();
    expect(done).toBe(1);
    await send(url, ['b']);
    await sleep(100);
    expect(runner.metrics().invocations).toBe(1);
  });

  it('a message a pending long poll receives after stop is made visible again once the polls settle', async () => {
    const { url } = setup();
    const runner = run(url, async () => undefined);
    await sleep(50);
    await runner.stop();
    await send(url, ['late']);
    await runner.pollsSettled(3_000);
    expect(runner.metrics().invocations).toBe(0);
    expect(queue.depth(url)).toBe(1);
    expect(queue.inFlight(url)).toBe(0);
  });

  it('stop is bounded when an invocation never ends', async () => {
    const { url } = setup();
    let ended = false;
    const never = () => new Promise<never>(() => undefined).finally(() => (ended = true));
    const runner = new SqsLambdaRunner({
      queue,
      queueUrl: url,
      handler: never,
      settings: BASE,
      waitTimeSeconds: 1,
      stopTimeoutMs: 150,
    }).start();
    await send(url, ['stuck']);
    await until(() => runner.metrics().invocations === 1);
    await runner.stop();
    expect(ended, 'stop returned while the invocation still runs').toBe(false);
  });

  it('refuses settings Lambda would refuse', () => {
    const { url } = setup();
    expect(
      () =>
        new SqsLambdaRunner({
          queue,
          queueUrl: url,
          handler: async () => undefined,
          settings: { ...BASE, batchSize: 0, timeoutMs: 0 },
        }),
    ).toThrow(LambdaSettingsError);
  });
});

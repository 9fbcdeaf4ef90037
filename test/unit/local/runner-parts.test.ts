import { describe, expect, it } from 'vitest';
import { keptMessages } from '../../../lib/local/batch-response.js';
import { ConcurrencyPool } from '../../../lib/local/concurrency-pool.js';
import { awsTransport, chooseTransport } from '../../../lib/local/embedded-transport.js';
import { ConfigurationError } from '../../../lib/lambda/config.js';
import { resolveEmbeddedSettings } from '../../../lib/local/embedded-settings.js';
import { createLambdaContext } from '../../../lib/local/lambda-context.js';
import { missingCallables } from '../../../lib/local/missing-callables.js';
import { queueArnOf } from '../../../lib/local/sqs-event.js';
import { buildTemplate } from '../../helpers/template-builder.js';

const ids = ['m1', 'm2', 'm3'];
const returned = (value: unknown) => ({ kind: 'returned' as const, value });

describe('keptMessages (what Lambda leaves on the queue after an invocation)', () => {
  it('keeps the whole batch when the function threw or timed out, whatever the response type', () => {
    expect(keptMessages({ kind: 'threw', error: new Error('x') }, ids, true)).toMatchObject({ all: true });
    expect(keptMessages({ kind: 'timed_out' }, ids, false)).toMatchObject({ all: true });
  });

  it('treats a null, empty or list-less response as a full success', () => {
    for (const value of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }]) {
      expect(keptMessages(returned(value), ids, true)).toEqual({ all: false, ids: new Set() });
    }
  });

  it('keeps exactly the listed items', () => {
    expect(keptMessages(returned({ batchItemFailures: [{ itemIdentifier: 'm2' }] }), ids, true)).toEqual({
      all: false,
      ids: new Set(['m2']),
    });
  });

  it('fails the whole batch for a malformed response, an empty identifier or one not in the batch', () => {
    for (const value of [
      'ok',
      42,
      [],
      { batchItemFailures: 'm1' },
      { batchItemFailures: [{ itemIdentifier: '' }] },
      { batchItemFailures: [{ id: 'm1' }] },
      { batchItemFailures: [{ itemIdentifier: 'zz' }] },
    ]) {
      expect(keptMessages(returned(value), ids, true)).toMatchObject({ all: true });
    }
  });

  it('ignores the response without ReportBatchItemFailures', () => {
    expect(keptMessages(returned({ batchItemFailures: [{ itemIdentifier: 'm1' }] }), ids, false)).toEqual({
      all: false,
      ids: new Set(),
    });
  });
});

describe('ConcurrencyPool', () => {
  it('refuses a slot beyond the limit and remembers the peak', () => {
    const pool = new ConcurrencyPool(2);
    expect([pool.tryAcquire(), pool.tryAcquire(), pool.tryAcquire()]).toEqual([true, true, false]);
    pool.release();
    expect(pool.tryAcquire()).toBe(true);
    expect([pool.inUse, pool.peakInUse]).toEqual([2, 2]);
    expect(() => new ConcurrencyPool(-1)).toThrow(RangeError);
  });

  it('without a reserved concurrency never refuses', () => {
    const pool = new ConcurrencyPool(undefined);
    for (let i = 0; i < 100; i += 1) expect(pool.tryAcquire()).toBe(true);
  });

  it('refuses a release without an acquire', () => {
    expect(() => new ConcurrencyPool(1).release()).toThrow();
  });
});

describe('records and context', () => {
  it('derives queue ARNs from SQS, LocalStack and memory URLs', () => {
    expect(queueArnOf('https://sqs.eu-west-1.amazonaws.com/123456789012/tasker-dispatch')).toBe(
      'arn:aws:sqs:eu-west-1:123456789012:tasker-dispatch',
    );
    expect(queueArnOf('http://127.0.0.1:4566/queue/us-west-2/000000000000/work')).toBe(
      'arn:aws:sqs:us-west-2:000000000000:work',
    );
    expect(queueArnOf('memory://queue/dispatch')).toBe('arn:aws:sqs:us-east-1:000000000000:dispatch');
  });

  it('counts the remaining time down from the timeout, never below zero', () => {
    let now = 1_000;
    const context = createLambdaContext({ functionName: 'fn', timeoutMs: 500, startedAt: 1_000, now: () => now });
    expect(context.getRemainingTimeInMillis()).toBe(500);
    now = 1_200;
    expect(context.getRemainingTimeInMillis()).toBe(300);
    now = 2_000;
    expect(context.getRemainingTimeInMillis()).toBe(0);
    expect(context.invokedFunctionArn).toContain(':function:fn');
    expect(() => context.succeed('x')).toThrow(/not supported/);
  });
});

describe('embedded runtime configuration', () => {
  it('chooses SQS/EventBridge only when AWS is configured and the queue URLs are set', () => {
    const queues = { TASKER_DISPATCH_QUEUE_URL: 'http://q/d', TASKER_COMPLETION_QUEUE_URL: 'http://q/c' };
    expect(chooseTransport('auto', {})).toBe('memory');
    expect(chooseTransport('auto', { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' })).toBe('memory');
    expect(chooseTransport('auto', { AWS_PROFILE: 'dev' })).toBe('memory');
    expect(chooseTransport('auto', { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', ...queues })).toBe('aws');
    expect(chooseTransport('auto', { AWS_ACCESS_KEY_ID: 'AKIA', ...queues })).toBe('aws');
    expect(chooseTransport('memory', { AWS_ENDPOINT_URL: 'x', ...queues })).toBe('memory');
    expect(
      chooseTransport('auto', {
        AWS_ENDPOINT_URL: 'x',
        TASKER_COMPLETION_QUEUE_URL: 'http://q/c',
        TASKER_NAMESPACE_QUEUE_URLS: '{"a":"http://q/a"}',
      }),
    ).toBe('aws');
  });

  it('on AWS takes the queue URLs and bus from the environment, and names what is missing', () => {
    const transport = awsTransport({
      AWS_REGION: 'us-east-1',
      TASKER_DISPATCH_QUEUE_URL: 'http://127.0.0.1:4566/queue/us-east-1/000000000000/dispatch',
      TASKER_COMPLETION_QUEUE_URL: 'http://127.0.0.1:4566/queue/us-east-1/000000000000/completion',
      TASKER_POISON_QUEUE_URL: 'http://127.0.0.1:4566/queue/us-east-1/000000000000/poison',
      TASKER_NAMESPACE_QUEUE_URLS:
        '{"payments":"http://127.0.0.1:4566/queue/us-east-1/000000000000/dispatch-payments"}',
      TASKER_EVENT_BUS_NAME: 'tasker-bus',
    });
    expect(transport.kind).toBe('aws');
    expect(transport.urls.namespaceDispatch).toEqual({
      payments: 'http://127.0.0.1:4566/queue/us-east-1/000000000000/dispatch-payments',
    });
    expect(transport.eventBusName).toBe('tasker-bus');
    expect(transport.memory).toBeUndefined();
    transport.close();
    expect(() => awsTransport({ TASKER_DISPATCH_QUEUE_URL: 'http://q/d' })).toThrow(ConfigurationError);
    expect(() =>
      awsTransport({ TASKER_COMPLETION_QUEUE_URL: 'http://q/c', TASKER_POISON_QUEUE_URL: 'http://q/p' }),
    ).toThrow(/TASKER_DISPATCH_QUEUE_URL or TASKER_NAMESPACE_QUEUE_URLS is required/);
  });

  it('overrides single settings and keeps the deployed rest', () => {
    const s = resolveEmbeddedSettings({
      stepHandler: { timeoutMs: 5_000 },
      dispatchQueue: { visibilityTimeoutSeconds: 10 },
      sweepIntervalMs: 100,
    });
    expect(s.stepHandler).toMatchObject({ timeoutMs: 5_000, reservedConcurrency: 10, maxConcurrency: 10 });
    expect(s.dispatchQueue).toEqual({ visibilityTimeoutSeconds: 10, maxReceiveCount: 5 });
    expect(s.sweepIntervalMs).toBe(100);
  });

  it('lists the steps whose callable the handlers lack', () => {
    const template = buildTemplate({ name: 't', steps: [{ name: 'a' }, { name: 'b', callable: 'x.y' }] });
    expect(missingCallables([template], { 'tests.a': () => 1 })).toEqual([
      { template: 'tests/t@1.0.0', step: 'b', callable: 'x.y' },
    ]);
  });
});

import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryQueue } from '../../../lib/adapters/memory/memory-queue.js';
import { runtimeConfig, type RuntimeConfig } from '../../../lib/contracts/runtime-config.js';
import { ConfigurationError } from '../../../lib/lambda/config.js';
import {
  dispatchQueueUrlFor,
  runPullWorkerProcess,
  type PullWorkerProcessOptions,
} from '../../../lib/container/pull-worker-process.js';
import { QUEUES, SHIPMENT } from '../../helpers/dispatch-fixtures.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { deferred, stepMessage, timerClock, useFakeTime } from '../worker/pull/pull-kit.js';

const SHIP = 'ecommerce.ship_order';
const DEFAULT_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/tasker-dispatch';

function configWith(changes: Record<string, unknown> = {}): RuntimeConfig {
  return runtimeConfig.parse({
    dispatchQueueUrl: DEFAULT_QUEUE,
    completionQueueUrl: QUEUES.completion,
    poisonQueueUrl: QUEUES.poison,
    ...changes,
  });
}

beforeEach(useFakeTime);
afterEach(() => vi.useRealTimers());

describe('dispatchQueueUrlFor', () => {
  it('uses the namespace’s own queue, else the default queue, and an explicit URL over both', () => {
    const config = configWith({
      namespaceQueueUrls: { payments: 'https://sqs.eu-west-1.amazonaws.com/1/tasker-dispatch-payments' },
    });
    expect(dispatchQueueUrlFor('payments', config)).toBe(
      'https://sqs.eu-west-1.amazonaws.com/1/tasker-dispatch-payments',
    );
    expect(dispatchQueueUrlFor('ecommerce', config)).toBe(DEFAULT_QUEUE);
    expect(dispatchQueueUrlFor('payments', config, 'https://example.com/q')).toBe('https://example.com/q');
  });

  it('throws a ConfigurationError naming the settings when the namespace has no queue', () => {
    expect(() => dispatchQueueUrlFor('ecommerce', configWith({ dispatchQueueUrl: undefined }))).toThrow(
      /TASKER_NAMESPACE_QUEUE_URLS or TASKER_DISPATCH_QUEUE_URL/,
    );
  });
});

describe('runPullWorkerProcess', () => {
  function setUp(handler: () => unknown, extra: Partial<PullWorkerProcessOptions> = {}) {
    const memory = new MemoryQueue();
    const queueUrl = memory.createQueue('dispatch-ecommerce');
    const sender = new FakeQueueSender();
    const signals = new EventEmitter();
    const exit = vi.fn();
    const logger = new RecordingLogger();
    const process = runPullWorkerProcess({
      namespace: 'ecommerce',
      handlers: { [SHIP]: handler },
      concurrency: 2,
      queueUrl,
      drainTimeoutMs: 2_000,
      worker: { pollWaitSeconds: 0 },
      ...extra,
      overrides: {
        config: configWith(),
        dispatch: memory,
        queue: sender,
        bus: new FakeEventBus(),
        clock: timerClock,
        logger,
        signals,
        exit,
        sleep: async () => undefined,
      },
    });
    return { memory, queueUrl, sender, signals, exit, logger, process };
  }

  it('takes its visibility timeout from the pool environment (TASKER_VISIBILITY_TIMEOUT_SECONDS)', async () => {
    const plain = setUp(() => 'ok');
    expect(plain.process.worker.config.visibilityTimeoutSeconds).toBe(30);
    await plain.process.stop();
    const memory = new MemoryQueue();
    const pool = runPullWorkerProcess({
      namespace: 'ecommerce',
      handlers: {},
      queueUrl: memory.createQueue('d'),
      worker: { pollWaitSeconds: 0 },
      drainTimeoutMs: 2_000,
      overrides: {
        config: configWith({ visibilityTimeoutSeconds: '120' }),
        dispatch: memory,
        queue: new FakeQueueSender(),
        bus: new FakeEventBus(),
        clock: timerClock,
        logger: new RecordingLogger(),
        signals: null,
        exit: vi.fn(),
        sleep: async () => undefined,
      },
    });
    expect(pool.worker.config.visibilityTimeoutSeconds).toBe(120);
    await pool.stop();
  });

  it('refuses to start without a completion queue, naming the variable', () => {
    const options = {
      namespace: 'ecommerce',
      handlers: {},
      overrides: { config: configWith({ completionQueueUrl: undefined }), signals: null },
    };
    expect(() => runPullWorkerProcess(options)).toThrow(ConfigurationError);
    expect(() => runPullWorkerProcess(options)).toThrow(/TASKER_COMPLETION_QUEUE_URL is required/);
  });

  it('pulls and answers steps until SIGTERM, then drains running handlers and exits 0', async () => {
    const gate = deferred<unknown>();
    const { memory, queueUrl, sender, signals, exit, process } = setUp(() => gate.promise);
    await memory.send(queueUrl, [{ id: 'a', body: JSON.stringify(stepMessage(1)) }]);
    await vi.advanceTimersByTimeAsync(300);
    expect(process.loop.inFlight()).toEqual([stepMessage(1).event_id]);
    signals.emit('SIGTERM');
    setTimeout(() => gate.resolve(SHIPMENT), 500);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(exit).toHaveBeenCalledWith(0);
    expect(sender.bodiesTo(QUEUES.completion)).toMatchObject([
      { event_id: stepMessage(1).event_id, status: 'success', worker: { kind: 'pull' } },
    ]);
    expect(memory.peekAll(queueUrl)).toEqual([]);
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);
  });

  it('leaves a handler still running at the drain timeout to redelivery, and exits 0', async () => {
    const { memory, queueUrl, sender, signals, exit } = setUp(() => new Promise(() => undefined));
    await memory.send(queueUrl, [{ id: 'a', body: JSON.stringify(stepMessage(1)) }]);
    await vi.advanceTimersByTimeAsync(300);
    signals.emit('SIGINT');
    await vi.advanceTimersByTimeAsync(1_999);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(10);
    expect(exit).toHaveBeenCalledWith(0);
    expect(sender.bodiesTo(QUEUES.completion)).toEqual([]);
    expect(memory.peekAll(queueUrl)).toMatchObject([{ state: 'in_flight' }]);
  });

  it('exits 1 at once on a second signal during the drain', async () => {
    const { memory, queueUrl, signals, exit } = setUp(() => new Promise(() => undefined));
    await memory.send(queueUrl, [{ id: 'a', body: JSON.stringify(stepMessage(1)) }]);
    await vi.advanceTimersByTimeAsync(300);
    signals.emit('SIGTERM');
    signals.emit('SIGTERM');
    expect(exit).toHaveBeenCalledWith(1);
    await vi.advanceTimersByTimeAsync(3_000);
  });

  it('stop() drains once however often it is called', async () => {
    const { process } = setUp(() => SHIPMENT);
    const first = process.stop();
    expect(process.stop()).toBe(first);
    expect(await first).toEqual({ drained: true, finished: 0, unfinished: [] });
  });
});

import { describe, expect, it, vi } from 'vitest';
import { MemoryEventBus } from '../../../../lib/adapters/memory/memory-event-bus.js';
import { MemoryQueue } from '../../../../lib/adapters/memory/memory-queue.js';
import type { Scheduler } from '../../../../lib/adapters/memory/scheduler.js';
import type { EventBusEntry } from '../../../../lib/contracts/domain-event.js';

function entry(source: string, detailType: string, detail: object = { n: 1 }): EventBusEntry {
  return { Source: source, DetailType: detailType, Detail: JSON.stringify(detail) };
}

const fixedScheduler: Scheduler = {
  now: () => Date.parse('2026-03-04T05:06:07.890Z'),
  setTimeout: () => undefined,
  clearTimeout: () => undefined,
};

describe('MemoryEventBus', () => {
  it('keeps every published entry in order and reports no failures', async () => {
    const bus = new MemoryEventBus();
    const entries = [entry('tasker.a', 'step.done'), entry('tasker.b', 'step.failed', { n: 2 })];
    expect(await bus.publish(entries)).toEqual({ failed: [] });
    expect(bus.published).toEqual(entries);
    expect(bus.detailsOf('step.failed')).toEqual([{ n: 2 }]);
  });

  it('delivers to callback rules whose source and detail type match (one value or any of several)', async () => {
    const bus = new MemoryEventBus();
    const bySource = vi.fn();
    const byBoth = vi.fn();
    bus.addRule({ source: 'tasker.a', target: { callback: bySource } });
    bus.addRule({ source: ['tasker.a', 'tasker.b'], detailType: 'step.done', target: { callback: byBoth } });
    await bus.publish([
      entry('tasker.a', 'step.done'),
      entry('tasker.b', 'step.failed'),
      entry('tasker.b', 'step.done'),
    ]);
    expect(bySource.mock.calls.map(([delivered]) => delivered.Source)).toEqual(['tasker.a']);
    expect(byBoth.mock.calls.map(([delivered]) => `${delivered.Source}/${delivered.DetailType}`)).toEqual([
      'tasker.a/step.done',
      'tasker.b/step.done',
    ]);
  });

  it('puts matching events on a queue target in the shape EventBridge delivers to SQS', async () => {
    const queues = new MemoryQueue();
    const queueUrl = queues.createQueue('captured');
    const bus = new MemoryEventBus('tasker', fixedScheduler);
    bus.addRule({ detailType: 'step.done', target: { queue: queues, queueUrl } });
    await bus.publish([entry('tasker.a', 'step.done', { ok: true }), entry('tasker.a', 'other')]);
    const received = await queues.receive(queueUrl, { maxMessages: 10, waitTimeSeconds: 0 });
    expect(received.map((message) => JSON.parse(message.body))).toEqual([
      {
        version: '0',
        id: expect.any(String),
        'detail-type': 'step.done',
        source: 'tasker.a',
        account: '000000000000',
        time: '2026-03-04T05:06:07Z',
        region: 'us-east-1',
        resources: [],
        detail: { ok: true },
      },
    ]);
  });

  it('reports entries an injected hook fails, with the original entry, and neither keeps nor delivers them', async () => {
    const bus = new MemoryEventBus();
    const delivered = vi.fn();
    bus.addRule({ target: { callback: delivered } });
    bus.injectFailure((candidate) =>
      candidate.DetailType === 'bad' ? { code: 'InternalFailure', message: 'injected' } : undefined,
    );
    const bad = entry('tasker.a', 'bad');
    const outcome = await bus.publish([entry('tasker.a', 'good'), bad]);
    expect(outcome.failed).toEqual([{ entry: bad, code: 'InternalFailure', message: 'injected' }]);
    expect(bus.published.map((kept) => kept.DetailType)).toEqual(['good']);
    expect(delivered).toHaveBeenCalledTimes(1);
    bus.injectFailure(undefined);
    expect((await bus.publish([bad])).failed).toEqual([]);
  });

  it('rejects the whole call while a call error is injected', async () => {
    const bus = new MemoryEventBus();
    bus.injectCallError(new Error('network down'));
    await expect(bus.publish([entry('tasker.a', 'x')])).rejects.toThrow('network down');
    expect(bus.published).toEqual([]);
    bus.injectCallError(undefined);
    expect(await bus.publish([entry('tasker.a', 'x')])).toEqual({ failed: [] });
  });

  it('refuses what EventBridge refuses: Detail that is not a JSON object, an entry over 256 KiB', async () => {
    const bus = new MemoryEventBus();
    const notJson: EventBusEntry = { Source: 's', DetailType: 'd', Detail: 'not json' };
    const array: EventBusEntry = { Source: 's', DetailType: 'd', Detail: '[1]' };
    const huge = entry('s', 'd', { blob: 'x'.repeat(262_144) });
    const outcome = await bus.publish([notJson, array, huge]);
    expect(outcome.failed.map((failure) => failure.code)).toEqual([
      'MalformedDetail',
      'MalformedDetail',
      'EntryTooLarge',
    ]);
    expect(bus.published).toEqual([]);
  });

  it('a failing target does not fail the publish; the error is kept in deliveryErrors', async () => {
    const bus = new MemoryEventBus();
    const after = vi.fn();
    bus.addRule({ target: { callback: () => Promise.reject(new Error('target down')) } });
    bus.addRule({ target: { callback: after } });
    const published = entry('tasker.a', 'x');
    expect(await bus.publish([published])).toEqual({ failed: [] });
    expect(bus.deliveryErrors).toEqual([{ entry: published, error: new Error('target down') }]);
    expect(after).toHaveBeenCalledOnce();
  });

  it('records a queue target that refuses the event as a delivery error', async () => {
    const queues = new MemoryQueue();
    const bus = new MemoryEventBus();
    bus.addRule({ target: { queue: queues, queueUrl: 'memory://queue/absent' } });
    expect(await bus.publish([entry('tasker.a', 'x')])).toEqual({ failed: [] });
    expect(String((bus.deliveryErrors[0]?.error as Error | undefined)?.message)).toMatch(/QueueDoesNotExist/);
  });
});

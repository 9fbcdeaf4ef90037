import type { Context, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { MemoryQueue } from '../../lib/adapters/memory/memory-queue.js';
import { MemoryEventBus } from '../../lib/adapters/memory/memory-event-bus.js';
import type { QueueUrls } from '../../lib/local/embedded-transport.js';
import { crashing, emptyCrashStats, ProcessKilledError } from './support/crash-injector.js';
import { FaultBus } from './support/fault-bus.js';
import { FaultQueue } from './support/fault-queue.js';
import type { KillPoint } from './support/invocation-context.js';
import { Ledger } from './support/ledger.js';

/**
 * Not a fault scenario: proves the kill is real. A function that sends three results and publishes
 * an event after each is killed at each kind of point; what reaches the queue and the bus, and
 * what the event source is told, must be exactly what a dead process leaves behind.
 */

const inner = new MemoryQueue();
const urls: QueueUrls = {
  dispatch: inner.createQueue('dispatch'),
  namespaceDispatch: {},
  completion: inner.createQueue('completion'),
  poison: inner.createQueue('poison'),
  domainEventDlq: undefined,
  dispatchDlq: undefined,
  completionDlq: undefined,
};

function setup() {
  const ledger = new Ledger();
  const queue = new FaultQueue(inner, urls, ledger);
  const bus = new MemoryEventBus('self-check');
  const faultBus = new FaultBus(bus, ledger);
  const handler = async (event: SQSEvent) => {
    await Promise.all(
      event.Records.map(async (record, i) => {
        await new Promise((resolve) => setTimeout(resolve, 5 * i));
        const result = { message_type: 'step_result', event_id: record.messageId };
        await queue.send(urls.completion, [{ id: 'result', body: JSON.stringify(result) }]);
        await faultBus.publish([
          { Source: 'self-check', DetailType: 'done', Detail: JSON.stringify({ id: record.messageId }) },
        ]);
      }),
    );
    return { batchItemFailures: [] };
  };
  return { ledger, queue, bus, handler };
}

const event = (n: number, tag: string): SQSEvent => ({
  Records: Array.from(
    { length: n },
    (_, i) => ({ messageId: `${tag}-${i}`, body: '{}', attributes: { ApproximateReceiveCount: '1' } }) as never,
  ),
});

async function invoke(point: KillPoint | null, tag: string) {
  const s = setup();
  const stats = emptyCrashStats();
  const before = inner.depth(urls.completion);
  const outcome = await crashing(
    () => point,
    stats,
  )(s.handler)(event(3, tag), {} as Context).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { outcome, stats, results: inner.depth(urls.completion) - before, events: s.bus.published.length };
}

describe('the crash injector', () => {
  it('lets an invocation that is not chosen run to the end', async () => {
    const r = await invoke(null, 'none');
    expect(r.outcome).toEqual({ value: { batchItemFailures: [] } });
    expect([r.results, r.events]).toEqual([3, 3]);
  });

  it('kills before the second result: one result and at most one event got out, the event source sees an exit', async () => {
    const r = await invoke({ kind: 'at_result', results: 1 }, 'mid');
    expect((r.outcome as { error: unknown }).error).toBeInstanceOf(ProcessKilledError);
    expect(r.results).toBe(1);
    expect(r.events).toBeLessThanOrEqual(1);
    expect(r.stats).toMatchObject({ planned: 1, killed: 1, midBatch: 1, recordsAbandoned: 3 });
  });

  it('kills after the last result: every result got out, no event after the last one', async () => {
    const r = await invoke({ kind: 'at_result', results: 3 }, 'all');
    expect(r.results).toBe(3);
    expect(r.events).toBe(2);
    expect(r.stats).toMatchObject({ killed: 1, afterAllResults: 1 });
  });

  it('kills at the first send: nothing got out', async () => {
    const r = await invoke({ kind: 'at_first_send' }, 'first');
    expect([r.results, r.events]).toEqual([0, 0]);
    expect((r.outcome as { error: unknown }).error).toBeInstanceOf(ProcessKilledError);
  });

  it('kills after the return: everything got out, and the event source still sees an exit', async () => {
    const r = await invoke({ kind: 'after_return' }, 'after');
    expect([r.results, r.events]).toEqual([3, 3]);
    expect((r.outcome as { error: unknown }).error).toBeInstanceOf(ProcessKilledError);
  });
});

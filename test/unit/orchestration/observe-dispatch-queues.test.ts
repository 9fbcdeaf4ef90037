import { describe, expect, it } from 'vitest';
import { observeDispatchQueues } from '../../../lib/orchestration/observe-dispatch-queues.js';
import type { OrchestrationDeps } from '../../../lib/orchestration/orchestration-deps.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import { sweep } from '../../../lib/orchestration/sweep.js';
import type { MessageCounts, QueueCounter } from '../../../lib/ports/queue-counts.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { fakeStore } from '../../helpers/fake-store.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

/** Counts per queue URL; a queue missing from the map cannot be read. */
function counter(counts: Record<string, MessageCounts>): QueueCounter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    countMessages: async (url) => {
      asked.push(url);
      const c = counts[url];
      if (!c) throw new Error(`AccessDenied: cannot read ${url}`);
      return c;
    },
  };
}

function deps(queueCounts: QueueCounter | undefined, store = fakeStore()): OrchestrationDeps {
  return {
    store,
    queues: new FakeQueueSender(),
    events: new FakeEventBus(),
    logger: new RecordingLogger(),
    routing: staticRouting({
      dispatchQueueUrl: 'q://default',
      namespaceQueueUrls: { payments: 'q://payments', billing: 'q://payments', search: 'q://search' },
      completionQueueUrl: 'q://completion',
    }),
    clock: { now: () => new Date('2026-11-23T10:00:00Z') },
    random: { next: () => 0.5 },
    ...(queueCounts ? { queueCounts } : {}),
  };
}

const counts = (visible: number, inFlight: number, delayed: number): MessageCounts => ({ visible, inFlight, delayed });

describe('observeDispatchQueues', () => {
  it('counts each dispatch queue once and names those holding messages waiting for a receive (visible or delayed)', async () => {
    const c = counter({
      'q://default': counts(0, 10, 0),
      'q://payments': counts(312, 10, 0),
      'q://search': counts(0, 0, 3),
    });
    expect(await observeDispatchQueues(deps(c))).toEqual({
      defaultQueue: 'q://default',
      namespaceQueues: { payments: 'q://payments', billing: 'q://payments', search: 'q://search' },
      backlogged: ['q://payments', 'q://search'],
    });
    expect(c.asked.sort()).toEqual(['q://default', 'q://payments', 'q://search']);
  });

  it('counts a queue it cannot read as holding a backlog, and says so as an error', async () => {
    const d = deps(counter({ 'q://default': counts(0, 0, 0), 'q://search': counts(0, 0, 0) }));
    expect((await observeDispatchQueues(d))?.backlogged).toEqual(['q://payments']);
    expect((d.logger as RecordingLogger).find(/^could not count a dispatch queue/)[0]).toMatchObject({
      level: 'error',
      fields: { queue: 'q://payments', error: expect.stringContaining('AccessDenied') },
    });
  });

  it('is undefined without a counter: only the deadlines count', async () => {
    expect(await observeDispatchQueues(deps(undefined))).toBeUndefined();
  });

  it('is what the sweep hands the store when it looks for overdue attempts', async () => {
    const store = fakeStore({
      findTimedOutDispatches: async () => [],
      unsentOutbox: async () => [],
      claimDueRetries: async () => [],
    });
    await sweep(
      deps(
        counter({ 'q://default': counts(5, 0, 0), 'q://payments': counts(0, 0, 0), 'q://search': counts(0, 0, 0) }),
        store,
      ),
    );
    expect(store.findTimedOutDispatches).toHaveBeenCalledWith(
      500,
      expect.objectContaining({ defaultQueue: 'q://default', backlogged: ['q://default'] }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import type { OrchestrationDeps } from '../../../lib/orchestration/orchestration-deps.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import { sweep } from '../../../lib/orchestration/sweep.js';
import type { ApplyResultOutcome, TimedOutDispatch } from '../../../lib/ports/orchestration-store.js';
import type { TimeBudget } from '../../../lib/ports/time-budget.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { fakeStore } from '../../helpers/fake-store.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

/** The sweeper's time budget on an injected clock: every store call takes `cost` ms of `remaining`; a call may take CALL_MS. */
const CALL_MS = 1_000;
const overdue = (n: number): TimedOutDispatch => ({
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  taskUuid: `11111111-1111-4111-8111-${String(n).padStart(12, '0')}`,
  stepUuid: '22222222-2222-4222-8222-222222222222',
  stepName: 'charge',
  correlationId: '44444444-4444-4444-8444-444444444444',
  attempt: 1,
  dispatchedAt: new Date('2026-11-23T09:00:00Z'),
  deadline: new Date('2026-11-23T09:15:30Z'),
});
const timedOut: ApplyResultOutcome = {
  status: 'applied',
  taskUuid: null,
  stepUuid: null,
  stepState: 'waiting_for_retry',
  taskState: 'waiting_for_retry',
  reason: null,
  outbox: [],
};

function harness(options: { remaining: number; cost: number; overdue: number; locked?: number }) {
  const clock = { remaining: options.remaining };
  const budget: TimeBudget = { remainingMs: () => clock.remaining, callMs: CALL_MS };
  const calls: string[] = [];
  const call = (name: string) => {
    clock.remaining -= options.cost;
    calls.push(name);
  };
  const store = fakeStore({
    findTimedOutDispatches: async () => (
      call('find'), Array.from({ length: options.overdue }, (_, i) => overdue(i + 1))
    ),
    applyStepResult: async (result) => {
      const n = Number(result.event_id.slice(-12));
      call(`time out ${n}`);
      if (n === options.locked)
        throw Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' });
      return timedOut;
    },
    unsentOutbox: async () => (call('unsent'), []),
    claimDueRetries: async () => (call('due retries'), []),
  });
  const logger = new RecordingLogger();
  const deps: OrchestrationDeps = {
    store,
    queues: new FakeQueueSender(),
    events: new FakeEventBus(),
    logger,
    routing: staticRouting({ dispatchQueueUrl: 'q://d', completionQueueUrl: 'q://c' }),
    clock: { now: () => new Date('2026-11-23T09:16:00Z') },
    random: { next: () => 0.1 },
  };
  return { deps, budget, calls, logger };
}

describe('the sweeper time budget', () => {
  it('skips an overdue attempt whose task is locked past lock_timeout, and times out the others', async () => {
    const h = harness({ remaining: 60_000, cost: 10, overdue: 3, locked: 2 });
    expect(await sweep(h.deps, h.budget)).toEqual({ timedOut: 2, resent: 0, retriesDispatched: 0 });
    expect(h.calls).toEqual(['find', 'time out 1', 'time out 2', 'time out 3', 'unsent', 'due retries']);
    expect(h.logger.find('overdue attempt not timed out; the next sweep tries again')[0]?.fields).toMatchObject({
      error: 'canceling statement due to lock timeout',
    });
  });

  it('starts nothing more once a call and its delivery no longer fit, leaving the rest to the next sweep', async () => {
    // 6 s left, each call 1 s, more than 2 s needed per piece of work: find (5 left), 1 (4), 2 (3), 3 (2); nothing more fits.
    const h = harness({ remaining: 6_000, cost: 1_000, overdue: 5 });
    expect(await sweep(h.deps, h.budget)).toEqual({ timedOut: 3, resent: 0, retriesDispatched: 0 });
    expect(h.calls).toEqual(['find', 'time out 1', 'time out 2', 'time out 3']);
    expect(h.logger.find(/overdue attempts left for the next sweep/)[0]?.fields).toMatchObject({ left: 2 });
    expect(h.logger.find(/sweep stopped early/)).toHaveLength(1);
  });

  it('does not start at all with too little time', async () => {
    const h = harness({ remaining: 2 * CALL_MS, cost: 1, overdue: 1 });
    expect(await sweep(h.deps, h.budget)).toEqual({ timedOut: 0, resent: 0, retriesDispatched: 0 });
    expect(h.calls).toEqual([]);
  });
});

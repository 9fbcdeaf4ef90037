import { describe, expect, it } from 'vitest';
import type { OrchestrationDeps } from '../../../lib/orchestration/orchestration-deps.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import { sweep } from '../../../lib/orchestration/sweep.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { fakeStore } from '../../helpers/fake-store.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

const overdue = {
  eventId: '33333333-3333-4333-8333-333333333333',
  taskUuid: '11111111-1111-4111-8111-111111111111',
  stepUuid: '22222222-2222-4222-8222-222222222222',
  stepName: 'charge',
  correlationId: '44444444-4444-4444-8444-444444444444',
  attempt: 2,
  dispatchedAt: new Date('2026-11-23T09:00:00Z'),
  deadline: new Date('2026-11-23T09:15:30Z'),
};

describe('sweep', () => {
  it("applies a retryable handler_timeout on the worker's behalf to every overdue attempt", async () => {
    const store = fakeStore({
      findTimedOutDispatches: async () => [overdue],
      applyStepResult: async () => ({
        status: 'applied',
        taskUuid: overdue.taskUuid,
        stepUuid: overdue.stepUuid,
        stepState: 'waiting_for_retry',
        taskState: 'waiting_for_retry',
        reason: null,
        outbox: [],
      }),
      unsentOutbox: async () => [],
      claimDueRetries: async () => [],
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
    expect(await sweep(deps)).toEqual({ timedOut: 1, resent: 0, retriesDispatched: 0 });
    const [result, random] = store.applyStepResult.mock.calls[0]!;
    expect(random).toBe(0.1);
    expect(result).toMatchObject({
      event_id: overdue.eventId,
      task_uuid: overdue.taskUuid,
      step_uuid: overdue.stepUuid,
      attempt: 2,
      status: 'failure',
      error: {
        error_type: 'handler_timeout',
        retryable: true,
        message: expect.stringContaining('2026-11-23T09:15:30.000Z'),
      },
      worker: { kind: 'sweeper' },
    });
    expect(logger.find('dispatched attempt timed out')[0]?.fields).toMatchObject({
      event_id: overdue.eventId,
      correlation_id: overdue.correlationId,
    });
  });

  it('counts an attempt whose result won the race as not timed out', async () => {
    const store = fakeStore({
      findTimedOutDispatches: async () => [overdue],
      applyStepResult: async () => ({
        status: 'duplicate',
        taskUuid: null,
        stepUuid: null,
        stepState: 'complete',
        taskState: null,
        reason: 'already applied',
        outbox: [],
      }),
      unsentOutbox: async () => [],
      claimDueRetries: async () => [],
    });
    const deps: OrchestrationDeps = {
      store,
      queues: new FakeQueueSender(),
      events: new FakeEventBus(),
      logger: new RecordingLogger(),
      routing: staticRouting({ dispatchQueueUrl: 'q://d', completionQueueUrl: 'q://c' }),
      clock: { now: () => new Date() },
      random: { next: () => 0.1 },
    };
    expect((await sweep(deps)).timedOut).toBe(0);
  });
});

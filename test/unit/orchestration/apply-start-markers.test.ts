import { describe, expect, it } from 'vitest';
import type { OrchestrationDeps } from '../../../lib/orchestration/orchestration-deps.js';
import { processCompletionBatch } from '../../../lib/orchestration/process-completion-batch.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import { loadFixture } from '../../helpers/contract-fixtures.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { fakeStore } from '../../helpers/fake-store.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

function deps(store: ReturnType<typeof fakeStore>) {
  const queues = new FakeQueueSender();
  const logger = new RecordingLogger();
  const d: OrchestrationDeps = {
    store,
    queues,
    logger,
    events: new FakeEventBus(),
    routing: staticRouting({
      dispatchQueueUrl: 'q://dispatch',
      completionQueueUrl: 'q://completion',
      poisonQueueUrl: 'q://poison',
    }),
    clock: { now: () => new Date('2026-11-23T10:00:00Z') },
    random: { next: () => 0.25 },
    retry: { delaysMs: [1], sleep: async () => undefined },
  };
  return { d, queues, logger };
}

const marker = (eventId: string, startedAt = '2025-12-07T10:31:02.512Z') =>
  JSON.stringify({ ...(loadFixture('step-started-message.json') as object), event_id: eventId, started_at: startedAt });
const A = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
const B = '6ba7b810-9dad-41d1-80b4-00c04fd430c8';

describe('start markers on the completion queue', () => {
  it("applies a batch's markers in one store call, next to its results, and acknowledges them", async () => {
    const store = fakeStore({
      markAttemptsStarted: async () => 1,
      applyStepResult: async () => ({
        status: 'applied',
        taskUuid: null,
        stepUuid: null,
        stepState: 'complete',
        taskState: null,
        reason: null,
        outbox: [],
      }),
    });
    const { d, logger } = deps(store);
    const records = [
      { messageId: 'm1', body: marker(A) },
      { messageId: 'm2', body: JSON.stringify(loadFixture('step-execution-result.success.json')) },
      { messageId: 'm3', body: marker(B, '2025-12-07T10:40:00.000Z') },
    ];
    expect(await processCompletionBatch(d, records)).toEqual({ batchItemFailures: [] });
    expect(store.markAttemptsStarted).toHaveBeenCalledTimes(1);
    expect(store.markAttemptsStarted).toHaveBeenCalledWith([
      { eventId: A, startedAt: new Date('2025-12-07T10:31:02.512Z') },
      { eventId: B, startedAt: new Date('2025-12-07T10:40:00.000Z') },
    ]);
    expect(store.applyStepResult).toHaveBeenCalledTimes(1);
    expect(logger.find('start markers applied')[0]?.fields).toEqual({ markers: 2, marked: 1 });
  });

  it('leaves the markers to be redelivered when the database refuses the call', async () => {
    const store = fakeStore({
      markAttemptsStarted: async () => {
        throw new Error('connection terminated');
      },
    });
    const { d, logger } = deps(store);
    const response = await processCompletionBatch(d, [
      { messageId: 'm1', body: marker(A) },
      { messageId: 'm2', body: marker(B) },
    ]);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }] });
    expect(logger.find('completion record failed; SQS will redeliver it')[0]?.fields).toMatchObject({
      message_id: 'm1',
      error: 'connection terminated',
    });
  });

  it('moves a malformed marker to the poison queue naming the bad field, and never calls the store', async () => {
    const store = fakeStore();
    const { d, queues } = deps(store);
    await processCompletionBatch(d, [
      { messageId: 'm1', body: JSON.stringify({ ...(JSON.parse(marker(A)) as object), started_at: 'yesterday' }) },
    ]);
    const poison = JSON.parse(queues.sent[0]!.message.body);
    expect(poison).toMatchObject({ error_code: 'invalid_message', reason: expect.stringMatching(/started_at/) });
    expect(store.markAttemptsStarted).not.toHaveBeenCalled();
  });
});

import { describe, expect, it } from 'vitest';
import type { OrchestrationDeps } from '../../../lib/orchestration/orchestration-deps.js';
import { processCompletionBatch } from '../../../lib/orchestration/process-completion-batch.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import type { ApplyResultOutcome } from '../../../lib/ports/orchestration-store.js';
import { SQS_MAX_MESSAGE_BYTES, byteLength } from '../../../lib/contracts/schema-version.js';
import { loadFixture } from '../../helpers/contract-fixtures.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { fakeStore } from '../../helpers/fake-store.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

const applied = (status: ApplyResultOutcome['status'] = 'applied'): ApplyResultOutcome => ({
  status,
  taskUuid: null,
  stepUuid: null,
  stepState: 'complete',
  taskState: 'steps_in_process',
  reason: status === 'applied' ? null : 'already applied',
  outbox: [],
});

function deps(
  store = fakeStore({ applyStepResult: async () => applied() }),
  poisonQueueUrl: string | null = 'q://poison',
) {
  const queues = new FakeQueueSender();
  const logger = new RecordingLogger();
  const waits: number[] = [];
  const d: OrchestrationDeps = {
    store,
    queues,
    logger,
    events: new FakeEventBus(),
    routing: staticRouting({ dispatchQueueUrl: 'q://dispatch', completionQueueUrl: 'q://completion', poisonQueueUrl }),
    clock: { now: () => new Date('2026-11-23T10:00:00Z') },
    random: { next: () => 0.25 },
    retry: { delaysMs: [10, 20, 40], sleep: async (ms) => void waits.push(ms) },
  };
  return { d, queues, logger, store, waits };
}

const result = () => JSON.stringify(loadFixture('step-execution-result.success.json'));

describe('processCompletionBatch', () => {
  it('applies a result with the injected random and acknowledges it', async () => {
    const { d, store } = deps();
    expect(await processCompletionBatch(d, [{ messageId: 'm1', body: result() }])).toEqual({ batchItemFailures: [] });
    expect(store.applyStepResult).toHaveBeenCalledWith(expect.objectContaining({ status: 'success' }), 0.25);
  });

  it('acknowledges a refused (duplicate) result and logs the refusal with the ids', async () => {
    const { d, logger } = deps(fakeStore({ applyStepResult: async () => applied('duplicate') }));
    expect(await processCompletionBatch(d, [{ messageId: 'm1', body: result() }])).toEqual({ batchItemFailures: [] });
    const [entry] = logger.find('step result refused');
    expect(entry?.fields).toMatchObject({
      refusal: 'duplicate',
      event_id: expect.any(String),
      task_uuid: expect.any(String),
      step_uuid: expect.any(String),
    });
  });

  it('moves an unparseable record to the poison queue with the reason, and acknowledges it', async () => {
    const { d, queues, store } = deps();
    expect(await processCompletionBatch(d, [{ messageId: 'm1', body: '{"truncated' }])).toEqual({
      batchItemFailures: [],
    });
    const poison = JSON.parse(queues.sent[0]!.message.body);
    expect(queues.sent[0]!.queueUrl).toBe('q://poison');
    expect(poison).toMatchObject({
      message_type: 'poison',
      error_code: 'unparseable_json',
      source_queue: 'q://completion',
      source_message_id: 'm1',
      original_body: '{"truncated',
    });
    expect(store.applyStepResult).not.toHaveBeenCalled();
  });

  it('moves a wrongly typed message to the poison queue naming the bad fields', async () => {
    const { d, queues } = deps();
    await processCompletionBatch(d, [
      { messageId: 'm1', body: JSON.stringify({ ...(JSON.parse(result()) as object), event_id: 42 }) },
    ]);
    const poison = JSON.parse(queues.sent[0]!.message.body);
    expect(poison.error_code).toBe('invalid_message');
    expect(poison.reason).toMatch(/event_id/);
  });

  it('fails only the record whose database call failed, so SQS redelivers just that one', async () => {
    let calls = 0;
    const store = fakeStore({
      applyStepResult: async () => {
        calls += 1;
        if (calls === 2) throw new Error('connection terminated');
        return applied();
      },
    });
    const { d, logger } = deps(store);
    const response = await processCompletionBatch(
      d,
      ['a', 'b', 'c'].map((messageId) => ({ messageId, body: result() })),
    );
    expect(response.batchItemFailures).toHaveLength(1);
    expect(logger.find(/SQS will redeliver/)[0]?.fields.error).toBe('connection terminated');
  });

  it('fails a poison record when the poison queue cannot take it (SQS keeps it; its DLQ catches it later)', async () => {
    const { d, queues } = deps();
    queues.failAlways({ queueUrl: 'q://poison' });
    expect(await processCompletionBatch(d, [{ messageId: 'm1', body: 'nope' }])).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm1' }],
    });
  });

  it('fits an oversized poison body in one SQS message by bytes, keeping its beginning and saying so', async () => {
    const { d, queues } = deps();
    const body = '€'.repeat(150_000); // 150,000 characters, 450,000 bytes: under a character cap, over SQS's byte limit
    expect(await processCompletionBatch(d, [{ messageId: 'm1', body }])).toEqual({ batchItemFailures: [] });
    const sent = queues.sent[0]!.message.body;
    expect(byteLength(sent)).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
    const poison = JSON.parse(sent);
    expect(body.startsWith(poison.original_body)).toBe(true);
    expect(poison.original_body.length).toBeGreaterThan(80_000);
    expect(poison.reason).toContain(`original body truncated: ${byteLength(body)} bytes`);
  });

  it('retries a transient poison-queue failure after each delay and acknowledges the record once it is moved', async () => {
    const { d, queues, waits } = deps();
    queues.failNext(2, { queueUrl: 'q://poison' });
    expect(await processCompletionBatch(d, [{ messageId: 'm1', body: 'nope' }])).toEqual({ batchItemFailures: [] });
    expect(queues.calls.filter((c) => c.queueUrl === 'q://poison')).toHaveLength(3);
    expect(queues.bodiesTo('q://poison')).toEqual([
      expect.objectContaining({ error_code: 'unparseable_json', original_body: 'nope' }),
    ]);
    expect(waits).toEqual([10, 20]);
  });

  it('gives up on a poison queue that keeps failing after the last retry, naming the failure', async () => {
    const { d, queues, logger, waits } = deps();
    queues.failAlways({ queueUrl: 'q://poison', code: 'ServiceUnavailable' });
    expect(await processCompletionBatch(d, [{ messageId: 'm1', body: 'nope' }])).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm1' }],
    });
    expect(waits).toEqual([10, 20, 40]);
    expect(logger.find(/SQS will redeliver/)[0]?.fields.error).toBe(
      'poison queue send failed: ServiceUnavailable: fake send failure',
    );
  });

  it('applies the results of a batch in one store call and marks what they sent once', async () => {
    const entry = (id: string) => ({
      id,
      kind: 'task_lifecycle' as const,
      namespace: null,
      payload: { event_name: 'task.completed' },
      availableAt: new Date('2026-11-23T10:00:00Z'),
    });
    const store = fakeStore({
      applyStepResults: async (items) => items.map((_, i) => ({ ...applied(), outbox: [entry(String(i))] })),
    });
    const { d } = deps(store);
    expect(
      await processCompletionBatch(
        d,
        ['a', 'b', 'c'].map((messageId) => ({ messageId, body: result() })),
      ),
    ).toEqual({ batchItemFailures: [] });
    expect(store.applyStepResults).toHaveBeenCalledTimes(1);
    expect(store.applyStepResults.mock.calls[0]![0]).toHaveLength(3);
    expect(store.markOutboxSent).toHaveBeenCalledTimes(1);
    expect(store.markOutboxSent).toHaveBeenCalledWith(['0', '1', '2']);
  });

  it('evaluates the task on a retry tick', async () => {
    const store = fakeStore({ evaluateTask: async () => [] });
    const { d } = deps(store);
    const tick = {
      schema_version: 1,
      message_type: 'retry_due',
      task_uuid: '11111111-1111-4111-8111-111111111111',
      due_at: '2026-11-23T10:00:00.000Z',
    };
    await processCompletionBatch(d, [{ messageId: 'm1', body: JSON.stringify(tick) }]);
    expect(store.evaluateTask).toHaveBeenCalledWith(tick.task_uuid);
  });
});

describe('retry ticks', () => {
  const tick = (dueAt: string) =>
    JSON.stringify({
      schema_version: 1,
      message_type: 'retry_due',
      task_uuid: '11111111-1111-4111-8111-111111111111',
      due_at: dueAt,
    });

  it('wait out the last second before their due time (SQS delays are whole seconds)', async () => {
    const store = fakeStore({ evaluateTask: async () => [] });
    const { d } = deps(store);
    const slept: number[] = [];
    await processCompletionBatch({ ...d, sleeper: { sleep: async (ms) => void slept.push(ms) } }, [
      { messageId: 'm1', body: tick('2026-11-23T10:00:00.400Z') },
    ]);
    expect(slept).toEqual([400]);
    expect(store.evaluateTask).toHaveBeenCalledTimes(1);
  });

  it('evaluate at once when due or far early (the task re-arms a tick for the rest)', async () => {
    const store = fakeStore({ evaluateTask: async () => [] });
    const { d } = deps(store);
    const slept: number[] = [];
    const sleeper = { sleep: async (ms: number) => void slept.push(ms) };
    await processCompletionBatch({ ...d, sleeper }, [
      { messageId: 'a', body: tick('2026-11-23T09:59:59.000Z') },
      { messageId: 'b', body: tick('2026-11-23T10:05:00.000Z') },
    ]);
    expect(slept).toEqual([]);
    expect(store.evaluateTask).toHaveBeenCalledTimes(2);
  });
});

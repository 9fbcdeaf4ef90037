import { describe, expect, it } from 'vitest';
import type { StepExecutionResult } from '../../../lib/contracts/step-execution-result.js';
import { NOT_STARTED_REASON } from '../../../lib/orchestration/apply-within-budget.js';
import type { OrchestrationDeps } from '../../../lib/orchestration/orchestration-deps.js';
import { processCompletionBatch } from '../../../lib/orchestration/process-completion-batch.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import type {
  ApplyResultOutcome,
  BatchApplyOutcome,
  OutboxEntry,
  ResultToApply,
} from '../../../lib/ports/orchestration-store.js';
import type { TimeBudget } from '../../../lib/ports/time-budget.js';
import { loadFixture } from '../../helpers/contract-fixtures.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { fakeStore } from '../../helpers/fake-store.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

/**
 * The completion function's time budget, on an injected clock: the function has `remaining` ms
 * left, a database call may take CALL_MS, and every store call the fakes answer takes `cost` ms of it.
 */
const CALL_MS = 2_000;
const LOCKED = Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' });
const entry = (id: string): OutboxEntry => ({
  id,
  kind: 'task_lifecycle',
  namespace: null,
  payload: { event_name: 'task.completed' },
  availableAt: new Date('2026-11-23T10:00:00Z'),
});
const applied = (eventId: string): ApplyResultOutcome => ({
  status: 'applied',
  taskUuid: null,
  stepUuid: null,
  stepState: 'complete',
  taskState: 'complete',
  reason: eventId,
  outbox: [entry(`o-${eventId}`)],
});
const eventId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const record = (n: number) => ({
  messageId: `m${n}`,
  body: JSON.stringify({
    ...(loadFixture('step-execution-result.success.json') as StepExecutionResult),
    event_id: eventId(n),
  }),
});
const tick = (n: number) => ({
  messageId: `t${n}`,
  body: JSON.stringify({
    schema_version: 1,
    message_type: 'retry_due',
    task_uuid: '11111111-1111-4111-8111-111111111111',
    due_at: '2026-11-23T09:00:00.000Z',
  }),
});

function harness(options: { remaining: number; cost: number; locked?: Set<string> }) {
  const clock = { remaining: options.remaining };
  const budget: TimeBudget = { remainingMs: () => clock.remaining, callMs: CALL_MS };
  const calls: string[] = [];
  const spend = () => void (clock.remaining -= options.cost);
  const store = fakeStore({
    applyStepResults: async (items: readonly ResultToApply[]): Promise<BatchApplyOutcome[]> => {
      spend();
      const ids = items.map((i) => i.result.event_id);
      calls.push(`apply ${ids.map((id) => Number(id.slice(-12))).join(',')}`);
      if (ids.some((id) => options.locked?.has(id))) throw LOCKED;
      return ids.map(applied);
    },
    evaluateTask: async () => {
      spend();
      calls.push('evaluate');
      return [];
    },
    markOutboxSent: async (ids) => {
      spend();
      calls.push(`mark ${ids.length} sent`);
    },
  });
  const logger = new RecordingLogger();
  const deps: OrchestrationDeps = {
    store,
    queues: new FakeQueueSender(),
    events: new FakeEventBus(),
    logger,
    routing: staticRouting({
      dispatchQueueUrl: 'q://dispatch',
      completionQueueUrl: 'q://completion',
      poisonQueueUrl: 'q://poison',
    }),
    clock: { now: () => new Date('2026-11-23T10:00:00Z') },
    random: { next: () => 0.5 },
  };
  return { deps, budget, calls, logger, clock, store };
}

const failed = (response: { batchItemFailures: { itemIdentifier: string }[] }) =>
  response.batchItemFailures.map((f) => f.itemIdentifier).sort();

describe('the completion time budget', () => {
  it('starts nothing when a call and its delivery no longer fit, and hands every record back', async () => {
    const h = harness({ remaining: 2 * CALL_MS, cost: 100 });
    const response = await processCompletionBatch(h.deps, [record(1), record(2), tick(3)], h.budget);
    expect(failed(response)).toEqual(['m1', 'm2', 't3']);
    expect(h.calls).toEqual([]);
    expect(h.logger.find(/SQS will redeliver/).map((e) => e.fields.error)).toEqual([
      NOT_STARTED_REASON,
      NOT_STARTED_REASON,
      NOT_STARTED_REASON,
    ]);
  });

  it('applies a batch whose call fails as a whole one result at a time, while a call and the delivery still fit', async () => {
    // 9.5 s left, each call takes 1.5 s: the batch (8 left), 1 (6.5), 2 locked (5), 3 (3.5); 4 and 5 do not fit (more than 4 s needed).
    const h = harness({ remaining: 9_500, cost: 1_500, locked: new Set([eventId(2)]) });
    const response = await processCompletionBatch(h.deps, [1, 2, 3, 4, 5].map(record), h.budget);
    expect(h.calls).toEqual(['apply 1,2,3,4,5', 'apply 1', 'apply 2', 'apply 3', 'mark 2 sent']);
    expect(failed(response)).toEqual(['m2', 'm4', 'm5']);
    const reasons = Object.fromEntries(
      h.logger.find(/SQS will redeliver/).map((e) => [e.fields.message_id, e.fields.error]),
    );
    expect(reasons).toEqual({
      m2: 'canceling statement due to lock timeout',
      m4: NOT_STARTED_REASON,
      m5: NOT_STARTED_REASON,
    });
    expect(h.logger.find(/applying its results one by one/)).toHaveLength(1);
  });

  it('does not try a batch of one again after its call failed', async () => {
    const h = harness({ remaining: 60_000, cost: 10, locked: new Set([eventId(1)]) });
    expect(failed(await processCompletionBatch(h.deps, [record(1)], h.budget))).toEqual(['m1']);
    expect(h.calls).toEqual(['apply 1']);
  });

  it('acknowledges applied results whose delivery no longer fits, leaving their outbox rows to the sweeper', async () => {
    const h = harness({ remaining: 4_500, cost: 3_000 });
    const response = await processCompletionBatch(h.deps, [record(1), record(2)], h.budget);
    expect(response.batchItemFailures).toEqual([]);
    expect(h.calls).toEqual(['apply 1,2']);
    expect((h.deps.queues as FakeQueueSender).sent).toEqual([]);
    expect(h.logger.find(/outbox left to the sweeper/)[0]?.fields).toMatchObject({ entries: 2 });
  });

  it('evaluates retry ticks after the results, one at a time, handing back those that no longer fit', async () => {
    const h = harness({ remaining: 9_000, cost: 2_000 });
    const response = await processCompletionBatch(h.deps, [tick(1), record(2), tick(3)], h.budget);
    // batch (7 s left), its delivery (5), tick 1 (3), tick 3 does not fit.
    expect(h.calls).toEqual(['apply 2', 'mark 1 sent', 'evaluate']);
    expect(failed(response)).toEqual(['t3']);
  });

  it('without a budget starts every call, as before', async () => {
    const h = harness({ remaining: 0, cost: 0, locked: new Set([eventId(2)]) });
    const response = await processCompletionBatch(h.deps, [1, 2, 3].map(record));
    expect(failed(response)).toEqual(['m2']);
    expect(h.calls).toEqual(['apply 1,2,3', 'apply 1', 'apply 2', 'apply 3', 'mark 2 sent']);
  });
});

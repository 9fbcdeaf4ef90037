import { describe, expect, it } from 'vitest';
import { deliverOutbox } from '../../../lib/orchestration/deliver-outbox.js';
import type { OrchestrationDeps } from '../../../lib/orchestration/orchestration-deps.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import type { OutboxEntry } from '../../../lib/ports/orchestration-store.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { fakeStore } from '../../helpers/fake-store.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

const NOW = new Date('2026-11-23T10:00:00Z');
const ids = {
  task_uuid: '11111111-1111-4111-8111-111111111111',
  step_uuid: '22222222-2222-4222-8222-222222222222',
  event_id: '33333333-3333-4333-8333-333333333333',
  correlation_id: '44444444-4444-4444-8444-444444444444',
};

function deps(overrides: Partial<OrchestrationDeps> = {}) {
  const queues = new FakeQueueSender();
  const events = new FakeEventBus();
  const store = fakeStore({
    applyStepResult: async () => ({
      status: 'applied',
      taskUuid: ids.task_uuid,
      stepUuid: ids.step_uuid,
      stepState: 'error',
      taskState: 'blocked_by_failures',
      reason: null,
      outbox: [],
    }),
  });
  const logger = new RecordingLogger();
  const routing = staticRouting({
    dispatchQueueUrl: 'q://default',
    namespaceQueueUrls: { payments: 'q://payments' },
    completionQueueUrl: 'q://completion',
  });
  const d: OrchestrationDeps = {
    store,
    queues,
    events,
    logger,
    routing,
    clock: { now: () => NOW },
    random: { next: () => 0.5 },
    ...overrides,
  };
  return { d, queues, events, store, logger };
}

const dispatch = (id: string, namespace: string): OutboxEntry => ({
  id,
  kind: 'step_dispatch',
  namespace,
  payload: { ...ids, namespace },
  availableAt: NOW,
});
const tick = (id: string, inMs: number): OutboxEntry => ({
  id,
  kind: 'retry_due',
  namespace: null,
  payload: { message_type: 'retry_due', task_uuid: ids.task_uuid },
  availableAt: new Date(NOW.getTime() + inMs),
});
const lifecycle = (id: string): OutboxEntry => ({
  id,
  kind: 'task_lifecycle',
  namespace: 'payments',
  payload: { event_name: 'task.completed', task_uuid: ids.task_uuid },
  availableAt: NOW,
});

describe('deliverOutbox', () => {
  it('routes dispatches to their namespace queue, ticks to the completion queue, lifecycle events to the bus', async () => {
    const { d, queues, events, store } = deps();
    const report = await deliverOutbox(d, [
      dispatch('1', 'payments'),
      dispatch('2', 'other'),
      tick('3', 2_500),
      lifecycle('4'),
    ]);
    expect(report).toEqual({ sent: 4, deferred: 0, refused: 0 });
    expect(queues.sent.map((s) => [s.queueUrl, s.message.id, s.message.delaySeconds])).toEqual([
      ['q://payments', '1', 0],
      ['q://default', '2', 0],
      ['q://completion', '3', 2],
    ]);
    expect(events.published.map((e) => [e.Source, e.DetailType])).toEqual([['tasker.orchestration', 'task.completed']]);
    expect(store.markOutboxSent).toHaveBeenCalledWith(expect.arrayContaining(['1', '2', '3', '4']));
  });

  it('caps a retry tick delay at the 900 s SQS allows (the sweeper covers longer backoffs)', async () => {
    const { d, queues } = deps();
    await deliverOutbox(d, [tick('9', 3_600_000)]);
    expect(queues.sent[0]!.message.delaySeconds).toBe(900);
  });

  it('leaves a transiently failed message in the outbox and says so', async () => {
    const { d, queues, store, logger } = deps();
    queues.failNext(1, { permanent: false });
    const report = await deliverOutbox(d, [dispatch('1', 'payments')]);
    expect(report).toEqual({ sent: 0, deferred: 1, refused: 0 });
    expect(store.markOutboxSent).toHaveBeenCalledWith([]);
    expect(logger.find('outbox send failed; will retry')[0]?.fields).toMatchObject({
      outbox_id: '1',
      event_id: ids.event_id,
      task_uuid: ids.task_uuid,
    });
  });

  it('treats a queue that throws as unavailable: nothing is marked sent, nothing is lost', async () => {
    const { d, queues, store } = deps();
    queues.failNext(1, { mode: 'throw' });
    const report = await deliverOutbox(d, [dispatch('1', 'payments'), dispatch('2', 'payments')]);
    expect(report.deferred).toBe(2);
    expect(store.markOutboxSent).toHaveBeenCalledWith([]);
  });

  it('fails the step with payload_too_large when its dispatch can never be sent', async () => {
    const { d, queues, store } = deps();
    queues.failNext(1, { permanent: true, code: 'InvalidParameterValue' });
    const report = await deliverOutbox(d, [dispatch('1', 'payments')]);
    expect(report).toEqual({ sent: 0, deferred: 0, refused: 1 });
    expect(store.markOutboxSent).toHaveBeenCalledWith(['1']);
    const [result] = store.applyStepResult.mock.calls[0]!;
    expect(result).toMatchObject({
      event_id: ids.event_id,
      status: 'failure',
      error: { error_type: 'payload_too_large', retryable: false },
      worker: { kind: 'orchestration' },
    });
  });

  it('adds up what every destination did: sent on one queue, refused on another, deferred on the bus', async () => {
    const { d, queues, events, store } = deps();
    queues.failNext(1, { queueUrl: 'q://default', permanent: true, code: 'InvalidParameterValue' });
    events.failNext(1);
    const report = await deliverOutbox(d, [
      dispatch('1', 'payments'),
      dispatch('2', 'other'),
      tick('3', 0),
      lifecycle('4'),
    ]);
    expect(report).toEqual({ sent: 2, deferred: 1, refused: 1 });
    expect(store.markOutboxSent).toHaveBeenCalledWith(['1', '3', '2']);
    expect(store.applyStepResult).toHaveBeenCalledTimes(1);
  });

  it('keeps a message with no dispatch queue for its namespace in the outbox', async () => {
    const { d, queues, logger } = deps({
      routing: staticRouting({
        namespaceQueueUrls: { payments: 'q://payments' },
        completionQueueUrl: 'q://completion',
      }),
    });
    const report = await deliverOutbox(d, [dispatch('1', 'unrouted')]);
    expect(report.deferred).toBe(1);
    expect(queues.sent).toEqual([]);
    expect(logger.find(/no dispatch queue/)).toHaveLength(1);
  });

  it("publishes a wait step's domain event with its own source and detail, and keeps it when the publish failed", async () => {
    const { d, events, store } = deps();
    const detail = { event_id: ids.event_id, event_name: 'payments.approved', payload: { ok: true } };
    const event: OutboxEntry = {
      id: '7',
      kind: 'domain_event',
      namespace: 'payments',
      payload: { source: 'tasker.payments', detail_type: 'payments.approved', detail },
      availableAt: NOW,
    };
    expect(await deliverOutbox(d, [event])).toEqual({ sent: 1, deferred: 0, refused: 0 });
    expect(events.published).toEqual([
      { Source: 'tasker.payments', DetailType: 'payments.approved', Detail: JSON.stringify(detail) },
    ]);
    events.failNext(1);
    expect((await deliverOutbox(d, [event])).deferred).toBe(1);
    expect(store.markOutboxSent).toHaveBeenLastCalledWith([]);
  });

  it('keeps lifecycle events whose publish failed', async () => {
    const { d, events, store } = deps();
    events.failNext(1);
    const report = await deliverOutbox(d, [lifecycle('4')]);
    expect(report.deferred).toBe(1);
    expect(store.markOutboxSent).toHaveBeenCalledWith([]);
  });
});

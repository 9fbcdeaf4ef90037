import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { domainEventEnvelope } from '../../../../lib/contracts/domain-event.js';
import { poisonMessage } from '../../../../lib/contracts/poison-message.js';
import { stepExecutionResult } from '../../../../lib/contracts/step-execution-result.js';
import type { QueueReceiver } from '../../../../lib/ports/message-queue.js';
import { PullWorkerConfigError } from '../../../../lib/worker/pull/pull-worker-config.js';
import { QUEUES, SHIPMENT } from '../../../helpers/dispatch-fixtures.js';
import { FixedClock } from '../../../helpers/fixed-clock.js';
import { START, deferred, pullKit, stepMessage, useFakeTime } from './pull-kit.js';

const SHIPPED = { status: 'success', result: SHIPMENT } as const;

beforeEach(useFakeTime);
afterEach(() => vi.useRealTimers());

describe('PullWorker.poll', () => {
  it('returns null at once on an empty queue when the wait is 0 s', async () => {
    const kit = pullKit();
    expect(await kit.worker.poll()).toBeNull();
    await kit.worker.close();
  });

  it('waits at most its short wait (1 s) on an empty queue, then returns null', async () => {
    const kit = pullKit({ config: { pollWaitSeconds: 1 } });
    let settled: unknown = 'pending';
    const polling = kit.worker.poll().then((event) => (settled = event));
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    await polling;
    expect(settled).toBeNull();
    await kit.worker.close();
  });

  it('refuses a wait longer than 1 s', () => {
    expect(() => pullKit({ config: { pollWaitSeconds: 2 } })).toThrow(PullWorkerConfigError);
  });

  it('returns the event with event_id and the task, step and correlation ids at the top level, and the full dispatch message', async () => {
    const kit = pullKit();
    const message = stepMessage(1);
    await kit.enqueue(message);
    const event = await kit.worker.poll();
    expect(event).toMatchObject({
      event_id: message.event_id,
      task_uuid: message.task_uuid,
      step_uuid: message.step_uuid,
      correlation_id: message.correlation_id,
      trace_id: message.trace_id,
      span_id: message.span_id,
      step_name: 'ship_order',
      receive_count: 1,
      deadline_bound: 'step_timeout',
    });
    expect(event?.dispatch).toEqual(message);
    expect(event?.deadline.toISOString()).toBe('2025-12-07T10:15:40.200Z');
    expect(await kit.worker.poll()).toBeNull();
    await kit.worker.close();
  });

  it('bounds the deadline by the dispatch deadline when that comes first', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1, { deadline: '2025-12-07T10:15:32.000Z' }));
    const event = await kit.worker.poll();
    expect(event).toMatchObject({ deadline: new Date('2025-12-07T10:15:32.000Z'), deadline_bound: 'dispatch_deadline' });
    await kit.worker.close();
  });

  it('caps the step timeout with the completion timeout', async () => {
    const kit = pullKit({ config: { completionTimeoutMs: 2_000 } });
    await kit.enqueue(stepMessage(1));
    expect((await kit.worker.poll())?.deadline.toISOString()).toBe('2025-12-07T10:15:32.200Z');
    await kit.worker.close();
  });

  it('buffers the extras of a batch and hands them out on the next polls without receiving again', async () => {
    const kit = pullKit({ config: { receiveBatchSize: 3 } });
    await kit.enqueue(stepMessage(1), stepMessage(2), stepMessage(3));
    const receive = vi.spyOn(kit.dispatch, 'receive');
    const first = await kit.worker.poll();
    expect(kit.worker.metrics()).toMatchObject({ pendingCount: 3, bufferedCount: 2, inProgressCount: 1 });
    const rest = [await kit.worker.poll(), await kit.worker.poll()];
    expect(receive).toHaveBeenCalledTimes(1);
    expect([first, ...rest].map((e) => e?.event_id).sort()).toEqual([stepMessage(1), stepMessage(2), stepMessage(3)].map((m) => m.event_id).sort());
    await kit.worker.close();
  });

  it('returns null and counts the failure when the receive fails', async () => {
    const kit = pullKit({ dispatch: (inner) => ({ ...bind(inner), receive: async () => { throw new Error('socket hang up'); } }) });
    expect(await kit.worker.poll()).toBeNull();
    expect(kit.worker.metrics().receiveErrors).toBe(1);
    expect(kit.logger.find('receiving from the dispatch queue failed')[0]?.fields.problem).toContain('socket hang up');
    await kit.worker.close();
  });

  it('answers an invalid message whose ids are readable with an invalid_dispatch failure and deletes it', async () => {
    const kit = pullKit();
    const { handler: _dropped, ...broken } = stepMessage(1);
    await kit.enqueue(JSON.stringify(broken));
    expect(await kit.worker.poll()).toBeNull();
    const [result] = kit.results().map((r) => stepExecutionResult.parse(r));
    expect(result).toMatchObject({ event_id: broken.event_id, status: 'failure', error: { error_type: 'invalid_dispatch', retryable: false }, worker: { kind: 'pull' } });
    expect(kit.journal).toEqual([`send ${QUEUES.completion}`, `delete ${kit.dispatchUrl}`]);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toEqual([]);
    expect(kit.worker.metrics().invalid).toBe(1);
    await kit.worker.close();
  });

  it('moves a message nobody can answer to the poison queue, then deletes it', async () => {
    const kit = pullKit();
    await kit.enqueue('{not json');
    expect(await kit.worker.poll()).toBeNull();
    const [poison] = kit.sender.bodiesTo(QUEUES.poison).map((b) => poisonMessage.parse(b));
    expect(poison).toMatchObject({ error_code: 'unparseable_json', original_body: '{not json', source_queue: kit.dispatchUrl });
    expect(kit.memory.peekAll(kit.dispatchUrl)).toEqual([]);
    expect(kit.worker.metrics().poisoned).toBe(1);
    await kit.worker.close();
  });

  it('leaves a poison message for redelivery when the poison queue refuses it', async () => {
    const kit = pullKit();
    kit.sender.failAlways({ queueUrl: QUEUES.poison });
    await kit.enqueue('{not json');
    expect(await kit.worker.poll()).toBeNull();
    expect(kit.memory.peekAll(kit.dispatchUrl)).toMatchObject([{ state: 'in_flight' }]);
    expect(kit.logger.find('dispatch message not answered; left for redelivery')).toHaveLength(1);
    await kit.worker.close();
  });

  it('deletes another copy of an event already pending instead of handing it out twice', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1));
    const event = await kit.worker.poll();
    await kit.enqueue(stepMessage(1));
    expect(await kit.worker.poll()).toBeNull();
    expect(kit.worker.metrics()).toMatchObject({ duplicates: 1, pendingCount: 1 });
    expect(kit.memory.peekAll(kit.dispatchUrl)).toHaveLength(1);
    expect(await kit.worker.complete(event!.event_id, SHIPPED)).toBe(true);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toEqual([]);
    await kit.worker.close();
  });
});

describe('PullWorker.complete', () => {
  it('accepts a result once: the second complete is refused, logged, and sends nothing', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1));
    const event = (await kit.worker.poll())!;
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(true);
    const journalAfterFirst = [...kit.journal];
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(false);
    expect(kit.journal).toEqual(journalAfterFirst);
    expect(kit.results()).toHaveLength(1);
    expect(kit.logger.find('complete refused')).toMatchObject([{ level: 'warn', fields: { event_id: event.event_id, reason: 'already_completed' } }]);
    expect(kit.worker.metrics()).toMatchObject({ completed: 1, refusedCompletions: 1, pendingCount: 0 });
    await kit.worker.close();
  });

  it('refuses an unknown event id', async () => {
    const kit = pullKit();
    expect(await kit.worker.complete('00000000-0000-4000-8000-000000000000', SHIPPED)).toBe(false);
    expect(kit.logger.find('complete refused')[0]?.fields).toMatchObject({ reason: 'unknown_event', event_id: '00000000-0000-4000-8000-000000000000' });
    expect(kit.sender.calls).toEqual([]);
    await kit.worker.close();
  });

  it('sends the result first, then deletes the dispatch message, then publishes the domain events', async () => {
    const kit = pullKit();
    const message = stepMessage(1);
    await kit.enqueue(message);
    const event = (await kit.worker.poll())!;
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(true);
    expect(kit.journal).toEqual([`send ${QUEUES.completion}`, `delete ${kit.dispatchUrl}`, 'publish ecommerce.order_shipped']);
    const [result] = kit.results().map((r) => stepExecutionResult.parse(r));
    expect(result).toMatchObject({ event_id: message.event_id, status: 'success', result: SHIPMENT, worker: { worker_id: 'pull-test', kind: 'pull' }, timing: { duration_ms: 1_500 } });
    expect(domainEventEnvelope.parse(kit.bus.details()[0])).toMatchObject({ event_name: 'ecommerce.order_shipped', metadata: { source_event_id: message.event_id, outcome: 'success' } });
    expect(kit.memory.peekAll(kit.dispatchUrl)).toEqual([]);
    await kit.worker.close();
  });

  it('keeps the event pending and returns false when the completion send fails: no delete, no events; a retry is accepted', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1));
    const event = (await kit.worker.poll())!;
    kit.sender.failNext(4, { queueUrl: QUEUES.completion });
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(false);
    expect(kit.journal).toEqual([]);
    expect(kit.bus.calls).toEqual([]);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toMatchObject([{ state: 'in_flight' }]);
    expect(kit.worker.metrics()).toMatchObject({ pendingCount: 1, inProgressCount: 1, completionSendFailures: 1 });
    expect(kit.logger.find(/^completion not sent/)[0]).toMatchObject({ level: 'error', fields: { event_id: event.event_id, problem: expect.stringContaining('completion send failed after 4 attempt(s)') } });
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(true);
    expect(kit.journal).toEqual([`send ${QUEUES.completion}`, `delete ${kit.dispatchUrl}`, 'publish ecommerce.order_shipped']);
    await kit.worker.close();
  });

  it('refuses a complete while another complete of the same event is sending', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1));
    const event = (await kit.worker.poll())!;
    const gate = deferred();
    const send = kit.sender.send.bind(kit.sender);
    vi.spyOn(kit.sender, 'send').mockImplementationOnce(async (url, messages) => (await gate.promise, send(url, messages)));
    const first = kit.worker.complete(event.event_id, SHIPPED);
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(false);
    gate.resolve();
    expect(await first).toBe(true);
    expect(kit.results()).toHaveLength(1);
    expect(kit.logger.find('complete refused')[0]?.fields.reason).toBe('already_answering');
    await kit.worker.close();
  });

  it('sends a failure completion with its error, and publishes the failure events', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1, { attempt: 3, publishes_events: [{ name: 'ecommerce.shipping_failed', condition: 'permanent_failure' }] }));
    const event = (await kit.worker.poll())!;
    expect(await kit.worker.complete(event.event_id, { status: 'failure', error: { error_type: 'handler_error', message: 'carrier down', retryable: true } })).toBe(true);
    expect(kit.results()).toMatchObject([{ status: 'failure', error: { error_type: 'handler_error', message: 'carrier down', retry_after_ms: null, code: null } }]);
    expect(kit.bus.details()).toMatchObject([{ event_name: 'ecommerce.shipping_failed', metadata: { outcome: 'permanent_failure' } }]);
    await kit.worker.close();
  });

  it('turns an invalid error or a non-JSON result into a handler_panic failure', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1), stepMessage(2));
    const a = (await kit.worker.poll())!;
    const b = (await kit.worker.poll())!;
    expect(await kit.worker.complete(a.event_id, { status: 'failure', error: { error_type: 'oops' as never, message: 'x', retryable: true } })).toBe(true);
    expect(await kit.worker.complete(b.event_id, { status: 'success', result: { n: 10n } })).toBe(true);
    expect(kit.results()).toMatchObject([
      { event_id: a.event_id, status: 'failure', error: { error_type: 'handler_panic', message: expect.stringContaining('error_type') } },
      { event_id: b.event_id, status: 'failure', error: { error_type: 'handler_panic', message: expect.stringContaining('bigint') } },
    ]);
    await kit.worker.close();
  });

  it('replaces a result over the size limit with a permanent result_too_large failure', async () => {
    const kit = pullKit({ config: { maxResultBytes: 2_000 } });
    await kit.enqueue(stepMessage(1));
    const event = (await kit.worker.poll())!;
    expect(await kit.worker.complete(event.event_id, { status: 'success', result: { blob: 'x'.repeat(5_000) } })).toBe(true);
    expect(kit.results()).toMatchObject([{ status: 'failure', error: { error_type: 'result_too_large', retryable: false } }]);
    await kit.worker.close();
  });

  it('returns true within the callback timeout when publishing hangs, and lets publishing finish in the background', async () => {
    const kit = pullKit({ config: { callbackTimeoutMs: 500 } });
    await kit.enqueue(stepMessage(1));
    const event = (await kit.worker.poll())!;
    const gate = deferred();
    const publish = kit.bus.publish.bind(kit.bus);
    vi.spyOn(kit.bus, 'publish').mockImplementationOnce(async (entries) => (await gate.promise, publish(entries)));
    let accepted: boolean | undefined;
    const completing = kit.worker.complete(event.event_id, SHIPPED).then((ok) => (accepted = ok));
    await vi.advanceTimersByTimeAsync(499);
    expect(accepted).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await completing;
    expect(accepted).toBe(true);
    expect(kit.worker.metrics().callbackTimeouts).toBe(1);
    expect(kit.logger.find(/outlasted the callback timeout/)).toHaveLength(1);
    gate.resolve();
    await kit.worker.close();
    expect(kit.bus.published.map((e) => e.DetailType)).toEqual(['ecommerce.order_shipped']);
  });

  it('refuses a complete for an event received but never handed out', async () => {
    const kit = pullKit({ config: { receiveBatchSize: 2 } });
    await kit.enqueue(stepMessage(1), stepMessage(2));
    const handed = (await kit.worker.poll())!;
    const buffered = [stepMessage(1), stepMessage(2)].find((m) => m.event_id !== handed.event_id)!;
    expect(await kit.worker.complete(buffered.event_id, SHIPPED)).toBe(false);
    expect(kit.logger.find('complete refused')[0]?.fields.reason).toBe('not_handed_out');
    await kit.worker.close();
  });
});

describe('PullWorker heartbeat', () => {
  it('keeps a long-running event invisible well beyond the visibility timeout, with no redelivery', async () => {
    const kit = pullKit({ config: { visibilityTimeoutSeconds: 3, completionTimeoutMs: 60_000 } });
    await kit.enqueue(stepMessage(1, { timeout_ms: 60_000 }));
    const event = (await kit.worker.poll())!;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toMatchObject([{ state: 'in_flight', receiveCount: 1 }]);
    expect(await kit.worker.poll()).toBeNull();
    expect(kit.journal.filter((j) => j === 'visibility 3').length).toBeGreaterThanOrEqual(19);
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(true);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toEqual([]);
    await kit.worker.close();
  });

  it('extends buffered messages too', async () => {
    const kit = pullKit({ config: { visibilityTimeoutSeconds: 3, receiveBatchSize: 2, completionTimeoutMs: 60_000 } });
    await kit.enqueue(stepMessage(1, { timeout_ms: 60_000 }), stepMessage(2, { timeout_ms: 60_000 }));
    await kit.worker.poll();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(kit.memory.peekAll(kit.dispatchUrl).map((m) => m.state)).toEqual(['in_flight', 'in_flight']);
    expect((await kit.worker.poll())?.receive_count).toBe(1);
    await kit.worker.close();
  });

  it('a message whose heartbeat fails is redelivered after its visibility timeout (the control case)', async () => {
    const kit = pullKit({
      config: { visibilityTimeoutSeconds: 3, completionTimeoutMs: 60_000 },
      dispatch: (inner) => ({ ...bind(inner), changeVisibility: async () => { throw new Error('throttled'); } }),
    });
    await kit.enqueue(stepMessage(1, { timeout_ms: 60_000 }));
    await kit.worker.poll();
    await vi.advanceTimersByTimeAsync(3_001);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toMatchObject([{ state: 'visible' }]);
    expect(kit.worker.metrics().heartbeatFailures).toBeGreaterThan(0);
    expect(kit.logger.find(/^heartbeat could not extend/)[0]?.fields).toMatchObject({ event_id: stepMessage(1).event_id, problem: 'Error: throttled' });
    await kit.worker.close();
  });
});

describe('PullWorker timeouts', () => {
  it('sends a handler_timeout failure on the handler’s behalf at its deadline, then deletes, then publishes failure events; the late complete is refused', async () => {
    const kit = pullKit();
    const message = stepMessage(1, { publishes_events: [{ name: 'ecommerce.shipping_failed', condition: 'failure' }] });
    await kit.enqueue(message);
    const event = (await kit.worker.poll())!;
    await vi.advanceTimersByTimeAsync(11_000);
    const [result] = kit.results().map((r) => stepExecutionResult.parse(r));
    expect(result).toMatchObject({ event_id: message.event_id, status: 'failure', error: { error_type: 'handler_timeout', retryable: true, code: 'step_timeout' }, worker: { kind: 'pull' } });
    expect(kit.journal.filter((j) => !j.startsWith('visibility'))).toEqual([`send ${QUEUES.completion}`, `delete ${kit.dispatchUrl}`, 'publish ecommerce.shipping_failed']);
    expect(kit.worker.metrics()).toMatchObject({ timedOut: 1, pendingCount: 0 });
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(false);
    expect(kit.results()).toHaveLength(1);
    expect(kit.logger.find('complete refused')[0]?.fields.reason).toBe('timed_out');
    await kit.worker.close();
  });

  it('answers a complete arriving after the deadline, before any check ran, with the timeout failure and refuses it', async () => {
    const clock = new FixedClock(START);
    const kit = pullKit({ clock });
    await kit.enqueue(stepMessage(1));
    const event = (await kit.worker.poll())!;
    clock.advance(10_001);
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(false);
    expect(kit.results()).toMatchObject([{ status: 'failure', error: { error_type: 'handler_timeout' } }]);
    await kit.worker.close();
  });

  it('cleanupTimeouts answers expired events and leaves the others; a failed timeout send is tried again', async () => {
    const clock = new FixedClock(START);
    const kit = pullKit({ clock, config: { receiveBatchSize: 2 } });
    await kit.enqueue(stepMessage(1, { timeout_ms: 5_000 }), stepMessage(2));
    await kit.worker.poll();
    clock.advance(6_000);
    kit.sender.failNext(4, { queueUrl: QUEUES.completion });
    expect(await kit.worker.cleanupTimeouts()).toBe(0);
    expect(kit.worker.metrics().pendingCount).toBe(2);
    expect(kit.logger.find(/^timeout failure could not be sent/)).toHaveLength(1);
    expect(await kit.worker.cleanupTimeouts()).toBe(1);
    expect(kit.results()).toMatchObject([{ event_id: stepMessage(1).event_id, error: { error_type: 'handler_timeout' } }]);
    expect(kit.worker.metrics().pendingCount).toBe(1);
    await kit.worker.close();
  });
});

describe('PullWorker metrics and starvation', () => {
  it('reports the pending count and the oldest pending age', async () => {
    const clock = new FixedClock(START);
    const kit = pullKit({ clock });
    expect(kit.worker.metrics()).toMatchObject({ pendingCount: 0, oldestPendingAgeMs: null, starvationDetected: false });
    await kit.enqueue(stepMessage(1));
    await kit.worker.poll();
    clock.advance(2_000);
    await kit.enqueue(stepMessage(2));
    await kit.worker.poll();
    clock.advance(500);
    expect(kit.worker.metrics()).toMatchObject({ pendingCount: 2, inProgressCount: 2, oldestPendingAgeMs: 2_500, newestPendingAgeMs: 500, starvationDetected: false, received: 2 });
    await kit.worker.close();
  });

  it('warns once per event received and not answered beyond the starvation threshold', async () => {
    const kit = pullKit({ config: { starvationWarningThresholdMs: 4_000 } });
    await kit.enqueue(stepMessage(1));
    const event = (await kit.worker.poll())!;
    await vi.advanceTimersByTimeAsync(3_500);
    expect(kit.logger.find(/^step event starving/)).toEqual([]);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(kit.worker.metrics()).toMatchObject({ starvationDetected: true, starvingEventCount: 1 });
    const warnings = kit.logger.find(/^step event starving/);
    expect(warnings).toMatchObject([{ level: 'warn', fields: { event_id: event.event_id, task_uuid: event.task_uuid, starvation_warning_threshold_ms: 4_000 } }]);
    expect(warnings[0]?.fields.age_ms).toBeGreaterThan(4_000);
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(true);
    expect(kit.worker.metrics().starvationDetected).toBe(false);
    await kit.worker.close();
  });
});

describe('PullWorker release and close', () => {
  it('release makes a handed-out message visible at once, unanswered', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1));
    const event = (await kit.worker.poll())!;
    expect(await kit.worker.release(event.event_id)).toBe(true);
    expect(kit.memory.peekAll(kit.dispatchUrl)).toMatchObject([{ state: 'visible' }]);
    expect(await kit.worker.release(event.event_id)).toBe(false);
    expect((await kit.worker.poll())?.receive_count).toBe(2);
    await kit.worker.close();
  });

  it('close releases buffered messages at once, leaves handed-out ones for redelivery, and refuses later completes', async () => {
    const kit = pullKit({ config: { receiveBatchSize: 2, visibilityTimeoutSeconds: 5 } });
    await kit.enqueue(stepMessage(1), stepMessage(2));
    const event = (await kit.worker.poll())!;
    await kit.worker.close();
    const states = () => Object.fromEntries(kit.memory.peekAll(kit.dispatchUrl).map((m) => [JSON.parse(m.body).event_id, m.state]));
    const other = [stepMessage(1), stepMessage(2)].find((m) => m.event_id !== event.event_id)!;
    expect(states()).toEqual({ [event.event_id]: 'in_flight', [other.event_id]: 'visible' });
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(false);
    expect(kit.logger.find('complete refused')[0]?.fields.reason).toBe('worker_closed');
    expect(await kit.worker.poll()).toBeNull();
    await vi.advanceTimersByTimeAsync(5_001);
    expect(states()[event.event_id]).toBe('visible');
    expect(kit.results()).toEqual([]);
  });
});

/** The receiver's methods bound, so a test can replace one of them. */
function bind(inner: QueueReceiver) {
  return { receive: inner.receive.bind(inner), delete: inner.delete.bind(inner), changeVisibility: inner.changeVisibility.bind(inner) };
}

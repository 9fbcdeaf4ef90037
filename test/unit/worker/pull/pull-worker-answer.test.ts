import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { domainEventEnvelope } from '../../../../lib/contracts/domain-event.js';
import { stepExecutionResult } from '../../../../lib/contracts/step-execution-result.js';
import { QUEUES, SHIPMENT } from '../../../helpers/dispatch-fixtures.js';
import { FixedClock } from '../../../helpers/fixed-clock.js';
import { SHIPPED, START, deferred, pullKit, stepMessage, useFakeTime } from './pull-kit.js';

beforeEach(useFakeTime);
afterEach(() => vi.useRealTimers());

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
    expect(kit.logger.find('complete refused')).toMatchObject([
      { level: 'warn', fields: { event_id: event.event_id, reason: 'already_completed' } },
    ]);
    expect(kit.worker.metrics()).toMatchObject({ completed: 1, refusedCompletions: 1, pendingCount: 0 });
    await kit.worker.close();
  });

  it('refuses an unknown event id', async () => {
    const kit = pullKit();
    expect(await kit.worker.complete('00000000-0000-4000-8000-000000000000', SHIPPED)).toBe(false);
    expect(kit.logger.find('complete refused')[0]?.fields).toMatchObject({
      reason: 'unknown_event',
      event_id: '00000000-0000-4000-8000-000000000000',
    });
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
    expect(kit.journal).toEqual([
      `send ${QUEUES.completion}`,
      `delete ${kit.dispatchUrl}`,
      'publish ecommerce.order_shipped',
    ]);
    const [result] = kit.results().map((r) => stepExecutionResult.parse(r));
    expect(result).toMatchObject({
      event_id: message.event_id,
      status: 'success',
      result: SHIPMENT,
      worker: { worker_id: 'pull-test', kind: 'pull' },
      timing: { duration_ms: 1_500 },
    });
    expect(domainEventEnvelope.parse(kit.bus.details()[0])).toMatchObject({
      event_name: 'ecommerce.order_shipped',
      metadata: { source_event_id: message.event_id, outcome: 'success' },
    });
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
    expect(kit.logger.find(/^completion not sent/)[0]).toMatchObject({
      level: 'error',
      fields: {
        event_id: event.event_id,
        problem: expect.stringContaining('completion send failed after 4 attempt(s)'),
      },
    });
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(true);
    expect(kit.journal).toEqual([
      `send ${QUEUES.completion}`,
      `delete ${kit.dispatchUrl}`,
      'publish ecommerce.order_shipped',
    ]);
    await kit.worker.close();
  });

  it('refuses a complete while another complete of the same event is sending', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1));
    const event = (await kit.worker.poll())!;
    const gate = deferred();
    const send = kit.sender.send.bind(kit.sender);
    vi.spyOn(kit.sender, 'send').mockImplementationOnce(
      async (url, messages) => (await gate.promise, send(url, messages)),
    );
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
    await kit.enqueue(
      stepMessage(1, {
        attempt: 3,
        publishes_events: [{ name: 'ecommerce.shipping_failed', condition: 'permanent_failure' }],
      }),
    );
    const event = (await kit.worker.poll())!;
    expect(
      await kit.worker.complete(event.event_id, {
        status: 'failure',
        error: { error_type: 'handler_error', message: 'carrier down', retryable: true },
      }),
    ).toBe(true);
    expect(kit.results()).toMatchObject([
      {
        status: 'failure',
        error: { error_type: 'handler_error', message: 'carrier down', retry_after_ms: null, code: null },
      },
    ]);
    expect(kit.bus.details()).toMatchObject([
      { event_name: 'ecommerce.shipping_failed', metadata: { outcome: 'permanent_failure' } },
    ]);
    await kit.worker.close();
  });

  it('turns an invalid error or a non-JSON result into a handler_panic failure', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1), stepMessage(2));
    const a = (await kit.worker.poll())!;
    const b = (await kit.worker.poll())!;
    expect(
      await kit.worker.complete(a.event_id, {
        status: 'failure',
        error: { error_type: 'oops' as never, message: 'x', retryable: true },
      }),
    ).toBe(true);
    expect(await kit.worker.complete(b.event_id, { status: 'success', result: { n: 10n } })).toBe(true);
    expect(kit.results()).toMatchObject([
      {
        event_id: a.event_id,
        status: 'failure',
        error: { error_type: 'handler_panic', message: expect.stringContaining('error_type') },
      },
      {
        event_id: b.event_id,
        status: 'failure',
        error: { error_type: 'handler_panic', message: expect.stringContaining('bigint') },
      },
    ]);
    await kit.worker.close();
  });

  it('replaces a result over the size limit with a permanent result_too_large failure', async () => {
    const kit = pullKit({ config: { maxResultBytes: 2_000 } });
    await kit.enqueue(stepMessage(1));
    const event = (await kit.worker.poll())!;
    expect(await kit.worker.complete(event.event_id, { status: 'success', result: { blob: 'x'.repeat(5_000) } })).toBe(
      true,
    );
    expect(kit.results()).toMatchObject([
      { status: 'failure', error: { error_type: 'result_too_large', retryable: false } },
    ]);
    await kit.worker.close();
  });

  it('replaces a result PostgreSQL cannot store with a permanent result_not_storable failure naming the place', async () => {
    const kit = pullKit();
    await kit.enqueue(stepMessage(1));
    const event = (await kit.worker.poll())!;
    expect(await kit.worker.complete(event.event_id, { status: 'success', result: { 'bad\u0000key': 1 } })).toBe(true);
    expect(kit.results()).toMatchObject([
      {
        status: 'failure',
        result: null,
        error: {
          error_type: 'result_not_storable',
          retryable: false,
          code: 'nul_character',
          message: expect.stringContaining('the key at ["bad\\u0000key"]'),
        },
      },
    ]);
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

describe('PullWorker timeouts', () => {
  it('sends a handler_timeout failure on the handler’s behalf at its deadline, then deletes, then publishes failure events; the late complete is refused', async () => {
    const kit = pullKit();
    const message = stepMessage(1, { publishes_events: [{ name: 'ecommerce.shipping_failed', condition: 'failure' }] });
    await kit.enqueue(message);
    const event = (await kit.worker.poll())!;
    await vi.advanceTimersByTimeAsync(11_000);
    const [result] = kit.results().map((r) => stepExecutionResult.parse(r));
    expect(result).toMatchObject({
      event_id: message.event_id,
      status: 'failure',
      error: { error_type: 'handler_timeout', retryable: true, code: 'step_timeout' },
      worker: { kind: 'pull' },
    });
    expect(kit.journal.filter((j) => !j.startsWith('visibility'))).toEqual([
      `send ${QUEUES.completion}`,
      `delete ${kit.dispatchUrl}`,
      'publish ecommerce.shipping_failed',
    ]);
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
    expect(kit.results()).toMatchObject([
      { event_id: stepMessage(1).event_id, error: { error_type: 'handler_timeout' } },
    ]);
    expect(kit.worker.metrics().pendingCount).toBe(1);
    await kit.worker.close();
  });
});

describe('PullWorker metrics and starvation', () => {
  it('reports the pending count and the oldest pending age', async () => {
    const clock = new FixedClock(START);
    const kit = pullKit({ clock });
    expect(kit.worker.metrics()).toMatchObject({
      pendingCount: 0,
      oldestPendingAgeMs: null,
      starvationDetected: false,
    });
    await kit.enqueue(stepMessage(1));
    await kit.worker.poll();
    clock.advance(2_000);
    await kit.enqueue(stepMessage(2));
    await kit.worker.poll();
    clock.advance(500);
    expect(kit.worker.metrics()).toMatchObject({
      pendingCount: 2,
      inProgressCount: 2,
      oldestPendingAgeMs: 2_500,
      newestPendingAgeMs: 500,
      starvationDetected: false,
      received: 2,
    });
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
    expect(warnings).toMatchObject([
      {
        level: 'warn',
        fields: { event_id: event.event_id, task_uuid: event.task_uuid, starvation_warning_threshold_ms: 4_000 },
      },
    ]);
    expect(warnings[0]?.fields.age_ms).toBeGreaterThan(4_000);
    expect(await kit.worker.complete(event.event_id, SHIPPED)).toBe(true);
    expect(kit.worker.metrics().starvationDetected).toBe(false);
    await kit.worker.close();
  });
});

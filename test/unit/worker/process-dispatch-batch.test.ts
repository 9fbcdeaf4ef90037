import { describe, expect, it } from 'vitest';
import { domainEventEnvelope } from '../../../lib/contracts/domain-event.js';
import { poisonMessage } from '../../../lib/contracts/poison-message.js';
import { stepExecutionResult } from '../../../lib/contracts/step-execution-result.js';
import { PermanentError, type HandlerMap, type StepHandlerInput } from '../../../lib/worker/handler-api.js';
import type { HandlerRegistry } from '../../../lib/worker/handler-registry.js';
import { processDispatchBatch } from '../../../lib/worker/process-dispatch-batch.js';
import { QUEUES, SHIPMENT, dispatchMessage, dispatchRecord, testWorker } from '../../helpers/dispatch-fixtures.js';

const SHIP = 'ecommerce.ship_order';
const ship: HandlerMap = { [SHIP]: () => SHIPMENT };

function results(worker: ReturnType<typeof testWorker>) {
  return worker.queue.bodiesTo(QUEUES.completion).map((body) => stepExecutionResult.parse(body));
}

function outcomeLines(worker: ReturnType<typeof testWorker>) {
  return worker.logger.find(/^dispatch record /);
}

describe('processDispatchBatch', () => {
  describe('the dual-channel sequence', () => {
    it('sends the result to the completion queue, then publishes the matching domain events', async () => {
      const worker = testWorker(ship);
      const response = await processDispatchBatch([dispatchRecord(dispatchMessage())], worker);
      expect(response).toEqual({ batchItemFailures: [] });
      expect(worker.journal).toEqual([`send ${QUEUES.completion}`, 'publish ecommerce.order_shipped']);
      const [result] = results(worker);
      expect(result).toMatchObject({
        status: 'success',
        result: SHIPMENT,
        event_id: dispatchMessage().event_id,
        worker: { worker_id: 'test-worker', kind: 'lambda' },
      });
      const detail = domainEventEnvelope.parse(worker.bus.details()[0]);
      expect(detail).toMatchObject({
        event_name: 'ecommerce.order_shipped',
        event_version: '1.0.0',
        payload: SHIPMENT,
        metadata: { outcome: 'success', attempt: 1 },
      });
    });

    it('publishes nothing and reports the record for redelivery when the completion send finally fails', async () => {
      const worker = testWorker(ship);
      worker.queue.failAlways({ queueUrl: QUEUES.completion });
      const response = await processDispatchBatch([dispatchRecord(dispatchMessage(), 'msg-7')], worker);
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-7' }] });
      expect(worker.bus.calls).toEqual([]);
      expect(worker.queue.calls).toHaveLength(4);
      expect(outcomeLines(worker)[0]).toMatchObject({
        level: 'error',
        fields: { redelivered: true, problem: expect.stringContaining('completion send failed after 4 attempt(s)') },
      });
    });

    it('retries a transient completion send failure, and only then publishes', async () => {
      const worker = testWorker(ship);
      worker.queue.failNext(2, { queueUrl: QUEUES.completion, mode: 'throw' });
      expect(await processDispatchBatch([dispatchRecord(dispatchMessage())], worker)).toEqual({
        batchItemFailures: [],
      });
      expect(worker.journal).toEqual([`send ${QUEUES.completion}`, 'publish ecommerce.order_shipped']);
      expect(worker.queue.calls).toHaveLength(3);
    });

    it('completes the step when publishing fails: the result is sent and the events parked', async () => {
      const worker = testWorker(ship);
      worker.bus.failAlways({ mode: 'throw' });
      expect(await processDispatchBatch([dispatchRecord(dispatchMessage())], worker)).toEqual({
        batchItemFailures: [],
      });
      expect(results(worker)).toMatchObject([{ status: 'success' }]);
      expect(worker.queue.bodiesTo(QUEUES.domainEventDlq)).toMatchObject([
        { message_type: 'parked_domain_event', event_name: 'ecommerce.order_shipped', error_code: 'publish_failed' },
      ]);
      expect(outcomeLines(worker)[0]?.fields).toMatchObject({
        status: 'success',
        events_published: 0,
        events_parked: 1,
      });
    });

    it('parks an event whose payload fails its schema and still completes the step', async () => {
      const worker = testWorker({ [SHIP]: () => ({ order_id: 'ORD-10042' }) });
      expect(await processDispatchBatch([dispatchRecord(dispatchMessage())], worker)).toEqual({
        batchItemFailures: [],
      });
      expect(results(worker)).toMatchObject([{ status: 'success' }]);
      expect(worker.bus.calls).toEqual([]);
      expect(worker.queue.bodiesTo(QUEUES.domainEventDlq)).toMatchObject([
        { error_code: 'schema_mismatch', reason: expect.stringContaining('tracking_number') },
      ]);
    });

    it('publishes failure events for a failed step', async () => {
      const message = dispatchMessage({
        attempt: 3,
        publishes_events: [{ name: 'ecommerce.shipping_failed', condition: 'permanent_failure' }],
      });
      const worker = testWorker({
        [SHIP]: () => {
          throw new Error('carrier down');
        },
      });
      await processDispatchBatch([dispatchRecord(message)], worker);
      expect(results(worker)).toMatchObject([
        { status: 'failure', error: { error_type: 'handler_error', retryable: true } },
      ]);
      expect(worker.bus.details()).toMatchObject([
        { event_name: 'ecommerce.shipping_failed', metadata: { outcome: 'permanent_failure', attempt: 3 } },
      ]);
    });
  });

  describe('turning every outcome into a result', () => {
    it('a handler that overruns yields handler_timeout before the Lambda deadline', async () => {
      let aborted = false;
      const hang = ({ signal }: StepHandlerInput) =>
        new Promise(() => signal.addEventListener('abort', () => (aborted = true)));
      const worker = testWorker({ [SHIP]: hang }, { remainingTimeMs: () => 300 });
      worker.config = { ...worker.config, safetyMarginMs: 250 };
      await processDispatchBatch([dispatchRecord(dispatchMessage())], worker);
      expect(results(worker)).toMatchObject([
        { status: 'failure', error: { error_type: 'handler_timeout', retryable: true, code: 'lambda_remaining_time' } },
      ]);
      // The budget is the remaining time less the safety margin (300 - 250), not the step timeout.
      const [failed] = results(worker) as Array<{ error: { message: string } }>;
      expect(Number(/within (\d+) ms/.exec(failed!.error.message)?.[1])).toBeLessThanOrEqual(50);
      expect(aborted).toBe(true);
    });

    it('an unknown callable is a permanent handler_not_found result, not a crash', async () => {
      const worker = testWorker({ 'ecommerce.other': () => 1 });
      expect(await processDispatchBatch([dispatchRecord(dispatchMessage())], worker)).toEqual({
        batchItemFailures: [],
      });
      expect(results(worker)).toMatchObject([
        { status: 'failure', error: { error_type: 'handler_not_found', retryable: false } },
      ]);
    });

    it('a result over maxResultBytes becomes result_too_large and is not sent', async () => {
      const worker = testWorker({ [SHIP]: () => ({ ...SHIPMENT, blob: 'z'.repeat(3_000) }) });
      worker.config = { ...worker.config, maxResultBytes: 2_000 };
      await processDispatchBatch([dispatchRecord(dispatchMessage())], worker);
      const [result] = results(worker);
      expect(result).toMatchObject({
        status: 'failure',
        result: null,
        error: { error_type: 'result_too_large', retryable: false },
      });
      expect(result?.error?.message).toMatch(/is \d+ bytes serialized, over the limit of 2000 bytes/);
      expect(JSON.stringify(result)).not.toContain('zzzz');
      expect(worker.bus.calls).toEqual([]);
    });

    it('a result PostgreSQL cannot store becomes result_not_storable naming the place; no success event is published', async () => {
      const worker = testWorker({ [SHIP]: () => ({ ...SHIPMENT, title: 'Great product 😀'.slice(0, 15) }) });
      expect(await processDispatchBatch([dispatchRecord(dispatchMessage())], worker)).toEqual({
        batchItemFailures: [],
      });
      expect(results(worker)).toMatchObject([
        {
          status: 'failure',
          result: null,
          error: {
            error_type: 'result_not_storable',
            retryable: false,
            code: 'lone_surrogate',
            message: expect.stringMatching(/^the result cannot be stored: title holds a lone UTF-16 surrogate/),
          },
        },
      ]);
      expect(worker.bus.calls).toEqual([]);
    });

    it('a thrown message holding U+0000 is sent with U+FFFD in its place, the failure otherwise as thrown', async () => {
      const worker = testWorker({
        [SHIP]: () => {
          throw new PermanentError('declined \u0000 by the bank');
        },
      });
      await processDispatchBatch([dispatchRecord(dispatchMessage())], worker);
      expect(results(worker)).toMatchObject([
        {
          status: 'failure',
          error: { error_type: 'handler_error', retryable: false, message: 'declined \uFFFD by the bank' },
        },
      ]);
    });

    it('uses the default limit of 200 000 bytes', async () => {
      const worker = testWorker({ [SHIP]: () => ({ blob: 'z'.repeat(200_000) }) });
      await processDispatchBatch([dispatchRecord(dispatchMessage())], worker);
      expect(results(worker)[0]?.error?.message).toContain('limit of 200000 bytes');
    });

    it('answers a message with readable ids but invalid content with a permanent invalid_dispatch failure and no events', async () => {
      const message = { ...dispatchMessage(), handler: { initialization: {} } };
      const worker = testWorker(ship);
      expect(await processDispatchBatch([dispatchRecord(JSON.stringify(message))], worker)).toEqual({
        batchItemFailures: [],
      });
      expect(results(worker)).toMatchObject([
        {
          status: 'failure',
          event_id: message.event_id,
          step_name: 'ship_order',
          error: {
            error_type: 'invalid_dispatch',
            retryable: false,
            message: expect.stringContaining('handler.callable'),
          },
        },
      ]);
      expect(worker.bus.calls).toEqual([]);
    });

    it('moves a record that cannot be parsed to the poison queue, with the reason, and does not retry it', async () => {
      const worker = testWorker(ship);
      const record = {
        ...dispatchRecord('{"truncated'),
        messageId: 'msg-bad',
        sourceQueue: 'arn:aws:sqs:eu-west-1:123456789012:tasker-dispatch',
      };
      expect(await processDispatchBatch([record], worker)).toEqual({ batchItemFailures: [] });
      const [poison] = worker.queue.bodiesTo(QUEUES.poison).map((b) => poisonMessage.parse(b));
      expect(poison).toMatchObject({
        error_code: 'unparseable_json',
        source_message_id: 'msg-bad',
        original_body: '{"truncated',
        source_queue: 'arn:aws:sqs:eu-west-1:123456789012:tasker-dispatch',
      });
      expect(results(worker)).toEqual([]);
    });

    it('reports a poison record for redelivery when the poison queue refuses it', async () => {
      const worker = testWorker(ship);
      worker.queue.failAlways({ queueUrl: QUEUES.poison });
      expect(await processDispatchBatch([dispatchRecord('garbage', 'msg-bad')], worker)).toEqual({
        batchItemFailures: [{ itemIdentifier: 'msg-bad' }],
      });
    });

    it('reports an invalid record for redelivery when its failure result cannot be sent', async () => {
      const worker = testWorker(ship);
      worker.queue.failAlways({ queueUrl: QUEUES.completion });
      const body = JSON.stringify({ ...dispatchMessage(), attempt: 0 });
      expect(await processDispatchBatch([dispatchRecord(body, 'msg-inv')], worker)).toEqual({
        batchItemFailures: [{ itemIdentifier: 'msg-inv' }],
      });
    });
  });

  describe('batches', () => {
    it('fails only the record whose result could not be sent', async () => {
      const good = dispatchMessage();
      const bad = dispatchMessage({
        event_id: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
        step_uuid: '0193e4a2-5b7c-7f11-a0c1-1d2e3f4a5b6c',
      });
      const worker = testWorker(ship);
      worker.queue.failAlways({ queueUrl: QUEUES.completion, match: (m) => m.body.includes(bad.event_id) });
      const response = await processDispatchBatch(
        [dispatchRecord(good, 'msg-good'), dispatchRecord(bad, 'msg-bad'), dispatchRecord('not json', 'msg-poison')],
        worker,
      );
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-bad' }] });
      expect(results(worker).map((r) => r.event_id)).toEqual([good.event_id]);
      expect(worker.bus.details()).toMatchObject([{ metadata: { source_event_id: good.event_id } }]);
      expect(worker.queue.bodiesTo(QUEUES.poison)).toHaveLength(1);
    });

    it('fails only the record that hit an unexpected error', async () => {
      const registry: HandlerRegistry = {
        resolve: (callable) => {
          if (callable === 'explodes') throw new Error('registry bug');
          return () => SHIPMENT;
        },
        callables: () => [],
      };
      const worker = testWorker({}, { handlers: registry });
      const broken = dispatchMessage({
        event_id: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
        handler: { callable: 'explodes', initialization: {} },
      });
      const response = await processDispatchBatch(
        [dispatchRecord(dispatchMessage(), 'msg-ok'), dispatchRecord(broken, 'msg-boom')],
        worker,
      );
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-boom' }] });
      expect(results(worker)).toHaveLength(1);
      expect(outcomeLines(worker).find((l) => l.fields.message_id === 'msg-boom')?.fields).toMatchObject({
        status: 'error',
        problem: expect.stringContaining('registry bug'),
      });
    });

    it('runs the records of a batch concurrently', async () => {
      let arrivals = 0;
      let release: () => void = () => {};
      const bothStarted = new Promise<void>((resolve) => (release = resolve));
      const meet = async () => {
        arrivals += 1;
        if (arrivals === 2) release();
        await bothStarted;
        return { met: true };
      };
      const worker = testWorker({ [SHIP]: meet });
      const second = dispatchMessage({ event_id: '1b4e28ba-2fa1-41d2-883f-0016d3cca427', timeout_ms: 2_000 });
      await processDispatchBatch(
        [dispatchRecord(dispatchMessage({ timeout_ms: 2_000 }), 'a'), dispatchRecord(second, 'b')],
        worker,
      );
      expect(results(worker).map((r) => r.status)).toEqual(['success', 'success']);
    });

    it('runs the handler again for a duplicate delivery; both results carry the same event_id', async () => {
      let runs = 0;
      const worker = testWorker({ [SHIP]: () => ({ ...SHIPMENT, run: ++runs }) });
      await processDispatchBatch([dispatchRecord(dispatchMessage(), 'first')], worker);
      await processDispatchBatch([dispatchRecord(dispatchMessage(), 'again')], worker);
      expect(runs).toBe(2);
      const [a, b] = results(worker);
      expect(a?.event_id).toBe(b?.event_id);
      const [e1, e2] = worker.bus.details();
      expect(e1?.event_id).toBe(e2?.event_id);
    });

    it('returns no failures for an empty batch', async () => {
      expect(await processDispatchBatch([], testWorker(ship))).toEqual({ batchItemFailures: [] });
    });
  });

  describe('logs', () => {
    it('writes one structured line per record outcome with the ids, duration and error type', async () => {
      const worker = testWorker({
        [SHIP]: () => {
          throw new PermanentError('no such address', { code: 'bad_address' });
        },
      });
      const message = dispatchMessage();
      await processDispatchBatch([dispatchRecord(message, 'm1'), dispatchRecord('nope', 'm2')], worker);
      const lines = outcomeLines(worker);
      expect(lines).toHaveLength(2);
      const step = lines.find((l) => l.fields.message_id === 'm1');
      expect(step).toMatchObject({
        level: 'warn',
        fields: {
          task_uuid: message.task_uuid,
          step_uuid: message.step_uuid,
          event_id: message.event_id,
          correlation_id: message.correlation_id,
          status: 'failure',
          error_type: 'handler_error',
          duration_ms: expect.any(Number),
          receive_count: 1,
          redelivered: false,
        },
      });
      expect(lines.find((l) => l.fields.message_id === 'm2')?.fields).toMatchObject({
        status: 'poison',
        error_type: 'unparseable_json',
        task_uuid: null,
        event_id: null,
      });
    });

    it('gives the handler a logger that carries the step ids', async () => {
      const worker = testWorker({ [SHIP]: ({ logger }: StepHandlerInput) => logger.info('shipping') });
      await processDispatchBatch([dispatchRecord(dispatchMessage())], worker);
      expect(worker.logger.find('shipping')[0]?.fields).toMatchObject({
        task_uuid: dispatchMessage().task_uuid,
        event_id: dispatchMessage().event_id,
        step_name: 'ship_order',
      });
    });
  });
});

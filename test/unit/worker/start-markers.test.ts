import { describe, expect, it } from 'vitest';
import { stepStartedMessage } from '../../../lib/contracts/step-started-message.js';
import type { DispatchRecord } from '../../../lib/worker/dispatch-deps.js';
import type { HandlerMap } from '../../../lib/worker/handler-api.js';
import { processDispatchBatch } from '../../../lib/worker/process-dispatch-batch.js';
import { QUEUES, SHIPMENT, dispatchMessage, testWorker } from '../../helpers/dispatch-fixtures.js';

const SHIP = 'ecommerce.ship_order';
/** The test worker's clock stands here; each message below was claimed long before, with a 10 s budget (no grace). */
const NOW = new Date('2025-12-07T10:15:30.200Z');

function waited(eventId: string, claimedAt: string): ReturnType<typeof dispatchMessage> {
  const claimed = new Date(claimedAt).getTime();
  return dispatchMessage({
    event_id: eventId,
    dispatched_at: new Date(claimed).toISOString(),
    deadline: new Date(claimed + 10_000).toISOString(),
  });
}

function record(
  message: ReturnType<typeof dispatchMessage>,
  messageId: string,
  firstReceivedAt: Date,
  receiveCount = 1,
): DispatchRecord {
  return { messageId, body: JSON.stringify(message), receiveCount, firstReceivedAt };
}

function counting() {
  const runs: string[] = [];
  const handlers: HandlerMap = { [SHIP]: ({ step }) => (runs.push(step.eventId), SHIPMENT) };
  return { runs, handlers };
}

const A = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
const B = '6ba7b810-9dad-41d1-80b4-00c04fd430c8';

describe('start markers of a dispatch batch', () => {
  it('runs an attempt that waited past its claim deadline, after one marker send for the batch, before its result', async () => {
    const { runs, handlers } = counting();
    const worker = testWorker(handlers);
    const batch = [
      record(waited(A, '2025-12-07T10:13:30.120Z'), 'm-a', NOW),
      record(waited(B, '2025-12-07T10:14:00.000Z'), 'm-b', NOW),
    ];
    expect(await processDispatchBatch(batch, worker)).toEqual({ batchItemFailures: [] });
    expect(runs.sort()).toEqual([A, B].sort());
    const [markers, ...results] = worker.queue.calls;
    expect(markers?.messages.map((m) => stepStartedMessage.parse(JSON.parse(m.body)))).toMatchObject([
      { event_id: A, started_at: NOW.toISOString(), receive_count: 1, worker_id: 'test-worker' },
      { event_id: B, started_at: NOW.toISOString() },
    ]);
    expect(results.map((c) => JSON.parse(c.messages[0]!.body))).toMatchObject([
      { status: 'success' },
      { status: 'success' },
    ]);
  });

  it('gives the handler the budget counted from the first receive', async () => {
    let deadline: Date | undefined;
    const worker = testWorker({ [SHIP]: (input) => ((deadline = input.deadline), SHIPMENT) });
    await processDispatchBatch([record(waited(A, '2025-12-07T10:13:30.120Z'), 'm-a', NOW)], worker);
    expect(deadline).toEqual(new Date(NOW.getTime() + 10_000));
  });

  it('runs the handlers anyway when the marker send fails (a marker is knowledge, not a condition)', async () => {
    const { runs, handlers } = counting();
    const worker = testWorker(handlers);
    worker.queue.failNext(1, { queueUrl: QUEUES.completion });
    expect(await processDispatchBatch([record(waited(A, '2025-12-07T10:13:30.120Z'), 'm-a', NOW)], worker)).toEqual({
      batchItemFailures: [],
    });
    expect(runs).toEqual([A]);
    expect(
      worker.logger.find('start markers not sent; their attempts stay protected by their queue backlog')[0]?.fields,
    ).toMatchObject({ markers: 1, unsent: 1, event_ids: [A] });
    expect(worker.queue.bodiesTo(QUEUES.completion)).toMatchObject([
      { message_type: 'step_result', status: 'success' },
    ]);
  });

  it('answers a message past its attempt deadline without running the handler, and sends it no marker', async () => {
    const { runs, handlers } = counting();
    const worker = testWorker(handlers);
    const firstReceived = new Date('2025-12-07T10:00:00.000Z');
    await processDispatchBatch([record(waited(A, '2025-12-07T09:59:00.000Z'), 'm-a', firstReceived, 2)], worker);
    expect(runs).toEqual([]);
    expect(worker.queue.bodiesTo(QUEUES.completion)).toMatchObject([
      {
        message_type: 'step_result',
        status: 'failure',
        error: {
          error_type: 'handler_timeout',
          message: expect.stringContaining('no time was left before the handler could start'),
        },
      },
    ]);
  });

  it('sends no marker for a message taken up at once', async () => {
    const worker = testWorker(counting().handlers);
    await processDispatchBatch([record(dispatchMessage(), 'm-1', NOW)], worker);
    expect(worker.queue.bodiesTo(QUEUES.completion)).toMatchObject([{ message_type: 'step_result' }]);
  });
});

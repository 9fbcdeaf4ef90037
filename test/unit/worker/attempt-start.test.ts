import { describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../../../lib/ports/message-queue.js';
import { attemptStart, deliveryOf, dueStartMarker } from '../../../lib/worker/attempt-start.js';
import { dispatchMessage } from '../../helpers/dispatch-fixtures.js';

/** Claimed 10:00:00 with a 30 s step timeout and a 15 min grace: deadline 10:15:30, budget 930 s. */
const message = dispatchMessage({
  timeout_ms: 30_000,
  dispatched_at: '2025-12-07T10:00:00.000Z',
  deadline: '2025-12-07T10:15:30.000Z',
});
const at = (time: string) => new Date(`2025-12-07T${time}Z`);

describe('attemptStart', () => {
  it('keeps the claim deadline when the first receive is unknown', () => {
    expect(attemptStart(message, { receiveCount: 3 })).toEqual({ deadline: at('10:15:30.000'), reportedStart: null });
  });

  it('keeps the claim deadline, unreported, for a first receive within a quarter of the grace', () => {
    expect(attemptStart(message, { firstReceivedAt: at('10:03:45.000'), receiveCount: 1 })).toEqual({
      deadline: at('10:15:30.000'),
      reportedStart: null,
    });
  });

  it('counts the whole budget from the first receive after a longer wait, and reports that start', () => {
    expect(attemptStart(message, { firstReceivedAt: at('10:03:45.001'), receiveCount: 1 })).toEqual({
      deadline: at('10:19:15.001'),
      reportedStart: at('10:03:45.001'),
    });
    expect(attemptStart(message, { firstReceivedAt: at('11:40:00.000'), receiveCount: 1 })).toEqual({
      deadline: at('11:55:30.000'),
      reportedStart: at('11:40:00.000'),
    });
  });

  it('reports the start of a message that came back, however short its first wait', () => {
    expect(attemptStart(message, { firstReceivedAt: at('10:00:00.200'), receiveCount: 2 })).toEqual({
      deadline: at('10:15:30.200'),
      reportedStart: at('10:00:00.200'),
    });
  });

  it('never moves the deadline earlier (a first receive stamped before the claim by another clock)', () => {
    expect(attemptStart(message, { firstReceivedAt: at('09:59:59.900'), receiveCount: 2 }).deadline).toEqual(
      at('10:15:30.000'),
    );
  });

  it('ignores waits under a second, even when the grace is zero', () => {
    const noGrace = dispatchMessage({
      timeout_ms: 10_000,
      dispatched_at: '2025-12-07T10:00:00.000Z',
      deadline: '2025-12-07T10:00:10.000Z',
    });
    expect(attemptStart(noGrace, { firstReceivedAt: at('10:00:00.900'), receiveCount: 1 }).reportedStart).toBeNull();
    expect(attemptStart(noGrace, { firstReceivedAt: at('10:00:01.500'), receiveCount: 1 })).toEqual({
      deadline: at('10:00:11.500'),
      reportedStart: at('10:00:01.500'),
    });
  });
});

describe('dueStartMarker', () => {
  const delivery = { firstReceivedAt: at('10:40:00.000'), receiveCount: 1 };

  it('is the step_started message for a reported start still within its deadline', () => {
    const start = attemptStart(message, delivery);
    expect(dueStartMarker(message, start, delivery, at('10:40:00.050'), 'w-1')).toEqual({
      schema_version: 1,
      message_type: 'step_started',
      event_id: message.event_id,
      task_uuid: message.task_uuid,
      step_uuid: message.step_uuid,
      started_at: '2025-12-07T10:40:00.000Z',
      receive_count: 1,
      worker_id: 'w-1',
    });
  });

  it('is null when the start is not reported, or the attempt is already past its deadline', () => {
    const unreported = { firstReceivedAt: at('10:00:01.000'), receiveCount: 1 };
    expect(
      dueStartMarker(message, attemptStart(message, unreported), unreported, at('10:00:01.000'), 'w-1'),
    ).toBeNull();
    expect(dueStartMarker(message, attemptStart(message, delivery), delivery, at('10:55:30.001'), 'w-1')).toBeNull();
  });
});

describe('deliveryOf', () => {
  const received = (attributes: Record<string, string>): ReceivedMessage => ({
    messageId: 'm',
    receiptHandle: 'r',
    body: '{}',
    receiveCount: 2,
    sentAt: at('10:00:00.000'),
    attributes,
  });

  it('reads the first receive and the receive count of a received message', () => {
    expect(deliveryOf(received({ ApproximateFirstReceiveTimestamp: String(at('10:20:00.000').getTime()) }))).toEqual({
      receiveCount: 2,
      firstReceivedAt: at('10:20:00.000'),
    });
  });

  it('leaves the first receive out when the queue did not give it', () => {
    expect(deliveryOf(received({}))).toEqual({ receiveCount: 2 });
  });
});

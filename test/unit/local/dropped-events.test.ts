import { describe, expect, it } from 'vitest';
import { MemoryQueue } from '../../../lib/adapters/memory/memory-queue.js';
import { domainEventSource } from '../../../lib/contracts/domain-event.js';
import { DroppedEventLog } from '../../../lib/local/dropped-events.js';
import { buildParkedDomainEventMessage } from '../../../lib/worker/parked-domain-event.js';

/** The events the step handler parks instead of publishing, seen on their way to the dead-letter queue. */

const TASK = '11111111-1111-4111-8111-111111111111';

function parked(eventId: string, taskUuid = TASK): string {
  const detail = {
    schema_version: 1,
    event_id: eventId,
    event_name: 'orders.shipped',
    event_version: '1.0.0',
    payload: { count: 'x' },
    error: null,
    metadata: {
      task_uuid: taskUuid,
      step_uuid: '22222222-2222-4222-8222-222222222222',
      step_name: 'ship',
      namespace: 'orders',
      task_name: 'fulfil',
      correlation_id: '33333333-3333-4333-8333-333333333333',
      source_event_id: '44444444-4444-4444-8444-444444444444',
      attempt: 1,
      outcome: 'success',
      fired_at: '2030-01-01T00:00:00.000Z',
    },
  };
  const entry = { Source: domainEventSource('orders'), DetailType: 'orders.shipped', Detail: JSON.stringify(detail) };
  const message = buildParkedDomainEventMessage(
    {
      eventId,
      eventName: 'orders.shipped',
      entry,
      code: 'schema_mismatch',
      reason: 'payload of orders.shipped does not match its declared schema: /count must be integer',
    },
    new Date('2030-01-01T00:00:01Z'),
  );
  return JSON.stringify(message);
}

describe('DroppedEventLog', () => {
  it('records the parked events sent to the dead-letter queue, by task, and passes every send on', async () => {
    const queue = new MemoryQueue();
    const dlq = queue.createQueue('domain-event-dlq');
    const other = queue.createQueue('completion');
    const log = new DroppedEventLog();
    const wrapped = log.wrap(queue, dlq);
    const eventId = '55555555-5555-4555-8555-555555555555';
    await wrapped.send(dlq, [
      { id: 'p', body: parked(eventId) },
      { id: 'q', body: 'not a parked event' },
    ]);
    await wrapped.send(other, [{ id: 'r', body: parked('66666666-6666-4666-8666-666666666666') }]);
    expect(log.of(TASK)).toEqual([
      {
        taskUuid: TASK,
        stepName: 'ship',
        eventName: 'orders.shipped',
        eventId,
        code: 'schema_mismatch',
        reason: 'payload of orders.shipped does not match its declared schema: /count must be integer',
      },
    ]);
    expect(log.of('77777777-7777-4777-8777-777777777777')).toEqual([]);
    expect(queue.peekAll(dlq)).toHaveLength(2);
    expect(queue.peekAll(other)).toHaveLength(1);
    queue.close();
  });

  it('without a dead-letter queue the queue is returned as it is', () => {
    const queue = new MemoryQueue();
    expect(new DroppedEventLog().wrap(queue, undefined)).toBe(queue);
    queue.close();
  });
});

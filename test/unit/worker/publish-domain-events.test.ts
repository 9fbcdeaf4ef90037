import { describe, expect, it } from 'vitest';
import { publishDomainEvents } from '../../../lib/worker/publish-domain-events.js';
import type { ParkedEvent } from '../../../lib/worker/parked-domain-event.js';
import type { EventPlan, PreparedEvent } from '../../../lib/worker/plan-domain-events.js';
import { QUEUES } from '../../helpers/dispatch-fixtures.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { FixedClock } from '../../helpers/fixed-clock.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

function event(name: string): PreparedEvent {
  const eventId = `id-${name}`;
  return {
    eventId,
    eventName: name,
    entry: {
      Source: 'tasker.ecommerce',
      DetailType: name,
      Detail: JSON.stringify({ event_id: eventId, event_name: name }),
    },
  };
}

function plan(names: string[], refused: ParkedEvent[] = []): EventPlan {
  return { outcome: 'success', publish: names.map(event), refused };
}

function deps(changes: { dlqUrl?: string | undefined } = {}) {
  return {
    bus: new FakeEventBus(),
    queue: new FakeQueueSender(),
    dlqUrl: QUEUES.domainEventDlq as string | undefined,
    clock: new FixedClock('2025-12-07T10:15:31.000Z'),
    logger: new RecordingLogger(),
    retry: { delaysMs: [1, 1], sleep: async () => {} },
    ...changes,
  };
}

describe('publishDomainEvents', () => {
  it('publishes every planned event', async () => {
    const d = deps();
    expect(await publishDomainEvents(plan(['a.one', 'a.two']), d)).toEqual({ published: 2, parked: 0, logged: 0 });
    expect(d.bus.published.map((e) => e.DetailType)).toEqual(['a.one', 'a.two']);
    expect(d.queue.sent).toEqual([]);
  });

  it('retries only the entries the bus reported failed', async () => {
    const d = deps();
    d.bus.failNext(1, { match: (e) => e.DetailType === 'a.two' });
    expect(await publishDomainEvents(plan(['a.one', 'a.two']), d)).toEqual({ published: 2, parked: 0, logged: 0 });
    expect(d.bus.calls.map((c) => c.map((e) => e.DetailType))).toEqual([['a.one', 'a.two'], ['a.two']]);
  });

  it('retries all entries when the call throws', async () => {
    const d = deps();
    d.bus.failNext(2, { mode: 'throw' });
    expect(await publishDomainEvents(plan(['a.one']), d)).toMatchObject({ published: 1 });
    expect(d.bus.calls).toHaveLength(3);
  });

  it('parks entries that keep failing on the dead-letter queue, whole and with the reason', async () => {
    const d = deps();
    d.bus.failAlways({ code: 'ThrottlingException', match: (e) => e.DetailType === 'a.two' });
    expect(await publishDomainEvents(plan(['a.one', 'a.two']), d)).toEqual({ published: 1, parked: 1, logged: 0 });
    expect(d.bus.calls).toHaveLength(3);
    expect(d.queue.bodiesTo(QUEUES.domainEventDlq)).toEqual([
      {
        schema_version: 1,
        message_type: 'parked_domain_event',
        error_code: 'publish_failed',
        reason: 'publishing a.two failed after retries: ThrottlingException: fake publish failure',
        event_id: 'id-a.two',
        event_name: 'a.two',
        entry: event('a.two').entry,
        parked_at: '2025-12-07T10:15:31.000Z',
      },
    ]);
    expect(d.logger.find('domain event parked')[0]?.fields).toMatchObject({
      event_name: 'a.two',
      park_code: 'publish_failed',
    });
  });

  it('parks the events the plan refused without publishing them', async () => {
    const d = deps();
    const refused: ParkedEvent = {
      ...event('a.bad'),
      code: 'schema_mismatch',
      reason: 'payload of a.bad does not match',
    };
    expect(await publishDomainEvents(plan(['a.one'], [refused]), d)).toEqual({ published: 1, parked: 1, logged: 0 });
    expect(d.bus.published.map((e) => e.DetailType)).toEqual(['a.one']);
    expect(d.queue.bodiesTo(QUEUES.domainEventDlq)[0]).toMatchObject({
      error_code: 'schema_mismatch',
      reason: 'payload of a.bad does not match',
      entry: refused.entry,
    });
  });

  it('writes an event whole to the error log when parking fails too', async () => {
    const d = deps();
    d.bus.failAlways({ mode: 'throw' });
    d.queue.failAlways({ mode: 'throw' });
    expect(await publishDomainEvents(plan(['a.one']), d)).toEqual({ published: 0, parked: 0, logged: 1 });
    const lost = d.logger.find(/could not be parked/);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({
      level: 'error',
      fields: { entry: event('a.one').entry, why: expect.stringContaining('parking on the dead-letter queue failed') },
    });
  });

  it('writes events to the error log when no dead-letter queue is configured', async () => {
    const d = deps({ dlqUrl: undefined });
    d.bus.failAlways();
    expect(await publishDomainEvents(plan(['a.one']), d)).toEqual({ published: 0, parked: 0, logged: 1 });
    expect(d.logger.find(/could not be parked/)[0]?.fields.why).toBe('no domain-event dead-letter queue is configured');
  });

  it('does nothing for an empty plan', async () => {
    const d = deps();
    expect(await publishDomainEvents(plan([]), d)).toEqual({ published: 0, parked: 0, logged: 0 });
    expect(d.bus.calls).toEqual([]);
  });
});

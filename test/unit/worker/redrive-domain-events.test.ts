import { describe, expect, it } from 'vitest';
import { MemoryQueue } from '../../../lib/adapters/memory/memory-queue.js';
import { parkedDomainEventMessage } from '../../../lib/contracts/parked-domain-event.js';
import { buildParkedDomainEventMessage, type ParkCode } from '../../../lib/worker/parked-domain-event.js';
import { redriveDomainEvents } from '../../../lib/worker/redrive-domain-events.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';

function parked(code: ParkCode, n: number) {
  const entry = { Source: 'tasker.ecommerce', DetailType: 'ecommerce.order_shipped', Detail: JSON.stringify({ n }) };
  return JSON.stringify(
    buildParkedDomainEventMessage(
      {
        eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        eventName: entry.DetailType,
        entry,
        code,
        reason: 'bus down',
      },
      new Date('2026-11-23T10:00:00Z'),
    ),
  );
}

function setup() {
  const queue = new MemoryQueue();
  const dlqUrl = queue.createQueue('domain-event-dlq', { visibilityTimeoutSeconds: 30 });
  const bus = new FakeEventBus();
  return { queue, dlqUrl, bus, deps: { queue, bus, dlqUrl, logger: new RecordingLogger() } };
}

describe('redriveDomainEvents', () => {
  it('publishes parked events exactly as they were and deletes them from the dead-letter queue', async () => {
    const { queue, dlqUrl, bus, deps } = setup();
    await queue.send(
      dlqUrl,
      Array.from({ length: 12 }, (_, i) => ({ id: `m${i}`, body: parked('publish_failed', i) })),
    );
    expect(await redriveDomainEvents(deps, { maxMessages: 100 })).toEqual({ redriven: 12, failed: 0, skipped: 0 });
    expect(bus.published.map((e) => JSON.parse(e.Detail).n).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    expect(queue.depth(dlqUrl) + queue.inFlight(dlqUrl)).toBe(0);
    queue.close();
  });

  it('leaves events whose publish fails again, and those parked for their schema, visible on the queue', async () => {
    const { queue, dlqUrl, bus, deps } = setup();
    await queue.send(dlqUrl, [
      { id: 'a', body: parked('publish_failed', 1) },
      { id: 'b', body: parked('schema_mismatch', 2) },
      { id: 'c', body: 'not json' },
    ]);
    bus.failAlways();
    expect(await redriveDomainEvents(deps, { maxMessages: 100 })).toEqual({ redriven: 0, failed: 1, skipped: 2 });
    expect(queue.depth(dlqUrl)).toBe(3);
    queue.close();
  });

  it('redrives schema-refused events only when asked to', async () => {
    const { queue, dlqUrl, bus, deps } = setup();
    await queue.send(dlqUrl, [{ id: 'b', body: parked('schema_mismatch', 2) }]);
    expect(await redriveDomainEvents(deps, { maxMessages: 10, includeRefused: true })).toEqual({
      redriven: 1,
      failed: 0,
      skipped: 0,
    });
    expect(bus.published).toHaveLength(1);
    queue.close();
  });

  it('reads what the worker parks (the worker type and the contract agree)', () => {
    expect(parkedDomainEventMessage.safeParse(JSON.parse(parked('event_too_large', 3))).success).toBe(true);
  });
});

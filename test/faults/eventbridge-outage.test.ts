import { afterAll, expect, it } from 'vitest';
import { redriveDomainEvents } from '../../lib/worker/redrive-domain-events.js';
import { chainContexts, FaultRuntime } from './support/fault-runtime.js';

/**
 * EventBridge failing for 30 seconds (real time). What is injected: every PutEvents call on the
 * in-process bus throws ServiceUnavailable (MemoryEventBus.injectCallError). The step handler
 * retries each publish, then parks the event on the domain-event dead-letter queue; the step is
 * never failed for it. Task lifecycle events stay in the outbox and the sweeper re-sends them
 * (re-send age 5 s here, deployed 30 s). After the outage `redriveDomainEvents` puts the parked
 * events back on the bus. Every expected domain event must then have been published exactly once
 * (by event_id: the worker derives it from the attempt and the event name).
 */

const SCENARIO = 'eventbridge-outage';
const OUTAGE_MS = 30_000;
let faults: FaultRuntime | undefined;

afterAll(async () => {
  await faults?.stop();
});

it('events fail to publish for 30 s: parked, redriven, each published exactly once', async () => {
  faults = await FaultRuntime.start({ limits: { outboxResendAfterMs: 5_000 } });
  const contexts = chainContexts(200, { failEvery: 10, flakyEvery: 9 });
  await faults.startTasks(contexts.slice(0, 100), undefined, 20);
  const began = Date.now();
  faults.eventBridge.injectCallError(
    Object.assign(new Error('EventBridge is unavailable'), { name: 'ServiceUnavailable' }),
  );
  await faults.startTasks(contexts.slice(100), undefined, 20);
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - (Date.now() - began)));
  faults.eventBridge.injectCallError(undefined);
  const drain = await faults.drain(120_000);
  const dlqUrl = faults.urls.domainEventDlq as string;
  const parked = faults.memory.depth(dlqUrl);
  const redrive = await redriveDomainEvents(
    { queue: faults.runtime.transport.queue, bus: faults.runtime.orchestration.events, dlqUrl, logger: faults.logger },
    { maxMessages: 100_000 },
  );
  const publishedTwice = [...faults.ledger.eventCounts().values()].filter((n) => n !== 1).length;
  const lifecycle = new Set(faults.runtime.lifecycleEvents().map((e) => e.task_uuid));
  await faults.report(SCENARIO, {
    outage_ms: OUTAGE_MS,
    events_parked: parked,
    events_redriven: redrive.redriven,
    events_published: faults.ledger.events.length,
    events_published_more_than_once: publishedTwice,
    lifecycle_events_resent: faults.runtime.metrics().sweeps.resent,
    drain_after_outage_ms: drain.ms,
  });
  expect(drain.drained).toBe(true);
  expect(parked, 'events were parked during the outage').toBeGreaterThan(50);
  expect(redrive).toEqual({ redriven: parked, failed: 0, skipped: 0 });
  expect(faults.memory.depth(dlqUrl) + faults.memory.inFlight(dlqUrl), 'the dead-letter queue is empty').toBe(0);
  expect(publishedTwice, 'each domain event published exactly once').toBe(0);
  expect(
    faults.started.taskUuids.filter((t) => !lifecycle.has(t)),
    'every task lifecycle event published',
  ).toEqual([]);
});

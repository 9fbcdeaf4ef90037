import { afterAll, expect, it } from 'vitest';
import { chainContexts, FaultRuntime } from './support/fault-runtime.js';

/**
 * The completion queue unavailable for 30 seconds (real time). What is injected: every call on
 * the completion queue fails: a send reports each message failed with ServiceUnavailable (as the
 * SQS adapter reports an unreachable endpoint), receives and deletes throw. The step handler
 * retries its result send, gives up, sends no domain event and leaves the dispatch record for
 * redelivery; orchestration keeps retry ticks in the outbox. Tasks keep being created during the
 * outage. The dispatch queue's visibility timeout is 10 s here so a record survives the outage
 * within maxReceiveCount = 5 (deployed: 180 s, i.e. 15 minutes of outage).
 */

const SCENARIO = 'completion-queue-outage';
const OUTAGE_MS = 30_000;
let faults: FaultRuntime | undefined;

afterAll(async () => {
  await faults?.stop();
});

it('nothing is lost, and no domain event is published, while results cannot be sent', async () => {
  faults = await FaultRuntime.start({ settings: { dispatchQueue: { visibilityTimeoutSeconds: 10 } } });
  const contexts = chainContexts(200, { failEvery: 10, flakyEvery: 9 });
  await faults.startTasks(contexts.slice(0, 100), undefined, 20);
  const began = Date.now();
  faults.queue.setUnavailable(faults.urls.completion, true);
  const before = { results: faults.ledger.resultsSent, events: faults.ledger.events.length, seq: faults.ledger.seq() };
  await faults.startTasks(contexts.slice(100), undefined, 20);
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - (Date.now() - began)));
  const during = {
    results: faults.ledger.resultsSent - before.results,
    events: faults.ledger.events.length - before.events,
  };
  const refused = faults.queue.stats.refusedUnavailable;
  faults.queue.setUnavailable(faults.urls.completion, false);
  const drain = await faults.drain(120_000);
  await faults.report(SCENARIO, {
    outage_ms: OUTAGE_MS,
    sends_refused: refused,
    results_sent_during_outage: during.results,
    drain_after_outage_ms: drain.ms,
    dispatch_redeliveries: faults.queue.stats.redelivered.get(faults.urls.dispatch as string) ?? 0,
    dispatch_dlq: faults.memory.depth(faults.urls.dispatchDlq as string),
  });
  expect(drain.drained).toBe(true);
  expect(refused, 'sends were refused during the outage').toBeGreaterThan(100);
  expect(during.results, 'no result reached the queue while it was down').toBe(0);
  const eventsDuringOutage = faults.ledger.events.slice(before.events, before.events + during.events);
  const sentBefore = (id: string) => (faults!.ledger.resultSentSeq(id) ?? Infinity) < before.seq;
  expect(
    eventsDuringOutage.filter((e) => !sentBefore(e.envelope.metadata.source_event_id)),
    'events during the outage are only of results sent before it',
  ).toEqual([]);
  expect(faults.memory.depth(faults.urls.dispatchDlq as string), 'nothing dead-lettered').toBe(0);
});

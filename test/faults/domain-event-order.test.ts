import { afterAll, expect, it } from 'vitest';
import { chainContexts, FaultRuntime } from './support/fault-runtime.js';
import { seededRandom } from './support/seeded-random.js';

/**
 * Domain events never run ahead of their results. What is injected: every send to the completion
 * queue takes 0-40 ms longer (a slow queue), so an event published before, or concurrently with,
 * its result's send would be seen first. The tasks cover every outcome (success, retryable
 * failure, permanent failure) and every condition the template declares. Counted for every
 * captured event: its attempt's result was already accepted by the completion queue (the ledger
 * orders sends and captures on one counter), its result was applied, and it tells the applied
 * outcome; for every applied result: each declared event its outcome calls for was published.
 */

const SCENARIO = 'domain-event-order';
const random = seededRandom();
let faults: FaultRuntime | undefined;

afterAll(async () => {
  await faults?.stop();
});

it('every domain event follows its result into the completion queue; none is missing', async () => {
  faults = await FaultRuntime.start();
  const completionUrl = faults.urls.completion;
  faults.queue.sendDelayMs = (url) => (url === completionUrl ? Math.floor(random() * 40) : 0);
  faults.workload.delayMs = () => Math.floor(random() * 5);
  await faults.startTasks(chainContexts(300, { failEvery: 5, flakyEvery: 4 }), undefined, 20);
  const drain = await faults.drain(120_000);
  const outcomes = new Map<string, number>();
  for (const e of faults.ledger.events)
    outcomes.set(e.envelope.metadata.outcome, (outcomes.get(e.envelope.metadata.outcome) ?? 0) + 1);
  const gaps = faults.ledger.events.map(
    (e) => e.seq - (faults!.ledger.resultSentSeq(e.envelope.metadata.source_event_id) ?? Infinity),
  );
  await faults.report(SCENARIO, {
    drain_ms: drain.ms,
    events: faults.ledger.events.length,
    success: outcomes.get('success') ?? 0,
    retryable_failure: outcomes.get('retryable_failure') ?? 0,
    permanent_failure: outcomes.get('permanent_failure') ?? 0,
    results_sent: faults.ledger.resultsSent,
  });
  expect(drain.drained).toBe(true);
  for (const outcome of ['success', 'retryable_failure', 'permanent_failure'])
    expect(outcomes.get(outcome) ?? 0, `events of ${outcome}`).toBeGreaterThan(10);
  expect(
    gaps.every((gap) => gap > 0),
    'each event captured after its result was sent',
  ).toBe(true);
});

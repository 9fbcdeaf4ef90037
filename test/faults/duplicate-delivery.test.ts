import { afterAll, expect, it } from 'vitest';
import { chainContexts, FaultRuntime } from './support/fault-runtime.js';
import { seededRandom } from './support/seeded-random.js';

/**
 * At-least-once delivery: every message put on the dispatch queue and on the completion queue
 * (results and retry ticks) is stored twice, as two messages with the same body, so each is
 * delivered twice and the copies are consumed concurrently by different pollers. Handlers run
 * twice per attempt; each result must be applied once (the second is refused as a duplicate by
 * event_id) and each domain event carries the same event_id both times.
 */

const SCENARIO = 'duplicate-delivery';
const random = seededRandom();
let faults: FaultRuntime | undefined;

afterAll(async () => {
  await faults?.stop();
});

it('every dispatch and completion message delivered twice: each step applied once, nothing lost', async () => {
  faults = await FaultRuntime.start();
  faults.workload.delayMs = () => Math.floor(random() * 5);
  faults.queue.duplicate(faults.urls.dispatch as string, faults.urls.completion);
  await faults.startTasks(chainContexts(300, { failEvery: 10, flakyEvery: 7 }), undefined, 20);
  const drain = await faults.drain(120_000);
  const q = faults.queue.stats;
  const dispatchSent = q.sent.get(faults.urls.dispatch as string) ?? 0;
  const completionSent = q.sent.get(faults.urls.completion) ?? 0;
  const refused = faults.logger.count('step result refused');
  await faults.report(SCENARIO, {
    drain_ms: drain.ms,
    messages_duplicated: q.duplicated,
    handler_runs: faults.workload.totalRuns,
    attempts_run_twice: faults.workload.rerunAttempts,
    results_refused_as_duplicates: refused,
  });
  expect(drain.drained).toBe(true);
  expect(dispatchSent % 2, 'dispatch messages stored in pairs').toBe(0);
  expect(completionSent % 2, 'completion messages stored in pairs').toBe(0);
  expect(faults.workload.rerunAttempts, 'the copies really ran the handlers again').toBeGreaterThan(100);
  expect(refused, 'the second result of an attempt is refused, not applied').toBeGreaterThan(100);
});

import { afterAll, expect, it } from 'vitest';
import { crashing, emptyCrashStats, maxReceiveCount } from './support/crash-injector.js';
import { chainContexts, FaultRuntime } from './support/fault-runtime.js';
import { seededRandom } from './support/seeded-random.js';

/**
 * The completion function killed between its database commits and the queue delete. What is
 * killed: a completion invocation (a batch of up to 10 results and retry ticks) after the real
 * handler returned, i.e. after every result of the batch was committed and its outbox sent, but
 * before the event source deleted the batch: the runner sees Runtime.ExitError and keeps every
 * record. 30% of invocations are killed (only while their records were received fewer than 3
 * times, so crashes alone cannot dead-letter a record). Each record comes back after the
 * visibility timeout and must be refused as a duplicate by its event_id: applied once.
 */

const SCENARIO = 'completion-crash-before-delete';
const random = seededRandom();
let faults: FaultRuntime | undefined;

afterAll(async () => {
  await faults?.stop();
});

it('results committed but not deleted are redelivered and refused as duplicates', async () => {
  const crashes = emptyCrashStats();
  const killer = crashing(
    (event) => (maxReceiveCount(event) < 3 && random() < 0.3 ? { kind: 'after_return' } : null),
    crashes,
  );
  faults = await FaultRuntime.start({ completion: killer });
  faults.workload.delayMs = () => Math.floor(random() * 5);
  await faults.startTasks(chainContexts(400, { failEvery: 10, flakyEvery: 9 }), undefined, 20);
  const drain = await faults.drain(150_000);
  const completionUrl = faults.urls.completion;
  const refused = faults.logger.count('step result refused');
  await faults.report(SCENARIO, {
    drain_ms: drain.ms,
    invocations_killed: crashes.killed,
    records_abandoned: crashes.recordsAbandoned,
    completion_redeliveries: faults.queue.stats.redelivered.get(completionUrl) ?? 0,
    results_refused_as_duplicates: refused,
    completion_dlq: faults.memory.depth(faults.urls.completionDlq as string),
  });
  expect(drain.drained).toBe(true);
  expect(crashes.killed, 'invocations were killed').toBeGreaterThan(5);
  expect(faults.queue.stats.redelivered.get(completionUrl) ?? 0, 'abandoned records came back').toBeGreaterThanOrEqual(
    crashes.recordsAbandoned,
  );
  expect(refused, 'redelivered results were refused').toBeGreaterThan(0);
  expect(faults.memory.depth(faults.urls.completionDlq as string), 'nothing dead-lettered').toBe(0);
});

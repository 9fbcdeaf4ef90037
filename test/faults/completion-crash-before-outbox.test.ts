import { afterAll, expect, it } from 'vitest';
import { crashing, emptyCrashStats, maxReceiveCount } from './support/crash-injector.js';
import { chainContexts, FaultRuntime } from './support/fault-runtime.js';
import { seededRandom } from './support/seeded-random.js';

/**
 * The completion function killed between a database commit and the outbox send. What is killed: a
 * completion invocation at the first message or event it tries to send, which is the first outbox
 * delivery after a result was committed (newly ready steps, a retry tick or a task lifecycle
 * event). Records of the batch still applying finish their commit in the database; nothing the
 * invocation sends afterwards leaves it; the event source keeps the whole batch. 30% of
 * invocations are chosen (while their records were received fewer than 3 times). The committed
 * outbox rows are re-sent by the sweeper (re-send age 3 s here instead of the deployed 30 s, to
 * keep the run short); the redelivered results are refused as duplicates.
 */

const SCENARIO = 'completion-crash-before-outbox';
const random = seededRandom();
let faults: FaultRuntime | undefined;

afterAll(async () => {
  await faults?.stop();
});

it('outbox rows committed by a killed completion invocation are re-sent by the sweeper', async () => {
  const crashes = emptyCrashStats();
  const killer = crashing(
    (event) => (maxReceiveCount(event) < 3 && random() < 0.3 ? { kind: 'at_first_send' } : null),
    crashes,
  );
  faults = await FaultRuntime.start({ completion: killer, limits: { outboxResendAfterMs: 3_000 } });
  faults.workload.delayMs = () => Math.floor(random() * 5);
  await faults.startTasks(chainContexts(300, { failEvery: 10, flakyEvery: 9 }), undefined, 20);
  const drain = await faults.drain(150_000);
  const sweeps = faults.runtime.metrics().sweeps;
  await faults.report(SCENARIO, {
    drain_ms: drain.ms,
    invocations_killed: crashes.killed,
    records_abandoned: crashes.recordsAbandoned,
    outbox_rows_resent_by_sweeper: sweeps.resent,
    results_refused_as_duplicates: faults.logger.count('step result refused'),
    completion_dlq: faults.memory.depth(faults.urls.completionDlq as string),
  });
  expect(drain.drained).toBe(true);
  expect(crashes.killed, 'invocations were killed').toBeGreaterThan(5);
  expect(sweeps.resent, 'the sweeper re-sent what the killed invocations left').toBeGreaterThan(0);
  expect(faults.memory.depth(faults.urls.completionDlq as string), 'nothing dead-lettered').toBe(0);
});

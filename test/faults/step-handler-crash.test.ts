import { afterAll, expect, it } from 'vitest';
import { crashing, emptyCrashStats, maxReceiveCount } from './support/crash-injector.js';
import { chainContexts, FaultRuntime } from './support/fault-runtime.js';
import { seededRandom } from './support/seeded-random.js';

/**
 * The step-handler function's process killed mid-batch. What is killed: one invocation of the
 * real step-handler Lambda (batches of up to 10 dispatch records, gathered for up to 100 ms, handled concurrently), chosen at
 * random (30% of invocations whose records have been received fewer than 3 times, so that no
 * message can reach the queue's maxReceiveCount of 5 through crashes alone). It dies at a random
 * point: before any result was sent, after some of the batch's results were sent, or after all of
 * them, before their domain events. From that instant nothing it does reaches the outside (every
 * send and publish it starts never happens; see support/invocation-context.ts), its promise is
 * abandoned, and the event source sees Runtime.ExitError: no record of the batch is deleted, all
 * of them come back after the visibility timeout. Redelivered records run their handlers again;
 * results already applied are refused as duplicates; their events are published then.
 */

const SCENARIO = 'step-handler-crash';
const random = seededRandom();
let faults: FaultRuntime | undefined;

afterAll(async () => {
  await faults?.stop();
});

it('killed step-handler invocations lose nothing and apply nothing twice', async () => {
  const crashes = emptyCrashStats();
  const killer = crashing((event) => {
    if (maxReceiveCount(event) >= 3 || random() >= 0.3) return null;
    return { kind: 'at_result', results: Math.floor(random() * (event.Records.length + 1)) };
  }, crashes);
  faults = await FaultRuntime.start({
    settings: { stepHandler: { batchSize: 10, maxBatchingWindowMs: 100 } },
    stepHandler: killer,
  });
  faults.workload.delayMs = () => Math.floor(random() * 10);
  await faults.startTasks(chainContexts(400, { failEvery: 10, flakyEvery: 9 }), undefined, 20);
  const drain = await faults.drain(150_000);
  const dispatchUrl = faults.urls.dispatch as string;
  await faults.report(SCENARIO, {
    drain_ms: drain.ms,
    invocations_killed: crashes.killed,
    killed_mid_batch: crashes.midBatch,
    killed_after_all_results: crashes.afterAllResults,
    records_abandoned: crashes.recordsAbandoned,
    dispatch_redeliveries: faults.queue.stats.redelivered.get(dispatchUrl) ?? 0,
    results_refused_as_duplicates: faults.logger.count('step result refused'),
    dispatch_dlq: faults.memory.depth(faults.urls.dispatchDlq as string),
  });
  expect(drain.drained).toBe(true);
  expect(crashes.killed, 'invocations were killed').toBeGreaterThan(20);
  expect(crashes.midBatch, 'some were killed with part of their batch answered').toBeGreaterThan(0);
  expect(faults.queue.stats.redelivered.get(dispatchUrl) ?? 0, 'abandoned records came back').toBeGreaterThanOrEqual(
    crashes.recordsAbandoned,
  );
  expect(faults.memory.depth(faults.urls.dispatchDlq as string), 'nothing dead-lettered').toBe(0);
});

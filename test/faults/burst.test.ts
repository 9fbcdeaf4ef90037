import { afterAll, expect, it } from 'vitest';
import { FaultRuntime } from './support/fault-runtime.js';
import { SINGLE } from './support/workload.js';
import { seededRandom } from './support/seeded-random.js';

/**
 * A burst: 2,000 one-step tasks submitted at once (2,000 concurrent createTask calls) against the
 * step handler's cap of 10 (reserved concurrency 10, event source maximum concurrency 10: the
 * deployed setting). Each handler takes 50-100 ms, so the cap, not the database, is what holds the
 * burst back. What is measured: the most handlers running at once (counted inside the handlers,
 * and by the runner), throttled invocations, messages moved to the dispatch dead-letter queue, the
 * deepest backlog, and the time from the first submission until the backlog has drained.
 */

const SCENARIO = 'burst';
const TASKS = 2_000;
const CAP = 10;
const random = seededRandom();
let faults: FaultRuntime | undefined;

afterAll(async () => {
  await faults?.stop();
});

it(`${TASKS} tasks at once against a cap of ${CAP}: never more than ${CAP} at once, nothing dead-lettered, the backlog drains`, async () => {
  faults = await FaultRuntime.start({
    templates: [SINGLE],
    settings: { stepHandler: { reservedConcurrency: CAP, maxConcurrency: CAP } },
  });
  faults.workload.delayMs = () => 50 + Math.floor(random() * 50);
  let backlog = 0;
  const sampler = setInterval(
    () => (backlog = Math.max(backlog, faults!.memory.depth(faults!.urls.dispatch as string))),
    100,
  );
  const began = Date.now();
  await faults.startTasks(
    Array.from({ length: TASKS }, (_, n) => ({ n })),
    SINGLE,
  );
  const submitMs = Date.now() - began;
  const drain = await faults.drain(240_000);
  const drainMs = Date.now() - began;
  clearInterval(sampler);
  const m = faults.runtime.metrics().stepHandler;
  const dlq =
    faults.memory.depth(faults.urls.dispatchDlq as string) + faults.memory.inFlight(faults.urls.dispatchDlq as string);
  await faults.report(SCENARIO, {
    cap: CAP,
    peak_handlers: faults.workload.peak,
    peak_invocations: m.peakConcurrency,
    throttles: m.throttles,
    dispatch_dlq: dlq,
    max_backlog: backlog,
    submit_ms: submitMs,
    drain_ms: drainMs,
    steps_per_s: Math.round((TASKS / drainMs) * 1000),
  });
  expect(drain.drained).toBe(true);
  expect(faults.workload.peak, 'handlers running at once').toBeLessThanOrEqual(CAP);
  expect(m.peakConcurrency, 'invocations running at once').toBeLessThanOrEqual(CAP);
  expect(faults.workload.peak, 'the cap was reached: the burst really queued').toBe(CAP);
  expect(backlog, 'messages waited in the queue').toBeGreaterThan(100);
  expect(m.throttles).toBe(0);
  expect(dlq).toBe(0);
});

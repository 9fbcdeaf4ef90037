import { afterAll, expect, it } from 'vitest';
import type { HandlerMap, StepHandlerInput } from '../../lib/worker/handler-api.js';
import { PermanentError, RetryableError } from '../../lib/worker/errors.js';
import { buildTemplate } from '../helpers/template-builder.js';
import { FaultRuntime } from './support/fault-runtime.js';
import { seededRandom } from './support/seeded-random.js';

/**
 * Blocked tasks end, once (issue 11). Each `faults/fork` task runs three roots at once: `flaky`
 * fails its first attempt and waits ~1 s for its retry, `sibling` takes 150-300 ms, and in every
 * third task (designed to fail) `bad` fails for good after 20-80 ms, while `sibling` is still in
 * flight and `flaky` waits. What is injected: every dispatch and completion message (results,
 * retry ticks) is delivered twice, concurrently, so the result that settles a blocked task, and the
 * held retry's tick, come twice. Counted besides the usual numbers: every designed task ends in
 * `error` (none is left blocked) with exactly one `task.failed`, and no held retry is ever run.
 */

const SCENARIO = 'blocked-tasks';
const random = seededRandom();
let faults: FaultRuntime | undefined;

const FORK = buildTemplate({
  namespace: 'faults',
  name: 'fork',
  steps: [
    {
      name: 'flaky',
      callable: 'faults.flaky',
      retry: { maxAttempts: 3, backoffBaseMs: 1_500, maxBackoffMs: 1_500 },
      events: [{ name: 'faults.flaky_retrying', condition: 'retryable_failure' }],
    },
    {
      name: 'bad',
      callable: 'faults.bad',
      retry: { maxAttempts: 1 },
      events: [{ name: 'faults.bad_failed', condition: 'permanent_failure' }],
    },
    { name: 'sibling', callable: 'faults.sibling', events: [{ name: 'faults.sibling_done', condition: 'success' }] },
    { name: 'join', callable: 'faults.join', deps: ['flaky', 'bad', 'sibling'] },
  ],
});

/** `${task}:${step}#${attempt}` of every handler run. */
const runs: string[] = [];
const wait = (min: number, max: number) =>
  new Promise((resolve) => setTimeout(resolve, min + Math.floor(random() * (max - min))));
const ran = (input: StepHandlerInput) => runs.push(`${input.step.taskUuid}:${input.step.stepName}#${input.attempt}`);

const handlers: HandlerMap = {
  'faults.flaky': (input) => {
    ran(input);
    if (input.attempt === 1) throw new RetryableError('flaky on its first attempt');
    return { flaky: input.attempt };
  },
  'faults.bad': async (input) => {
    ran(input);
    await wait(20, 80);
    if (input.context.designed_to_fail === true) throw new PermanentError('bad fails by design', { code: 'designed' });
    return { bad: 'fine' };
  },
  'faults.sibling': async (input) => {
    ran(input);
    await wait(150, 300);
    return { sibling: true };
  },
  'faults.join': (input) => {
    ran(input);
    return { joined: true };
  },
};

afterAll(async () => {
  await faults?.stop();
});

it('every blocked task fails once after its in-flight sibling, its held retry never runs; messages delivered twice', async () => {
  faults = await FaultRuntime.start({ templates: [FORK], handlers });
  faults.queue.duplicate(faults.urls.dispatch as string, faults.urls.completion);
  const contexts = Array.from({ length: 120 }, (_, n) => ({ n, ...(n % 3 === 2 ? { designed_to_fail: true } : {}) }));
  await faults.startTasks(contexts, FORK, 20);
  const drain = await faults.drain(120_000);
  const designed = [...faults.started.designedToFail];
  const { rows } = await faults.db.query<{ state: string; n: number }>(
    'select state, count(*)::int as n from tasker.tasks where task_uuid = any($1::uuid[]) group by state',
    [designed],
  );
  const states = Object.fromEntries(rows.map((r) => [r.state, r.n]));
  const lifecycle = faults.runtime.lifecycleEvents();
  const failedEvents = (task: string) =>
    lifecycle.filter((e) => e.task_uuid === task && e.event_name === 'task.failed').length;
  const blockedFirst = designed.filter(
    (t) =>
      lifecycle
        .filter((e) => e.task_uuid === t)
        .map((e) => e.event_name)
        .join() === 'task.blocked_by_failures,task.failed',
  );
  const heldRun = designed.filter((t) => runs.includes(`${t}:flaky#2`));
  await faults.report(SCENARIO, {
    drain_ms: drain.ms,
    designed_ended_error: states.error ?? 0,
    designed_left_blocked: states.blocked_by_failures ?? 0,
    task_failed_events: lifecycle.filter((e) => e.event_name === 'task.failed').length,
    tasks_failed_more_than_once: designed.filter((t) => failedEvents(t) > 1).length,
    blocked_then_failed: blockedFirst.length,
    held_retries_run: heldRun.length,
    messages_duplicated: faults.queue.stats.duplicated,
    results_refused_as_duplicates: faults.logger.count('step result refused'),
  });
  expect(drain.drained).toBe(true);
  expect(states, 'every designed task failed (error), none left blocked').toEqual({ error: designed.length });
  expect(designed.map(failedEvents), 'one task.failed per designed task').toEqual(designed.map(() => 1));
  expect(
    lifecycle.filter((e) => e.event_name === 'task.failed').length,
    'no task.failed for a task that completed',
  ).toBe(designed.length);
  expect(
    blockedFirst.length,
    'the sibling was in flight when bad failed: the task rested blocked, then failed',
  ).toBeGreaterThan(designed.length / 2);
  expect(heldRun, 'no held retry ran').toEqual([]);
  expect(faults.logger.count('step result refused'), 'the copies of results were refused').toBeGreaterThan(100);
});

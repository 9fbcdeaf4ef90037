import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderDagText } from '../../../lib/cli/dag-picture.js';
import { progressLine } from '../../../lib/cli/progress-lines.js';
import { buildRunReport } from '../../../lib/cli/run-report.js';
import { RunTracker } from '../../../lib/cli/run-tracker.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../../../lib/local/embedded-runtime.js';
import type { ProgressEvent } from '../../../lib/local/step-progress.js';
import { PermanentError, RetryableError } from '../../../lib/worker/errors.js';
import type { HandlerMap } from '../../../lib/worker/handler-api.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * The embedded runtime with the default grace (none): `bad` fails for good while `sibling` is still
 * running and `flaky` waits for a retry. The task must not be reported finished while blocked with
 * `sibling` in flight; it ends in error, and flaky's retry is shown held by `bad` (progress events,
 * the live view's DAG, the run report), never as a retry to come.
 */

const template = buildTemplate({
  name: 'held_retry',
  steps: [
    { name: 'flaky', retry: { maxAttempts: 3, backoffBaseMs: 60_000, maxBackoffMs: 60_000 } },
    { name: 'bad', retry: { maxAttempts: 1 } },
    { name: 'sibling' },
    { name: 'ship', deps: ['flaky', 'bad', 'sibling'] },
  ],
});

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
};
const flakyFailed = gate();
const badFailed = gate();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const handlers: HandlerMap = {
  'tests.flaky': () => {
    flakyFailed.open();
    throw new RetryableError('gateway down');
  },
  'tests.bad': async () => {
    await flakyFailed.opened;
    await pause(50);
    badFailed.open();
    throw new PermanentError('card declined');
  },
  'tests.sibling': async () => {
    await badFailed.opened;
    await pause(300);
    return { ok: true };
  },
  'tests.ship': () => ({ shipped: true }),
};

let database: TestDatabase | undefined;
let runtime: EmbeddedRuntime;
const progress: ProgressEvent[] = [];

beforeAll(async () => {
  database = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
  runtime = await startEmbeddedRuntime({
    templates: [template],
    handlers,
    databaseUrl: database?.connectionString ?? null,
    transport: 'memory',
    settings: { sweepIntervalMs: 300 },
    logger: new RecordingLogger(),
    env: {},
  });
  runtime.onProgress((event) => progress.push(event));
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await database?.close();
});

it('ends in error after the in-flight sibling, with the waiting retry held by the failed step everywhere it is shown', async () => {
  const tracker = new RunTracker(template);
  runtime.onProgress((event) => tracker.apply(event));
  const created = await runtime.createTask({
    namespace: 'tests',
    name: 'held_retry',
    context: {},
    identity_strategy: 'always_unique',
  });
  if (!created.ok) throw new Error(created.message);
  tracker.setTask(created.taskUuid);
  const task = await runtime.waitForTask(created.taskUuid, { timeoutMs: 20_000 });

  expect(task.state).toBe('error');
  expect(Object.fromEntries(task.steps.map((s) => [s.name, s.state]))).toEqual({
    flaky: 'waiting_for_retry',
    bad: 'error',
    sibling: 'complete',
    ship: 'pending',
  });
  const events = runtime
    .lifecycleEvents()
    .filter((e) => e.task_uuid === created.taskUuid)
    .map((e) => e.event_name);
  expect(events.filter((e) => e === 'task.failed')).toHaveLength(1);
  expect(events.at(-1)).toBe('task.failed');

  const mine = progress.filter((e) => e.taskUuid === created.taskUuid);
  const held = mine.filter((e) => e.type === 'step_retry_held');
  expect(held).toEqual([
    expect.objectContaining({
      stepName: 'flaky',
      attempt: 1,
      errorType: 'handler_error',
      message: 'gateway down',
      held: expect.objectContaining({ blockedBy: ['bad'] }),
    }),
  ]);
  expect(mine.some((e) => e.type === 'step_started' && e.stepName === 'flaky' && e.attempt === 2)).toBe(false);
  expect(mine.at(-1)).toMatchObject({ type: 'task_finished', state: 'error' });
  const siblingDone = mine.findIndex((e) => e.type === 'step_completed' && e.stepName === 'sibling');
  expect(siblingDone).toBeGreaterThanOrEqual(0);
  expect(siblingDone).toBeLessThan(mine.length - 1);
  expect(progressLine(held[0]!)).toMatch(
    /^step flaky retry held after attempt 1: task (failed, )?blocked by bad \(handler_error: gateway down\)$/,
  );

  expect(renderDagText(tracker.nodes()).find((l) => l.includes('flaky'))).toMatch(
    /⏸ flaky\s+held\s+1\/3\s+retry held: task (failed, )?blocked by bad$/,
  );
  const report = buildRunReport(task, await runtime.transitions(task.taskUuid), {
    retriesOf: (step) => tracker.retries(step),
  });
  expect(report.steps.find((s) => s.name === 'flaky')).toMatchObject({
    state: 'waiting_for_retry',
    retries: [],
    retry_held: { blocked_by: ['bad'] },
  });
  expect(report.steps.find((s) => s.name === 'sibling')).toMatchObject({ retry_held: null });
}, 30_000);

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import orderHandlers from '../../../examples/order-workflow/handlers.js';
import patternHandlers from '../../../examples/patterns/handlers.js';
import { poisonMessage } from '../../../lib/contracts/poison-message.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../../../lib/local/embedded-runtime.js';
import type { ProgressEvent } from '../../../lib/local/step-progress.js';
import { TaskWaitTimeoutError } from '../../../lib/local/errors.js';
import { loadTemplateDirectoryOrThrow } from '../../../lib/adapters/templates/template-files.js';
import type { HandlerMap } from '../../../lib/worker/handler-api.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * The embedded runtime end to end: the REAL step-handler and completion Lambdas (middy), driven by
 * the local SQS event-source runners over in-process queues, orchestration on PostgreSQL (the
 * DATABASE_URL server when set, else PGlite).
 */

const ORDER = {
  order: {
    order_id: 'ord-1',
    customer: { email: 'ada@example.com' },
    items: [{ sku: 'BOOK-1', quantity: 2, price: 12.5 }],
  },
};

const slow = buildTemplate({
  name: 'slow',
  steps: [{ name: 'sleepy', timeoutSeconds: 1, retry: { retryable: true, maxAttempts: 1 } }],
});
const orphan = buildTemplate({
  name: 'orphan',
  steps: [{ name: 'lost', callable: 'tests.no_such_handler', retry: { maxAttempts: 3 } }],
});
const throwing = buildTemplate({
  name: 'throwing',
  steps: [{ name: 'boom', retry: { retryable: true, maxAttempts: 2 } }],
});
const badEvent = buildTemplate({
  name: 'bad_event',
  steps: [
    {
      name: 'emit',
      events: [
        {
          name: 'tests.emitted',
          condition: 'success',
          schema: { type: 'object', required: ['count'], properties: { count: { type: 'integer' } } },
        },
      ],
    },
  ],
});
const linear = buildTemplate({
  name: 'linear4',
  steps: [{ name: 'a' }, { name: 'b', deps: ['a'] }, { name: 'c', deps: ['b'] }, { name: 'd', deps: ['c'] }],
});

function throwBoom(): never {
  throw new Error('boom');
}

/** How many times the deadline race aborted tests.sleepy. */
let sleepyAborted = 0;

const testHandlers: HandlerMap = {
  'tests.sleepy': ({ signal }) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, 3_000);
      signal.addEventListener('abort', () => {
        sleepyAborted += 1;
        clearTimeout(timer);
        resolve('aborted');
      });
    }),
  'tests.boom': () => throwBoom(),
  'tests.emit': () => ({ count: 'many' }),
  'tests.a': () => ({ n: 1 }),
  'tests.b': () => ({ n: 2 }),
  'tests.c': () => ({ n: 3 }),
  'tests.d': () => ({ n: 4 }),
};

let database: TestDatabase | undefined;
let runtime: EmbeddedRuntime;
const logger = new RecordingLogger();
const progress: ProgressEvent[] = [];

beforeAll(async () => {
  database = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
  const examples = await loadTemplateDirectoryOrThrow('examples');
  runtime = await startEmbeddedRuntime({
    templates: [...examples, slow, orphan, linear, throwing, badEvent],
    handlers: { ...orderHandlers, ...patternHandlers, ...testHandlers },
    databaseUrl: database?.connectionString ?? null,
    transport: 'memory',
    settings: { sweepIntervalMs: 300 },
    // The failure tests look at the blocked state: tasks stay blocked for an hour instead of failing once nothing is
    // in flight (the default: test/integration/local/blocked-task-progress.test.ts).
    blockedTaskGraceMs: 3_600_000,
    logger,
    env: {},
  });
  runtime.onProgress((event) => progress.push(event));
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await database?.close();
});

async function run(namespace: string, name: string, context: Record<string, unknown>) {
  const created = await runtime.createTask({ namespace, name, context, identity_strategy: 'always_unique' });
  if (!created.ok) throw new Error(`refused: ${created.message} ${created.problems.join('; ')}`);
  return runtime.waitForTask(created.taskUuid, { timeoutMs: 15_000 });
}

const stepOf = (task: Awaited<ReturnType<typeof run>>, name: string) => task.steps.find((s) => s.name === name)!;

describe('embedded runtime: the order workflow', () => {
  it('runs to completion: parallel branches, the fan-in, the flaky charge retried once, the domain event published', async () => {
    const task = await run('ecommerce', 'order_fulfillment', ORDER);
    expect(task.state).toBe('complete');
    expect(Object.fromEntries(task.steps.map((s) => [s.name, [s.state, s.attempts]]))).toEqual({
      validate_order: ['complete', 1],
      reserve_inventory: ['complete', 1],
      charge_payment: ['complete', 2],
      ship_order: ['complete', 1],
      send_confirmation: ['complete', 1],
    });
    expect(stepOf(task, 'charge_payment').results).toEqual({
      payment_id: 'pay-ord-1',
      amount: 25,
      currency: 'EUR',
      attempts: 2,
    });
    expect(stepOf(task, 'ship_order').results).toEqual({
      order_id: 'ord-1',
      tracking_number: 'TRK-POSTNL-ord-1',
      carrier: 'postnl',
      reservation_id: 'res-ord-1',
      payment_id: 'pay-ord-1',
    });
    expect(stepOf(task, 'send_confirmation').results).toMatchObject({
      sent_to: 'ada@example.com',
      tracking_number: 'TRK-POSTNL-ord-1',
    });

    const events = runtime.domainEvents(task.taskUuid);
    expect(events.map((e) => [e.name, e.step, e.outcome])).toEqual([
      ['ecommerce.order_shipped', 'ship_order', 'success'],
    ]);
    expect(events[0]!.envelope.payload).toMatchObject({ tracking_number: 'TRK-POSTNL-ord-1' });
    expect(
      runtime
        .lifecycleEvents()
        .filter((e) => e.task_uuid === task.taskUuid)
        .map((e) => e.event_name),
    ).toEqual(['task.completed']);
  });

  it('reports progress: every start, the retry with its error, completions, then the task finished last', async () => {
    const task = await run('ecommerce', 'order_fulfillment', { order: { ...ORDER.order, order_id: 'ord-2' } });
    const mine = progress.filter((e) => e.taskUuid === task.taskUuid);
    const lines = mine.map((e) => `${e.type}:${'stepName' in e ? e.stepName : ''}:${'attempt' in e ? e.attempt : ''}`);
    expect(lines).toContain('step_started:charge_payment:1');
    expect(lines).toContain('step_started:charge_payment:2');
    expect(lines.filter((l) => l.startsWith('step_completed'))).toHaveLength(5);
    const retry = mine.find((e) => e.type === 'step_retrying');
    expect(retry).toMatchObject({
      stepName: 'charge_payment',
      attempt: 1,
      errorType: 'handler_error',
      message: 'payment gateway unavailable (attempt 1)',
    });
    expect(mine.at(-1)).toMatchObject({ type: 'task_finished', state: 'complete' });
    const started = (step: string) => lines.indexOf(`step_started:${step}:1`);
    const completed = (step: string) => lines.findIndex((l) => l.startsWith(`step_completed:${step}`));
    expect(completed('validate_order')).toBeLessThan(started('reserve_inventory'));
    expect(completed('charge_payment')).toBeLessThan(started('ship_order'));
  });

  it('a declined card fails charge_payment for good: the task is blocked and payment_failed is published', async () => {
    const task = await run('ecommerce', 'order_fulfillment', {
      order: { ...ORDER.order, order_id: 'ord-3', payment_token: 'tok_declined' },
    });
    expect(task.state).toBe('blocked_by_failures');
    const charge = stepOf(task, 'charge_payment');
    expect([charge.state, charge.attempts]).toEqual(['error', 1]);
    expect(charge.lastError).toMatchObject({ error_type: 'handler_error', retryable: false, code: 'card_declined' });
    expect(stepOf(task, 'ship_order').state).toBe('pending');
    expect(runtime.domainEvents(task.taskUuid).map((e) => [e.name, e.outcome])).toEqual([
      ['ecommerce.payment_failed', 'permanent_failure'],
    ]);
  });

  it('refuses a context that fails the input_schema, naming every problem, and creates nothing', async () => {
    const result = await runtime.createTask({
      namespace: 'ecommerce',
      name: 'order_fulfillment',
      context: { order: { order_id: '', customer: { email: 'x' }, items: [] } },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('invalid_context');
    expect(result.problems).toHaveLength(3);
  });
});

describe('embedded runtime: the DAG patterns', () => {
  it('runs linear, diamond, tree and mixed to completion with data flowing along every edge', async () => {
    const [lin, diamond, tree, mixed] = await Promise.all(
      ['linear_workflow', 'diamond_workflow', 'tree_workflow', 'mixed_dag_workflow'].map((name) =>
        run('patterns', name, { even_number: 2 }),
      ),
    );
    for (const task of [lin, diamond, tree, mixed]) {
      expect(task!.state).toBe('complete');
      expect(task!.steps.every((s) => s.state === 'complete' && s.attempts === 1)).toBe(true);
    }
    expect(stepOf(lin!, 'linear_step_4').results).toMatchObject({ value: 65_536 });
    expect(stepOf(diamond!, 'diamond_end').results).toEqual({
      value: 256,
      from: ['diamond_branch_b', 'diamond_branch_c'],
    });
    expect(stepOf(tree!, 'tree_final_convergence').results).toMatchObject({ value: 256 ** 4 });
    expect(stepOf(mixed!, 'dag_finalize').results).toEqual({
      value: 768,
      from: ['dag_analyze', 'dag_transform', 'dag_validate'],
    });
    expect(runtime.domainEvents(diamond!.taskUuid).map((e) => [e.name, e.step, e.outcome])).toEqual([
      ['patterns.diamond_completed', 'diamond_end', 'success'],
    ]);
  });

  it('a 4-step linear task goes from create to complete without waiting out a long poll (latency logged)', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const started = performance.now();
      const task = await run('tests', 'linear4', { i });
      samples.push(performance.now() - started);
      expect(task.state).toBe('complete');
    }
    console.info(
      `embedded runtime, 4-step linear task, create → complete: ${samples.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`,
    );
    // A runner that waited out its 20 s long poll between steps would take over a minute; this bound is generous, not a speed test.
    expect(Math.min(...samples)).toBeLessThan(20_000);
  });
});

describe('embedded runtime: failures', () => {
  it('a handler past its step timeout fails with handler_timeout (the deadline race in the real step handler)', async () => {
    const abortedBefore = sleepyAborted;
    const task = await run('tests', 'slow', {});
    expect(task.state).toBe('blocked_by_failures');
    const step = stepOf(task, 'sleepy');
    expect(step.state).toBe('error');
    // Cut by the race at the step's 1 s timeout (not a late return after the handler's 3 s), and the handler was told.
    expect(step.lastError).toMatchObject({ error_type: 'handler_timeout', code: 'step_timeout' });
    expect(String(step.lastError?.message)).not.toContain('returned after its deadline');
    expect(sleepyAborted).toBe(abortedBefore + 1);
  });

  it('a callable with no handler fails its step with handler_not_found, at once and for good', async () => {
    expect(runtime.missingCallables).toContainEqual({
      template: 'tests/orphan@1.0.0',
      step: 'lost',
      callable: 'tests.no_such_handler',
    });
    const task = await run('tests', 'orphan', {});
    expect(task.state).toBe('blocked_by_failures');
    const step = stepOf(task, 'lost');
    expect([step.state, step.attempts]).toEqual(['error', 1]);
    expect(step.lastError).toMatchObject({ error_type: 'handler_not_found' });
    expect(String(step.lastError?.message)).toContain('tests.no_such_handler');
    expect(progress.find((e) => e.taskUuid === task.taskUuid && e.type === 'step_failed')).toMatchObject({
      errorType: 'handler_not_found',
    });
  });

  it('an unparseable message on the dispatch queue goes to the poison queue with the reason, and leaves the dispatch queue', async () => {
    const memory = runtime.transport.memory!;
    const urls = runtime.transport.urls;
    const before = runtime.metrics().stepHandler.messagesDeleted;
    await memory.send(urls.dispatch!, [{ id: 'p', body: 'this is not JSON' }]);
    await expect.poll(() => memory.peekAll(urls.poison).length, { timeout: 5_000 }).toBe(1);
    const poison = poisonMessage.parse(JSON.parse(memory.peekAll(urls.poison)[0]!.body));
    expect(poison).toMatchObject({ error_code: 'unparseable_json', original_body: 'this is not JSON' });
    await expect.poll(() => runtime.metrics().stepHandler.messagesDeleted, { timeout: 2_000 }).toBe(before + 1);
    expect(memory.peekAll(urls.dispatch!)).toEqual([]);
    expect(memory.peekAll(urls.dispatchDlq!)).toEqual([]);
  });

  it("keeps each attempt's handler error with its stack (the step result carries only the message)", async () => {
    const task = await run('tests', 'throwing', {});
    expect([task.state, stepOf(task, 'boom').attempts]).toEqual(['blocked_by_failures', 2]);
    expect(stepOf(task, 'boom').lastError).not.toHaveProperty('stack');
    const failures = runtime.handlerFailures(task.taskUuid);
    expect(failures.map((f) => [f.stepName, f.attempt, f.message])).toEqual([
      ['boom', 1, 'boom'],
      ['boom', 2, 'boom'],
    ]);
    expect(failures[0]!.stack).toMatch(/^Error: boom\n\s+at throwBoom \(.*embedded-runtime\.test\.ts:\d+:\d+\)/);
  });

  it('tells which domain events were dropped and why: a result that fails the event schema completes the step, the event is parked', async () => {
    const task = await run('tests', 'bad_event', {});
    expect(task.state).toBe('complete');
    expect(runtime.domainEvents(task.taskUuid)).toEqual([]);
    expect(runtime.droppedDomainEvents(task.taskUuid)).toEqual([
      {
        taskUuid: task.taskUuid,
        stepName: 'emit',
        eventName: 'tests.emitted',
        eventId: expect.any(String),
        code: 'schema_mismatch',
        reason: expect.stringContaining('/count must be integer'),
      },
    ]);
  });

  it('waitForTask gives up with TaskWaitTimeoutError naming the last state', async () => {
    const created = await runtime.createTask({
      namespace: 'tests',
      name: 'slow',
      context: { wait: true },
      identity_strategy: 'always_unique',
    });
    if (!created.ok) throw new Error('refused');
    const error = await runtime.waitForTask(created.taskUuid, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskWaitTimeoutError);
    expect((error as TaskWaitTimeoutError).lastState).toBe('steps_in_process');
    await runtime.waitForTask(created.taskUuid, { timeoutMs: 5_000 });
  });
});

describe('embedded runtime: the runners as deployed', () => {
  it('ran the Lambdas with the deployed settings: no throttle, concurrency within the reserved 10, the sweeper on its interval', () => {
    const m = runtime.metrics();
    expect(runtime.settings.stepHandler).toMatchObject({
      reservedConcurrency: 10,
      maxConcurrency: 10,
      batchSize: 1,
      timeoutMs: 30_000,
    });
    expect(runtime.settings.completion).toMatchObject({ batchSize: 10, maxConcurrency: 5 });
    expect(m.stepHandler.throttles + m.completion.throttles).toBe(0);
    expect(m.stepHandler.timeouts + m.completion.timeouts).toBe(0);
    expect(m.stepHandler.peakConcurrency).toBeGreaterThan(1);
    expect(m.stepHandler.peakConcurrency).toBeLessThanOrEqual(10);
    expect(m.stepHandler.batchSizes.every((n) => n === 1)).toBe(true);
    expect(m.sweeps.runs).toBeGreaterThan(0);
    expect(m.sweeps.failures).toBe(0);
  });
});

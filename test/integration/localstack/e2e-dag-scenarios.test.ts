import { Duration } from 'aws-cdk-lib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import orderHandlers from '../../../examples/order-workflow/handlers.js';
import patternHandlers from '../../../examples/patterns/handlers.js';
import { SqsQueue } from '../../../lib/adapters/sqs/sqs-queue.js';
import type { CreateTaskRequestInput } from '../../../lib/contracts/create-task-request.js';
import { stepDispatchMessage } from '../../../lib/contracts/step-dispatch-message.js';
import { createTask } from '../../../lib/orchestration/create-task.js';
import type { OutgoingMessage, QueueSender } from '../../../lib/ports/message-queue.js';
import type { TaskView } from '../../../lib/ports/orchestration-store.js';
import { createSqsClient } from '../../../lib/lambda/aws-clients.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../../../lib/local/embedded-runtime.js';
import { loadTemplateDirectoryOrThrow } from '../../../lib/adapters/templates/template-files.js';
import { PermanentError, RetryableError, type HandlerMap } from '../../../lib/worker/handler-api.js';
import { describeLocalstack } from '../../helpers/localstack.js';
import { EventCapture } from '../../helpers/localstack-capture.js';
import { HandlerProbe } from '../../helpers/localstack-probe.js';
import { createLocalstackStack, synthesizeEngine, type LocalstackStack } from '../../helpers/localstack-stack.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * The engine end to end on LocalStack: queues, bus and rules created from the synthesized
 * TaskerEngine (default pool, a cap of 5 handlers, 2 s handler timeout with a 1 s safety margin),
 * the REAL step-handler and completion Lambdas run by the embedded runtime over SQS and
 * EventBridge with the Lambda settings read from the same template, orchestration on PostgreSQL.
 * Domain and lifecycle events are asserted as a rule delivered them to the capture queue.
 */

const CAP = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const testHandlers: HandlerMap = {
  'tests.flaky': ({ attempt }) => {
    if (attempt < 3) throw new RetryableError(`flaky dependency down (attempt ${attempt})`);
    return { succeeded_on: attempt };
  },
  'tests.always_fails': ({ attempt }) => {
    throw new Error(`dependency down (attempt ${attempt})`);
  },
  'tests.bad': () => {
    throw new PermanentError('refused for good', { code: 'refused' });
  },
  'tests.good': async () => {
    await sleep(400);
    return { good: true };
  },
  'tests.after_good': () => ({ after: true }),
  // Ignores its abort signal: the deadline race in the step handler must still answer on time.
  'tests.stuck': async () => {
    await sleep(2_500);
    return { late: true };
  },
  'tests.dup': async ({ step }) => {
    await sleep(150);
    return { event_id: step.eventId };
  },
  'tests.burst': async ({ context }) => {
    await sleep(20);
    return { i: context.i };
  },
};

const templates = [
  buildTemplate({
    name: 'flaky',
    steps: [
      {
        name: 'flaky',
        retry: { maxAttempts: 3 },
        events: [
          { name: 'tests.flaky_retrying', condition: 'retryable_failure' },
          { name: 'tests.flaky_done', condition: 'success' },
        ],
      },
    ],
  }),
  buildTemplate({
    name: 'exhaust',
    steps: [
      {
        name: 'always_fails',
        retry: { maxAttempts: 3 },
        events: [{ name: 'tests.exhaust_failed', condition: 'failure' }],
      },
    ],
  }),
  buildTemplate({
    name: 'blocked',
    steps: [{ name: 'bad', retry: { maxAttempts: 3 } }, { name: 'good' }, { name: 'after_good', deps: ['good'] }],
  }),
  buildTemplate({ name: 'timeout', steps: [{ name: 'stuck', timeoutSeconds: 1, retry: { maxAttempts: 2 } }] }),
  buildTemplate({
    name: 'orphan',
    steps: [{ name: 'lost', callable: 'tests.no_such_handler', retry: { maxAttempts: 3 } }],
  }),
  buildTemplate({ name: 'dup', steps: [{ name: 'dup', events: [{ name: 'tests.dup_done', condition: 'success' }] }] }),
  buildTemplate({
    name: 'many',
    steps: [
      { name: 'burst_a', callable: 'tests.burst' },
      { name: 'burst_b', callable: 'tests.burst', deps: ['burst_a'] },
    ],
  }),
];

await describeLocalstack(
  'end to end on LocalStack: DAG shapes, retries, failures, duplicates, a concurrency cap',
  () => {
    let stack: LocalstackStack;
    let database: TestDatabase | undefined;
    let runtime: EmbeddedRuntime;
    let capture: EventCapture;
    const logger = new RecordingLogger();
    const probe = new HandlerProbe();

    beforeAll(async () => {
      const synth = synthesizeEngine({
        maxConcurrentHandlers: CAP,
        handlerTimeout: Duration.seconds(2),
        deadlineSafetyMargin: Duration.seconds(1),
        completion: { timeout: Duration.seconds(5) },
      });
      stack = await createLocalstackStack(synth, { prefix: 'e2e-dag' });
      capture = new EventCapture(stack.capture.url);
      // With DATABASE_URL a fresh database on that server; without it the runtime starts its own PGlite.
      database = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
      runtime = await startEmbeddedRuntime({
        templates: [...(await loadTemplateDirectoryOrThrow('examples')), ...templates],
        handlers: probe.wrap({ ...orderHandlers, ...patternHandlers, ...testHandlers }),
        databaseUrl: database?.connectionString ?? null,
        transport: 'aws',
        settings: { stackTemplate: stack.template, sweepIntervalMs: 500 },
        // The failure scenarios look at the blocked state: tasks stay blocked for an hour instead of failing once nothing
        // is in flight (the default: test/integration/postgres/blocked-tasks.test.ts).
        blockedTaskGraceMs: 3_600_000,
        env: stack.env,
        logger,
      });
    }, 90_000);

    afterAll(async () => {
      await runtime?.stop();
      await capture?.stop();
      await database?.close();
      await stack?.teardown();
    }, 60_000);

    async function run(
      namespace: string,
      name: string,
      context: Record<string, unknown>,
      timeoutMs = 20_000,
    ): Promise<TaskView> {
      const created = await runtime.createTask({ namespace, name, context, identity_strategy: 'always_unique' });
      if (!created.ok) throw new Error(`refused: ${created.message} ${created.problems.join('; ')}`);
      return runtime.waitForTask(created.taskUuid, { timeoutMs });
    }

    const stepOf = (task: TaskView, name: string) => {
      const step = task.steps.find((s) => s.name === name);
      if (!step) throw new Error(`no step ${name}`);
      return step;
    };
    const states = (task: TaskView) => Object.fromEntries(task.steps.map((s) => [s.name, [s.state, s.attempts]]));

    it('takes the Lambda and queue settings from the synthesized template', () => {
      expect(runtime.transport.kind).toBe('aws');
      expect(runtime.settings.stepHandler).toMatchObject({
        timeoutMs: 2_000,
        reservedConcurrency: CAP,
        maxConcurrency: CAP,
        batchSize: 1,
        reportBatchItemFailures: true,
      });
      expect(runtime.settings.dispatchQueue).toEqual({ visibilityTimeoutSeconds: 12, maxReceiveCount: 5 });
      expect(runtime.settings.safetyMarginMs).toBe(1_000);
      expect(runtime.transport.urls.dispatch).toBe(stack.queue('dispatch').url);
      expect(runtime.transport.urls.completion).toBe(stack.queue('completion').url);
    });

    it('linear (4 steps), diamond, tree with a 4-way fan-in and the mixed DAG complete, data flowing along every edge', async () => {
      const [linear, diamond, tree, mixed] = await Promise.all(
        ['linear_workflow', 'diamond_workflow', 'tree_workflow', 'mixed_dag_workflow'].map((name) =>
          run('patterns', name, { even_number: 2 }),
        ),
      );
      for (const task of [linear!, diamond!, tree!, mixed!]) {
        expect(task.state).toBe('complete');
        expect(
          task.steps
            .map((s) => [s.name, s.state, s.attempts])
            .filter(([, state, attempts]) => state !== 'complete' || attempts !== 1),
        ).toEqual([]);
        expect(probe.runsOfTask(task.taskUuid)).toHaveLength(task.steps.length);
      }
      expect(linear!.steps).toHaveLength(4);
      expect(stepOf(linear!, 'linear_step_4').results).toEqual({ value: 65_536, from: ['linear_step_3'] });
      expect(stepOf(diamond!, 'diamond_end').results).toEqual({
        value: 256,
        from: ['diamond_branch_b', 'diamond_branch_c'],
      });
      expect(stepOf(tree!, 'tree_final_convergence').results).toEqual({
        value: 256 ** 4,
        from: ['tree_leaf_d', 'tree_leaf_e', 'tree_leaf_f', 'tree_leaf_g'],
      });
      expect(stepOf(mixed!, 'dag_finalize').results).toEqual({
        value: 768,
        from: ['dag_analyze', 'dag_transform', 'dag_validate'],
      });
      await capture.waitFor(
        (c) => c.domainEvents(diamond!.taskUuid).length >= 1 && c.lifecycleEvents(mixed!.taskUuid).length >= 1,
        10_000,
      );
      const diamondEvents = capture.domainEvents(diamond!.taskUuid);
      expect(
        diamondEvents.map((e) => [e.source, e.detailType, e.envelope.metadata.step_name, e.envelope.metadata.outcome]),
      ).toEqual([['tasker.patterns', 'patterns.diamond_completed', 'diamond_end', 'success']]);
      expect(diamondEvents[0]!.envelope.payload).toMatchObject({ value: 256 });
      for (const task of [linear!, tree!, mixed!]) expect(capture.domainEvents(task.taskUuid)).toEqual([]);
      expect(capture.lifecycleEvents(mixed!.taskUuid).map((e) => [e.event_name, e.state])).toEqual([
        ['task.completed', 'complete'],
      ]);
    }, 40_000);

    it('retry then succeed: two retryable failures, then success on attempt 3, with an event for each outcome', async () => {
      const task = await run('tests', 'flaky', {});
      expect(task.state).toBe('complete');
      expect(states(task)).toEqual({ flaky: ['complete', 3] });
      expect(stepOf(task, 'flaky').results).toEqual({ succeeded_on: 3 });
      const runs = probe.runsOfTask(task.taskUuid);
      expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
      expect(new Set(runs.map((r) => r.eventId)).size).toBe(3);
      await capture.waitFor((c) => c.domainEvents(task.taskUuid).length >= 3, 10_000);
      const events = capture
        .domainEvents(task.taskUuid)
        .map((e) => [e.detailType, e.envelope.metadata.attempt, e.envelope.metadata.outcome]);
      expect(events.sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
        ['tests.flaky_retrying', 1, 'retryable_failure'],
        ['tests.flaky_retrying', 2, 'retryable_failure'],
        ['tests.flaky_done', 3, 'success'],
      ]);
    }, 30_000);

    it('retry exhaustion: three failures leave the step in error with the last error, and the task blocked', async () => {
      const task = await run('tests', 'exhaust', {});
      expect(task.state).toBe('blocked_by_failures');
      const step = stepOf(task, 'always_fails');
      expect([step.state, step.attempts, step.results]).toEqual(['error', 3, null]);
      expect(step.lastError).toMatchObject({
        error_type: 'handler_error',
        retryable: true,
        message: 'dependency down (attempt 3)',
      });
      expect(probe.runsOfTask(task.taskUuid).map((r) => r.attempt)).toEqual([1, 2, 3]);
      await capture.waitFor(
        (c) => c.domainEvents(task.taskUuid).length >= 3 && c.lifecycleEvents(task.taskUuid).length >= 1,
        10_000,
      );
      const outcomes = capture
        .domainEvents(task.taskUuid)
        .map((e) => [e.envelope.metadata.attempt, e.envelope.metadata.outcome]);
      expect(outcomes.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
        [1, 'retryable_failure'],
        [2, 'retryable_failure'],
        [3, 'permanent_failure'],
      ]);
      expect(capture.lifecycleEvents(task.taskUuid).map((e) => e.event_name)).toEqual(['task.blocked_by_failures']);
    }, 30_000);

    it('a permanent failure beside a ready branch: blocked_by_failures wins, the ready step is never dispatched', async () => {
      const blocked = await run('tests', 'blocked', {});
      expect(blocked.state).toBe('blocked_by_failures');
      // `good` was running when `bad` failed: its result is still applied, which makes `after_good` ready.
      await expect
        .poll(async () => stepOf((await runtime.getTask(blocked.taskUuid))!, 'good').state, { timeout: 5_000 })
        .toBe('complete');
      const task = (await runtime.getTask(blocked.taskUuid))!;
      expect(states(task)).toEqual({ bad: ['error', 1], good: ['complete', 1], after_good: ['pending', 0] });
      expect(stepOf(task, 'bad').lastError).toMatchObject({
        error_type: 'handler_error',
        retryable: false,
        code: 'refused',
      });
      expect(stepOf(task, 'good').results).toEqual({ good: true });
      const ctx = await runtime.orchestration.store.executionContext(task.taskUuid);
      expect(ctx).toMatchObject({ readySteps: 1, failedSteps: 1, executionStatus: 'blocked_by_failures' });
      await sleep(1_000);
      expect(
        probe
          .runsOfTask(task.taskUuid)
          .map((r) => r.stepName)
          .sort(),
      ).toEqual(['bad', 'good']);
      expect((await runtime.getTask(task.taskUuid))?.state).toBe('blocked_by_failures');
    }, 30_000);

    it('a handler past its deadline fails with handler_timeout on every attempt, answered on time despite ignoring its signal', async () => {
      const started = Date.now();
      const task = await run('tests', 'timeout', {});
      expect(task.state).toBe('blocked_by_failures');
      const step = stepOf(task, 'stuck');
      expect([step.state, step.attempts]).toEqual(['error', 2]);
      expect(step.lastError).toMatchObject({ error_type: 'handler_timeout', retryable: true });
      // Two attempts of 1 s each; a handler that ran to its own end would take 2 x 2.5 s.
      expect(Date.now() - started).toBeLessThan(4_500);
      expect(probe.runsOfTask(task.taskUuid)).toHaveLength(2);
    }, 30_000);

    it('an unknown handler fails its step with handler_not_found at once and for good', async () => {
      const task = await run('tests', 'orphan', {});
      expect(task.state).toBe('blocked_by_failures');
      const step = stepOf(task, 'lost');
      expect([step.state, step.attempts]).toEqual(['error', 1]);
      expect(step.lastError).toMatchObject({ error_type: 'handler_not_found', retryable: false });
      expect(String(step.lastError?.message)).toContain('tests.no_such_handler');
      expect(probe.runsOfTask(task.taskUuid)).toEqual([]);
    }, 30_000);

    it('a dispatch message delivered twice runs the handler twice, applies the step once and refuses the second result as duplicate', async () => {
      const sent: { url: string; message: OutgoingMessage }[] = [];
      const tee: QueueSender = {
        async send(url, messages) {
          const outcome = await runtime.orchestration.queues.send(url, messages);
          sent.push(...messages.map((message) => ({ url, message })));
          return outcome;
        },
      };
      const created = await createTask({ ...runtime.orchestration, queues: tee }, {
        namespace: 'tests',
        name: 'dup',
        context: {},
        identity_strategy: 'always_unique',
      } satisfies CreateTaskRequestInput);
      if (!created.ok) throw new Error(created.message);
      expect(sent).toHaveLength(1);
      const { url, message } = sent[0]!;
      expect(url).toBe(stack.queue('dispatch').url);
      const dispatch = stepDispatchMessage.parse(JSON.parse(message.body));
      const client = createSqsClient();
      try {
        expect((await new SqsQueue(client).send(url, [{ id: 'copy', body: message.body }])).failed).toEqual([]);
      } finally {
        client.destroy();
      }
      const task = await runtime.waitForTask(created.taskUuid, { timeoutMs: 15_000 });
      expect(task.state).toBe('complete');
      expect(states(task)).toEqual({ dup: ['complete', 1] });
      expect(stepOf(task, 'dup').results).toEqual({ event_id: dispatch.event_id });
      await expect.poll(() => probe.runsOf(dispatch.event_id).length, { timeout: 10_000 }).toBe(2);
      const refused = () => logger.find('step result refused').filter((e) => e.fields.event_id === dispatch.event_id);
      await expect.poll(() => refused().length, { timeout: 10_000 }).toBe(1);
      expect(refused()[0]!.fields).toMatchObject({ refusal: 'duplicate', task_uuid: task.taskUuid });
      expect(logger.find('step result applied').filter((e) => e.fields.event_id === dispatch.event_id)).toHaveLength(1);
      const transitions = (await runtime.transitions(task.taskUuid)).filter(
        (t) => t.entity === 'step' && t.toState === 'complete',
      );
      expect(transitions).toHaveLength(1);
    }, 30_000);

    it(`200 concurrent tasks under a cap of ${CAP}: observed peak <= ${CAP}, every task complete, nothing dead-lettered`, async () => {
      const before = runtime.metrics().stepHandler;
      const uuids: string[] = [];
      for (let i = 0; i < 200; i += 25) {
        const batch = await Promise.all(
          Array.from({ length: 25 }, (_, k) =>
            runtime.createTask({
              namespace: 'tests',
              name: 'many',
              context: { i: i + k },
              identity_strategy: 'always_unique',
            }),
          ),
        );
        for (const created of batch) {
          if (!created.ok) throw new Error(created.message);
          uuids.push(created.taskUuid);
        }
      }
      const tasks = await Promise.all(uuids.map((uuid) => runtime.waitForTask(uuid, { timeoutMs: 90_000 })));
      expect(tasks.filter((t) => t.state !== 'complete').map((t) => [t.taskUuid, t.state])).toEqual([]);
      expect(tasks.flatMap((t) => t.steps).filter((s) => s.state !== 'complete' || s.attempts !== 1)).toEqual([]);
      expect(tasks.map((t) => (stepOf(t, 'burst_b').results as { i: number }).i).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 200 }, (_, i) => i),
      );
      const metrics = runtime.metrics().stepHandler;
      const mine = new Set(uuids);
      const handlersAtOnce = HandlerProbe.overlap(probe.runs.filter((r) => mine.has(r.taskUuid)));
      expect(metrics.peakConcurrency).toBeLessThanOrEqual(CAP);
      expect(handlersAtOnce).toBeLessThanOrEqual(CAP);
      expect(handlersAtOnce).toBeGreaterThan(1);
      expect(metrics.throttles).toBe(0);
      expect(metrics.invocations - before.invocations).toBeGreaterThanOrEqual(400);
      expect(Object.values(await stack.deadLetterDepths()).reduce((a, b) => a + b, 0)).toBe(0);
      for (const label of ['dispatch', 'completion'])
        expect(await stack.depth(label)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      console.info(
        `200 tasks (400 steps) under a cap of ${CAP}: peak ${metrics.peakConcurrency} invocations (runner), ${handlersAtOnce} handlers (observed in the handlers)`,
      );
    }, 120_000);
  },
);

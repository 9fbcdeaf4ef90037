import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import patternHandlers from '../../../examples/patterns/handlers.js';
import { EventBridgeBus } from '../../../lib/adapters/eventbridge/eventbridge-bus.js';
import { SqsQueue } from '../../../lib/adapters/sqs/sqs-queue.js';
import { ENV } from '../../../lib/contracts/runtime-config.js';
import type { TaskView } from '../../../lib/ports/orchestration-store.js';
import { createEventBridgeClient, createSqsClient } from '../../../lib/lambda/aws-clients.js';
import { loadTemplateDirectoryOrThrow } from '../../../lib/adapters/templates/template-files.js';
import type { PolledStepEvent } from '../../../lib/worker/pull/step-event.js';
import { PullWorker } from '../../../lib/worker/pull/pull-worker.js';
import type { HandlerMap } from '../../../lib/worker/handler-api.js';
import { describeLocalstack } from '../../helpers/localstack.js';
import { EventCapture } from '../../helpers/localstack-capture.js';
import { startLocalstackEngine, type LocalstackEngine } from '../../helpers/localstack-engine.js';
import { HandlerProbe, RecordingQueue } from '../../helpers/localstack-probe.js';
import { createLocalstackStack, synthesizeEngine, type LocalstackStack } from '../../helpers/localstack-stack.js';
import { WorkerProcesses, type WorkerChild } from '../../helpers/localstack-workers.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * Worker pools on LocalStack, from one synthesized TaskerEngine with three pools: `patterns` and
 * `burst` on step-handler Lambdas of their own (caps 3 and 2), `pullwork` on pull workers
 * (`tasker worker` child processes with the pool's environment from the template; visibility 6 s).
 * A task may mix pools: a step's `namespace` names the pool that runs it.
 */

const PATTERNS_CAP = 3;
const BURST_CAP = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const lambdaHandlers: HandlerMap = {
  ...patternHandlers,
  'burst.nap': async ({ context }) => {
    await sleep(150);
    return { i: context.i };
  },
};

/**
 * One task whose steps two pools run: the `patterns` Lambda pool (the task's namespace) and the
 * `pullwork` pull workers (the steps' `namespace`). Lambda → pull fan-out, pull → Lambda fan-in,
 * pull → pull, and a final fan-in from both kinds. With even_number 2 it ends at 768.
 */
const pulled = { callable: 'pullwork.signed_square', namespace: 'pullwork' };
const MIXED_POOLS = buildTemplate({
  namespace: 'patterns',
  name: 'mixed_pools',
  steps: [
    { name: 'init', callable: 'patterns.square' },
    { name: 'left', deps: ['init'], ...pulled },
    { name: 'right', deps: ['init'], ...pulled },
    { name: 'validate', deps: ['left', 'right'], callable: 'patterns.multiply' },
    { name: 'transform', deps: ['left'], ...pulled },
    { name: 'analyze', deps: ['right'], callable: 'patterns.square' },
    { name: 'finalize', deps: ['validate', 'transform', 'analyze'], callable: 'patterns.add' },
  ].map((step) => ({ ...step, timeoutSeconds: 10 })),
});
const LAMBDA_STEPS = ['analyze', 'finalize', 'init', 'validate'];
const PULL_STEPS = ['left', 'right', 'transform'];

const only = <T>(names: readonly string[], value: T): Record<string, T> =>
  Object.fromEntries(names.map((name) => [name, value]));
const byStep = (task: TaskView, pick: (step: TaskView['steps'][number]) => unknown) =>
  Object.fromEntries(task.steps.map((s) => [s.name, pick(s)]));

/**
 * Every message a RecordingQueue's receive hands out (to the engine's Lambda runners), with the queue it came from.
 * Installed on the prototype before the engine starts, so that no long poll of a runner begun earlier can hand out a
 * message unseen: on a loaded machine, LocalStack answered such polls seconds late.
 */
function recordReceives(): {
  messages: { queueUrl: string; body: Record<string, unknown> }[];
  restore(): void;
} {
  const messages: { queueUrl: string; body: Record<string, unknown> }[] = [];
  const receive = RecordingQueue.prototype.receive;
  const spy = vi.spyOn(RecordingQueue.prototype, 'receive').mockImplementation(async function (
    this: RecordingQueue,
    queueUrl,
    options,
  ) {
    const received = await receive.call(this, queueUrl, options);
    messages.push(...received.map((m) => ({ queueUrl, body: JSON.parse(m.body) as Record<string, unknown> })));
    return received;
  });
  return { messages, restore: () => spy.mockRestore() };
}

await describeLocalstack('end to end on LocalStack: Lambda and pull worker pools', () => {
  let stack: LocalstackStack;
  let database: TestDatabase;
  let engine: LocalstackEngine;
  let capture: EventCapture;
  let markers: string;
  const workers = new WorkerProcesses();
  const logger = new RecordingLogger();
  const probe = new HandlerProbe();
  let receives: ReturnType<typeof recordReceives>;

  beforeAll(async () => {
    const synth = synthesizeEngine({
      handlerTimeout: Duration.seconds(2),
      deadlineSafetyMargin: Duration.millis(500),
      completion: { timeout: Duration.seconds(5) },
      workerPools: {
        patterns: { kind: 'lambda', maxConcurrentHandlers: PATTERNS_CAP },
        burst: { kind: 'lambda', maxConcurrentHandlers: BURST_CAP },
        pullwork: {
          kind: 'pull',
          visibilityTimeout: Duration.seconds(6),
          handlerTimeout: Duration.seconds(20),
          maxConcurrentHandlers: 4,
        },
      },
    });
    stack = await createLocalstackStack(synth, { prefix: 'e2e-pools' });
    capture = new EventCapture(stack.capture.url);
    database = await createTestDatabase();
    const patterns = await loadTemplateDirectoryOrThrow('examples/patterns/templates');
    const templates = [
      ...patterns,
      MIXED_POOLS,
      buildTemplate({
        namespace: 'pullwork',
        name: 'held',
        steps: [{ name: 'held', callable: 'pullwork.hold', timeoutSeconds: 10, retry: { maxAttempts: 3 } }],
      }),
      buildTemplate({
        namespace: 'pullwork',
        name: 'direct',
        steps: [
          {
            name: 'direct',
            callable: 'pullwork.direct',
            events: [{ name: 'pullwork.direct_done', condition: 'success' }],
          },
        ],
      }),
      buildTemplate({ namespace: 'burst', name: 'flood', steps: [{ name: 'nap', callable: 'burst.nap' }] }),
    ];
    receives = recordReceives();
    engine = await startLocalstackEngine({
      stack,
      database,
      templates,
      handlers: lambdaHandlers,
      logger,
      probe,
      sweepIntervalMs: 500,
    });
    markers = mkdtempSync(join(tmpdir(), 'tasker-e2e-pools-'));
  }, 90_000);

  afterEach(async () => {
    rmSync(join(markers, 'hold'), { force: true });
    await workers.stopAll();
  }, 30_000);

  afterAll(async () => {
    await workers.stopAll();
    await engine?.stop();
    receives?.restore();
    await capture?.stop();
    await database?.close();
    await stack?.teardown();
    if (markers) rmSync(markers, { recursive: true, force: true });
  }, 60_000);

  /** The pull pool's environment as the template gives it, the AWS endpoint and credentials, and no database. */
  function workerEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...stack.pullEnv('pullwork'),
      TASKER_E2E_MARKER_DIR: markers,
      LOG_LEVEL: 'warn',
      NO_COLOR: '1',
    };
    delete env.DATABASE_URL;
    return env;
  }

  function startWorker(extra: string[] = []): WorkerChild {
    return workers.spawnWorker(
      ['--namespace', 'pullwork', '--handlers', 'test/fixtures/workers/pull-handlers.ts', ...extra],
      workerEnv(),
    );
  }

  /** `started-<pid>-<step_uuid>` markers written by the hold handler. */
  function starters(stepUuid: string): number[] {
    return readdirSync(markers)
      .filter((f) => f.startsWith('started-') && f.endsWith(`-${stepUuid}`))
      .map((f) => Number(f.split('-')[1]));
  }

  async function stepUuidOf(taskUuid: string, name: string): Promise<string> {
    const task = await engine.store.getTask(taskUuid);
    return task!.steps.find((s) => s.name === name)!.stepUuid;
  }

  /** The worker (`kind`, `worker_id`) whose result completed each step, by step name. */
  async function completedBy(task: TaskView): Promise<Record<string, unknown>> {
    const completions = (await engine.store.transitions(task.taskUuid)).filter(
      (t) => t.entity === 'step' && t.toState === 'complete',
    );
    return Object.fromEntries(
      completions.map((t) => [task.steps.find((s) => s.stepUuid === t.uuid)!.name, t.metadata.worker]),
    );
  }

  it("the pool environment names the pool's own queue, the engine's queues and the pool's timings", () => {
    const env = stack.pullEnv('pullwork');
    expect(JSON.parse(env[ENV.namespaceQueueUrls]!)).toEqual({ pullwork: stack.queue('dispatch-pullwork').url });
    expect(env).toMatchObject({
      [ENV.completionQueueUrl]: stack.queue('completion').url,
      [ENV.poisonQueueUrl]: stack.queue('poison').url,
      [ENV.eventBusName]: stack.busName,
      [ENV.completionTimeoutMs]: '20000',
    });
    expect([...engine.stepHandlers.keys()].sort()).toEqual(['burst', 'patterns']);
    expect(engine.stepHandlers.get('patterns')!.settings).toMatchObject({
      reservedConcurrency: PATTERNS_CAP,
      maxConcurrency: PATTERNS_CAP,
      timeoutMs: 2_000,
    });
    expect(engine.stepHandlers.get('patterns')!.queueUrls).toEqual([stack.queue('dispatch-patterns').url]);
  });

  it('one task, a mixed DAG: its Lambda steps run on the Lambda pool, its pull steps on pull workers, and results cross between them', async () => {
    const worker = startWorker(['--concurrency', '3']);
    await worker.waitForStdout(/tasker worker: namespace pullwork/, 20_000);
    const uuid = await engine.createTask({ namespace: 'patterns', name: 'mixed_pools', context: { even_number: 2 } });
    const task = await engine.waitForTask(uuid, 30_000);
    expect(task.state).toBe('complete');
    expect(task.steps.filter((s) => s.state !== 'complete' || s.attempts !== 1)).toEqual([]);
    expect(byStep(task, (s) => s.namespace)).toEqual({
      ...only(LAMBDA_STEPS, 'patterns'),
      ...only(PULL_STEPS, 'pullwork'),
    });
    // Each pull step was run by the worker process, from a message naming the pull pool; results flow both ways across.
    const signed = { ran_by: { pid: worker.pid, namespace: 'pullwork' } };
    expect(byStep(task, (s) => s.results)).toEqual({
      init: { value: 4, from: ['context.even_number'] },
      left: { value: 16, from: ['init'], ...signed },
      right: { value: 16, from: ['init'], ...signed },
      validate: { value: 256, from: ['left', 'right'] },
      transform: { value: 256, from: ['left'], ...signed },
      analyze: { value: 256, from: ['right'] },
      finalize: { value: 768, from: ['analyze', 'transform', 'validate'] },
    });
    // Who completed each step, as orchestration recorded it.
    const lambda = { kind: 'lambda', worker_id: expect.stringMatching(/^step-handler-patterns\//) };
    const pull = { kind: 'pull', worker_id: expect.stringMatching(new RegExp(`:${worker.pid}$`)) };
    expect(await completedBy(task)).toEqual({ ...only(LAMBDA_STEPS, lambda), ...only(PULL_STEPS, pull) });
    // The Lambda pool's queue received exactly the Lambda steps (each message naming its pool); the Lambda handlers ran only those.
    const dispatched = receives.messages.filter(
      (m) => m.body.task_uuid === uuid && m.queueUrl !== stack.queue('completion').url,
    );
    expect(dispatched.map((m) => [m.queueUrl, m.body.step_name, m.body.namespace]).sort()).toEqual(
      LAMBDA_STEPS.map((name) => [stack.queue('dispatch-patterns').url, name, 'patterns']),
    );
    expect(
      probe
        .runsOfTask(uuid)
        .map((r) => [r.stepName, r.runner, r.namespace])
        .sort(),
    ).toEqual(LAMBDA_STEPS.map((name) => [name, 'patterns', 'patterns']));
    for (const label of ['dispatch-patterns', 'dispatch-pullwork'])
      expect(await stack.depth(label)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  }, 60_000);

  it('PullWorker.complete twice: the first is accepted, the second returns false; the step is applied once', async () => {
    const sqsClient = createSqsClient();
    const eventsClient = createEventBridgeClient();
    const queue = new RecordingQueue(new SqsQueue(sqsClient), stack.queue('completion').url);
    const workerLogger = new RecordingLogger();
    const worker = new PullWorker({
      dispatch: queue,
      queue,
      bus: new EventBridgeBus(eventsClient, stack.busName),
      clock: { now: () => new Date() },
      logger: workerLogger,
      config: {
        dispatchQueueUrl: stack.queue('dispatch-pullwork').url,
        completionQueueUrl: stack.queue('completion').url,
        poisonQueueUrl: stack.queue('poison').url,
        domainEventDlqUrl: stack.queue('domain-event-dlq').url,
        workerId: 'e2e-direct',
        visibilityTimeoutSeconds: 6,
      },
    });
    try {
      const uuid = await engine.createTask({ namespace: 'pullwork', name: 'direct', context: {} });
      let event: PolledStepEvent | null = null;
      for (const deadline = Date.now() + 10_000; event === null && Date.now() < deadline; ) event = await worker.poll();
      expect(event).toMatchObject({ task_uuid: uuid, step_name: 'direct', receive_count: 1 });
      expect(await worker.complete(event!.event_id, { status: 'success', result: { answered_by: 'e2e-direct' } })).toBe(
        true,
      );
      expect(
        await worker.complete(event!.event_id, { status: 'success', result: { answered_by: 'a second call' } }),
      ).toBe(false);
      expect(workerLogger.find('complete refused').map((e) => e.fields.reason)).toEqual(['already_completed']);
      const task = await engine.waitForTask(uuid, 15_000);
      expect(task.steps.map((s) => [s.state, s.attempts, s.results])).toEqual([
        ['complete', 1, { answered_by: 'e2e-direct' }],
      ]);
      expect(queue.completionSends.filter((s) => s.eventId === event!.event_id)).toHaveLength(1);
      await capture.waitFor((c) => c.domainEvents(uuid).length >= 1, 10_000);
      expect(capture.domainEvents(uuid).map((e) => [e.detailType, e.envelope.payload])).toEqual([
        ['pullwork.direct_done', { answered_by: 'e2e-direct' }],
      ]);
      expect(worker.metrics()).toMatchObject({ completed: 1, refusedCompletions: 1, pendingCount: 0 });
    } finally {
      await worker.close();
      sqsClient.destroy();
      eventsClient.destroy();
    }
  }, 30_000);

  it('a worker killed (SIGKILL) mid-handler: its step is redelivered (or timed out and retried) and the task still completes', async () => {
    writeFileSync(join(markers, 'hold'), '');
    const doomed = startWorker();
    const uuid = await engine.createTask({ namespace: 'pullwork', name: 'held', context: {} });
    const stepUuid = await stepUuidOf(uuid, 'held');
    await expect.poll(() => starters(stepUuid), { timeout: 20_000, interval: 100 }).toEqual([doomed.pid]);
    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    rmSync(join(markers, 'hold'));
    const survivor = startWorker();
    const task = await engine.waitForTask(uuid, 30_000);
    expect(task.state).toBe('complete');
    const step = task.steps[0]!;
    expect(step.state).toBe('complete');
    expect(step.results).toMatchObject({ pid: survivor.pid });
    expect(starters(stepUuid).sort()).toEqual([doomed.pid, survivor.pid].sort());
    const history = (await engine.store.transitions(uuid)).filter((t) => t.entity === 'step').map((t) => t.toState);
    // Redelivered after the 6 s visibility timeout: attempt 1 finished by the survivor. Timed out by the sweeper: attempt 2.
    if (step.attempts === 1) expect(history).not.toContain('waiting_for_retry');
    else expect([step.attempts, history.includes('waiting_for_retry')]).toEqual([2, true]);
    console.info(
      `SIGKILL mid-handler: the step completed on attempt ${step.attempts} (${step.attempts === 1 ? 'redelivered' : 'timed out and retried'})`,
    );
  }, 60_000);

  it('SIGTERM drains: the running handler finishes and is completed, nothing new is taken, and the worker exits 0', async () => {
    writeFileSync(join(markers, 'hold'), '');
    const draining = startWorker();
    const first = await engine.createTask({ namespace: 'pullwork', name: 'held', context: { n: 1 } });
    const firstStep = await stepUuidOf(first, 'held');
    await expect.poll(() => starters(firstStep), { timeout: 20_000, interval: 100 }).toEqual([draining.pid]);
    draining.child.kill('SIGTERM');
    const second = await engine.createTask({ namespace: 'pullwork', name: 'held', context: { n: 2 } });
    const secondStep = await stepUuidOf(second, 'held');
    await sleep(1_500);
    expect(draining.running()).toBe(true);
    expect((await engine.store.getTask(first))!.steps[0]!.state).toBe('enqueued');
    rmSync(join(markers, 'hold'));
    expect(await draining.exited).toEqual({ code: 0, signal: null });
    expect(draining.stdout()).toMatch(/drained=true finished=1 unfinished=0/);
    expect(draining.stderr()).not.toMatch(/still holds the event loop/);
    const firstTask = await engine.waitForTask(first, 10_000);
    expect(firstTask.steps.map((s) => [s.state, s.attempts, (s.results as { pid: number }).pid])).toEqual([
      ['complete', 1, draining.pid],
    ]);
    expect(starters(secondStep)).toEqual([]);
    expect((await engine.store.getTask(second))!.steps[0]!.state).toBe('enqueued');
    const next = startWorker();
    const secondTask = await engine.waitForTask(second, 20_000);
    expect(secondTask.steps.map((s) => [s.state, s.attempts, (s.results as { pid: number }).pid])).toEqual([
      ['complete', 1, next.pid],
    ]);
    next.child.kill('SIGTERM');
    expect(await next.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it("a burst on one namespace does not raise another namespace's concurrency or hold up its tasks", async () => {
    const started = Date.now();
    const flood = await Promise.all(
      Array.from({ length: 60 }, (_, i) => engine.createTask({ namespace: 'burst', name: 'flood', context: { i } })),
    );
    const quiet = await Promise.all(
      Array.from({ length: 3 }, () =>
        engine.createTask({ namespace: 'patterns', name: 'linear_workflow', context: { even_number: 2 } }),
      ),
    );
    const quietTasks = await Promise.all(quiet.map((uuid) => engine.waitForTask(uuid, 20_000)));
    const quietDoneMs = Date.now() - started;
    const floodPendingWhenQuietDone = (await Promise.all(flood.map((uuid) => engine.store.getTask(uuid)))).filter(
      (t) => t!.state !== 'complete',
    ).length;
    const floodTasks = await Promise.all(flood.map((uuid) => engine.waitForTask(uuid, 60_000)));
    const floodDoneMs = Date.now() - started;
    expect(quietTasks.map((t) => t.state)).toEqual(['complete', 'complete', 'complete']);
    expect(floodTasks.filter((t) => t.state !== 'complete')).toEqual([]);
    expect(floodPendingWhenQuietDone).toBeGreaterThan(0);
    expect(quietDoneMs).toBeLessThan(floodDoneMs);
    const burstRuns = probe.runs.filter((r) => flood.includes(r.taskUuid));
    const quietRuns = probe.runs.filter((r) => quiet.includes(r.taskUuid));
    expect(new Set(burstRuns.map((r) => r.runner))).toEqual(new Set(['burst']));
    expect(new Set(quietRuns.map((r) => r.runner))).toEqual(new Set(['patterns']));
    expect(HandlerProbe.overlap(quietRuns)).toBeLessThanOrEqual(PATTERNS_CAP);
    expect(HandlerProbe.overlap(burstRuns)).toBe(BURST_CAP);
    const patterns = engine.stepHandlers.get('patterns')!.metrics();
    const burst = engine.stepHandlers.get('burst')!.metrics();
    expect(patterns.peakConcurrency).toBeLessThanOrEqual(PATTERNS_CAP);
    expect(burst.peakConcurrency).toBe(BURST_CAP);
    expect([patterns.throttles, burst.throttles]).toEqual([0, 0]);
    console.info(
      `burst isolation: 3 quiet linear tasks done after ${quietDoneMs} ms with ${floodPendingWhenQuietDone}/60 burst tasks still pending; burst done after ${floodDoneMs} ms`,
    );
    expect(Object.values(await stack.deadLetterDepths()).reduce((a, b) => a + b, 0)).toBe(0);
  }, 90_000);

  it('tasker worker refuses to start, naming the problem (exit 2): no queue for its namespace, no handlers module, a bad --concurrency', async () => {
    const noQueue = workerEnv();
    delete noQueue[ENV.namespaceQueueUrls];
    const handlers = ['--handlers', 'test/fixtures/workers/pull-handlers.ts'];
    const cases: [WorkerChild, RegExp][] = [
      [
        workers.spawnWorker(['--namespace', 'pullwork', ...handlers], noQueue),
        /no dispatch queue for namespace "pullwork"/,
      ],
      [
        workers.spawnWorker(
          ['--namespace', 'pullwork', '--handlers', 'test/fixtures/workers/no-such-module.ts'],
          workerEnv(),
        ),
        /handlers module not found/,
      ],
      [
        workers.spawnWorker(['--namespace', 'pullwork', ...handlers, '--concurrency', '0'], workerEnv()),
        /--concurrency must be a whole number >= 1/,
      ],
    ];
    for (const [child, problem] of cases) {
      expect(await child.exited).toEqual({ code: 2, signal: null });
      expect(child.stderr()).toMatch(problem);
      expect(child.stdout()).not.toMatch(/tasker worker: namespace/);
    }
  }, 30_000);
});

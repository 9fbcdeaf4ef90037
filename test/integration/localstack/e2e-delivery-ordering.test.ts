import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CreateQueueCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { Duration } from 'aws-cdk-lib';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import patternHandlers from '../../../examples/patterns/handlers.js';
import { EventBridgeBus } from '../../../lib/adapters/eventbridge/eventbridge-bus.js';
import { SqsQueue } from '../../../lib/adapters/sqs/sqs-queue.js';
import type { DomainEventEnvelope } from '../../../lib/contracts/domain-event.js';
import type { TaskView } from '../../../lib/ports/orchestration-store.js';
import { createEventBridgeClient, createSqsClient } from '../../../lib/lambda/aws-clients.js';
import { loadTemplateDirectoryOrThrow } from '../../../lib/adapters/templates/template-files.js';
import { RetryableError, type HandlerMap } from '../../../lib/worker/handler-api.js';
import { describeLocalstack } from '../../helpers/localstack.js';
import { EventCapture, type CapturedDomainEvent } from '../../helpers/localstack-capture.js';
import {
  startLocalstackEngine,
  type LocalstackEngine,
  type LocalstackEngineOptions,
} from '../../helpers/localstack-engine.js';
import { createLocalstackStack, synthesizeEngine, type LocalstackStack } from '../../helpers/localstack-stack.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * Delivery guarantees on LocalStack, with every function of the synthesized stack run as Lambda
 * runs it (a 1 s handler timeout, so the dispatch queue's visibility timeout is 6 s): a duplicate
 * completion message is refused, every domain event arrives only after its step's result was in
 * the completion queue (or applied), and while the completion queue is unavailable no domain event
 * arrives at all and the dispatch is redelivered.
 */

const handlers: HandlerMap = {
  ...patternHandlers,
  'tests.flaky': ({ attempt }) => {
    if (attempt === 1) throw new RetryableError('first attempt fails');
    return { attempt };
  },
  'tests.noted': ({ step }) => ({ step: step.stepName }),
};

const always = (name: string) => [{ name, condition: 'always' as const }];
const templates = [
  buildTemplate({
    name: 'evented',
    steps: [
      { name: 'first', callable: 'tests.noted', events: always('tests.first_done') },
      { name: 'flaky', deps: ['first'], retry: { maxAttempts: 3 }, events: always('tests.flaky_outcome') },
      { name: 'last', callable: 'tests.noted', deps: ['first'], events: always('tests.last_done') },
    ],
  }),
  buildTemplate({
    name: 'single',
    steps: [{ name: 'only', callable: 'tests.noted', timeoutSeconds: 60, events: always('tests.only_done') }],
  }),
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

await describeLocalstack(
  'end to end on LocalStack: duplicate completions, domain-event ordering, an unavailable completion queue',
  () => {
    let stack: LocalstackStack;
    let database: TestDatabase;
    let capture: EventCapture;
    const engines: LocalstackEngine[] = [];
    const logger = new RecordingLogger();

    beforeAll(async () => {
      const synth = synthesizeEngine({
        handlerTimeout: Duration.seconds(1),
        deadlineSafetyMargin: Duration.millis(300),
        completion: { timeout: Duration.seconds(5) },
      });
      stack = await createLocalstackStack(synth, { prefix: 'e2e-order' });
      capture = new EventCapture(stack.capture.url);
      database = await createTestDatabase();
    }, 90_000);

    afterEach(async () => {
      await Promise.all(engines.splice(0).map((e) => e.stop()));
    }, 30_000);

    afterAll(async () => {
      await capture?.stop();
      await database?.close();
      await stack?.teardown();
    }, 60_000);

    async function engine(extra: Partial<LocalstackEngineOptions> = {}): Promise<LocalstackEngine> {
      const examples = await loadTemplateDirectoryOrThrow('examples/patterns/templates');
      const started = await startLocalstackEngine({
        stack,
        database,
        templates: [...examples, ...templates],
        handlers,
        logger,
        ...extra,
      });
      engines.push(started);
      return started;
    }

    /** Where the event's step result stood when the event arrived: sent to the completion queue, applied. */
    async function standing(e: CapturedDomainEvent, eng: LocalstackEngine) {
      const id = e.envelope.metadata.source_event_id;
      const sent = eng.queue.completionSends.find((s) => s.eventId === id);
      const published = eng.bus.publishes.find((p) => p.sourceEventId === id && p.eventName === e.envelope.event_name);
      const row = await database.pool.query<{ completed_at: Date | null; result_status: string | null }>(
        'select completed_at, result_status from tasker.step_dispatches where event_id = $1',
        [id],
      );
      const applied = row.rows[0]?.completed_at ?? null;
      const arrived = e.arrivedAt.getTime();
      return {
        event: `${e.envelope.event_name}#${e.envelope.metadata.attempt}`,
        queuedBeforeArrival: sent !== undefined && sent.sentAt <= arrived,
        appliedBeforeArrival: applied !== null && applied.getTime() <= arrived,
        publishedAfterSend: sent !== undefined && published !== undefined && published.startedAt >= sent.sentAt,
        resultStatus: row.rows[0]?.result_status ?? null,
      };
    }

    it('every domain event arrives after its result was in the completion queue (or applied); none is lost or extra', async () => {
      const eng = await engine();
      const uuids = await Promise.all([
        ...Array.from({ length: 6 }, () => eng.createTask({ namespace: 'tests', name: 'evented', context: {} })),
        ...Array.from({ length: 3 }, () =>
          eng.createTask({ namespace: 'patterns', name: 'diamond_workflow', context: { even_number: 4 } }),
        ),
      ]);
      const tasks = await Promise.all(uuids.map((uuid) => eng.waitForTask(uuid, 20_000)));
      expect(tasks.map((t) => t.state)).toEqual(Array(9).fill('complete'));
      const expected = eng.bus.publishes.length;
      // 6 x (first, flaky twice, last) + 3 diamonds.
      expect(expected).toBe(6 * 4 + 3);
      await capture.waitFor((c) => c.domainEvents().length >= expected, 15_000, `${expected} domain events`);
      const events = capture.domainEvents();
      expect(events).toHaveLength(expected);
      expect(new Set(events.map((e) => e.envelope.event_id)).size).toBe(expected);
      const verdicts = await Promise.all(events.map((e) => standing(e, eng)));
      expect(
        verdicts.filter((v) => !(v.queuedBeforeArrival || v.appliedBeforeArrival) || !v.publishedAfterSend),
      ).toEqual([]);
      for (const [e, v] of events.map((ev, i) => [ev, verdicts[i]!] as const))
        expect(v.resultStatus).toBe(e.envelope.metadata.outcome === 'success' ? 'success' : 'failure');
      const flaky = events
        .filter((e) => e.envelope.event_name === 'tests.flaky_outcome')
        .map((e) => [e.envelope.metadata.attempt, e.envelope.metadata.outcome]);
      expect(flaky.filter(([attempt]) => attempt === 1).every(([, outcome]) => outcome === 'retryable_failure')).toBe(
        true,
      );
      expect(flaky.filter(([attempt]) => attempt === 2).every(([, outcome]) => outcome === 'success')).toBe(true);

      // The check can fail: an event for a result that was never sent nor applied is flagged.
      const fixture = JSON.parse(
        readFileSync('test/fixtures/contracts/domain-event.success.json', 'utf8'),
      ) as DomainEventEnvelope;
      const control: DomainEventEnvelope = {
        ...fixture,
        event_id: randomUUID(),
        metadata: { ...fixture.metadata, task_uuid: randomUUID(), source_event_id: randomUUID() },
      };
      const client = createEventBridgeClient();
      try {
        expect(
          (
            await new EventBridgeBus(client, stack.busName).publish([
              { Source: 'tasker.tests', DetailType: 'tests.control', Detail: JSON.stringify(control) },
            ])
          ).failed,
        ).toEqual([]);
      } finally {
        client.destroy();
      }
      await capture.waitFor(
        (c) => c.domainEvents(control.metadata.task_uuid).length === 1,
        10_000,
        'the control event',
      );
      expect(await standing(capture.domainEvents(control.metadata.task_uuid)[0]!, eng)).toMatchObject({
        queuedBeforeArrival: false,
        appliedBeforeArrival: false,
        publishedAfterSend: false,
      });
    }, 60_000);

    it('a completion message delivered again is refused as duplicate and changes nothing', async () => {
      const eng = await engine();
      const uuid = await eng.createTask({
        namespace: 'patterns',
        name: 'linear_workflow',
        context: { even_number: 2 },
      });
      const before = await eng.waitForTask(uuid, 15_000);
      expect(before.state).toBe('complete');
      const step2 = before.steps.find((s) => s.name === 'linear_step_2')!;
      const eventId = (
        await database.pool.query<{ event_id: string }>(
          'select event_id from tasker.step_dispatches where step_uuid = $1',
          [step2.stepUuid],
        )
      ).rows[0]!.event_id;
      const original = eng.queue.completionSends.find((s) => s.eventId === eventId);
      expect(original?.messageType).toBe('step_result');
      const snapshot = await snapshotOf(uuid, eng);
      const runs = eng.probe.runs.length;
      const client = createSqsClient();
      try {
        expect(
          (await new SqsQueue(client).send(stack.queue('completion').url, [{ id: 'again', body: original!.body }]))
            .failed,
        ).toEqual([]);
      } finally {
        client.destroy();
      }
      const refusals = () => logger.find('step result refused').filter((e) => e.fields.event_id === eventId);
      await expect.poll(() => refusals().length, { timeout: 10_000 }).toBe(1);
      expect(refusals()[0]!.fields).toMatchObject({ refusal: 'duplicate', task_uuid: uuid, step_uuid: step2.stepUuid });
      await sleep(300);
      expect(await snapshotOf(uuid, eng)).toEqual(snapshot);
      expect(eng.probe.runs.length).toBe(runs);
      expect(await stack.depth('completion')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect((await stack.deadLetterDepths())['completion-dlq']).toBe(0);
    }, 30_000);

    it('with the completion queue unavailable no domain event arrives and the dispatch is redelivered; once it is back the task completes', async () => {
      const client = createSqsClient();
      const goneName = `${stack.prefix}-gone`;
      const goneUrl = (await client.send(new CreateQueueCommand({ QueueName: goneName }))).QueueUrl as string;
      await client.send(new DeleteQueueCommand({ QueueUrl: goneUrl }));
      client.destroy();
      const broken = await engine({
        stepHandlerConfig: { completionQueueUrl: goneUrl },
        worker: { retryDelaysMs: [20, 50] },
      });
      const eventsBefore = capture.domainEvents().length;
      const uuid = await broken.createTask({ namespace: 'tests', name: 'single', context: {} });
      // The visibility timeout is 6 s: a second run of the same dispatch proves the redelivery.
      await expect
        .poll(() => broken.probe.runsOfTask(uuid).length, { timeout: 15_000, interval: 200 })
        .toBeGreaterThanOrEqual(2);
      const runs = broken.probe.runsOfTask(uuid);
      expect(new Set(runs.map((r) => r.eventId)).size).toBe(1);
      const metrics = broken.stepHandlers.get('default')!.metrics();
      expect(metrics).toMatchObject({ timeouts: 0, errors: 0 });
      expect(metrics.messagesKept).toBeGreaterThanOrEqual(1);
      expect(
        logger.find('batch item failures; those messages return after the visibility timeout').length,
      ).toBeGreaterThanOrEqual(1);
      await sleep(500);
      expect(broken.bus.publishes.filter((p) => p.sourceEventId === runs[0]!.eventId)).toEqual([]);
      expect(capture.domainEvents(uuid)).toEqual([]);
      expect(capture.domainEvents()).toHaveLength(eventsBefore);
      const stuck = (await broken.store.getTask(uuid))!;
      expect(stuck.steps.map((s) => [s.state, s.attempts, s.results])).toEqual([['enqueued', 1, null]]);
      await broken.stop();

      const healthy = await engine();
      const task = await healthy.waitForTask(uuid, 20_000);
      expect(task.state).toBe('complete');
      expect(task.steps.map((s) => [s.state, s.attempts])).toEqual([['complete', 1]]);
      expect(healthy.probe.runsOfTask(uuid).map((r) => r.eventId)).toEqual([runs[0]!.eventId]);
      await capture.waitFor((c) => c.domainEvents(uuid).length >= 1, 10_000);
      const [event] = capture.domainEvents(uuid);
      expect(event!.envelope).toMatchObject({
        event_name: 'tests.only_done',
        metadata: { outcome: 'success', source_event_id: runs[0]!.eventId },
      });
      const verdict = await standing(event!, healthy);
      expect(verdict).toMatchObject({ queuedBeforeArrival: true, publishedAfterSend: true });
    }, 60_000);

    async function snapshotOf(uuid: string, eng: LocalstackEngine): Promise<unknown> {
      const task = (await eng.store.getTask(uuid)) as TaskView;
      const transitions = await eng.store.transitions(uuid);
      const dispatches = await database.pool.query(
        'select event_id, status, completed_at, result_status from tasker.step_dispatches where task_uuid = $1 order by event_id',
        [uuid],
      );
      return { task, transitions: transitions.length, dispatches: dispatches.rows };
    }
  },
);

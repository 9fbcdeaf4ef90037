import { Duration } from 'aws-cdk-lib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadTemplateDirectoryOrThrow } from '../../../lib/adapters/templates/template-files.js';
import { ENV } from '../../../lib/contracts/runtime-config.js';
import { createApiLambda } from '../../../lib/lambda/api-lambda.js';
import { loadConfig } from '../../../lib/lambda/config.js';
import type { StepView, TaskView } from '../../../lib/ports/orchestration-store.js';
import type { HandlerMap } from '../../../lib/worker/handler-api.js';
import { describeLocalstack } from '../../helpers/localstack.js';
import { EventCapture, type CapturedDomainEvent } from '../../helpers/localstack-capture.js';
import { startLocalstackEngine, type LocalstackEngine } from '../../helpers/localstack-engine.js';
import { HandlerProbe } from '../../helpers/localstack-probe.js';
import { createLocalstackStack, synthesizeEngine, type LocalstackStack } from '../../helpers/localstack-stack.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { runTasker } from '../../helpers/run-tasker.js';
import { startSigV4ApiServer, type SigV4ApiServer } from '../../helpers/sigv4-api-server.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * Issue 15 end to end on LocalStack: one task of test/fixtures/templates/e2e/dynamic_workflow.yaml with a decision
 * (one branch activated, the other skipped with its dependent), a 50-way batch under a cap of 5 handlers and a wait,
 * run by the synthesized stack's functions over real SQS and EventBridge with PostgreSQL (startLocalstackEngine).
 * The wait is signalled by the real `tasker` bin, spawned, through the stack's API function (its handler served with
 * SigV4 verified, as its function URL serves it, on the same queues, bus and database): the dependents' dispatches go
 * out at once, where `--database-url` would leave them in the outbox for the sweeper's 30 s re-send.
 */

const CAP = 5;
const PAGES = 50;
const PAGE_SIZE = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Page {
  readonly from: number;
  readonly to: number;
}

const handlers: HandlerMap = {
  'e2e.route': () => ({ activate: ['plan_pages'] }),
  'e2e.bad_route': () => ({ activate: ['nope'] }),
  'e2e.noted': ({ step }) => ({ step: step.stepName }),
  'e2e.plan_pages': ({ context }) => {
    const rows = Number(context.rows);
    const size = Number(context.page_size);
    const batches: Page[] = [];
    for (let from = 0; from < rows; from += size) batches.push({ from, to: Math.min(rows, from + size) });
    return { batches };
  },
  // Long enough that instances overlap: the cap is observed, not assumed.
  'e2e.process_page': async ({ batch }) => {
    await sleep(40);
    const page = batch?.cursor as Page;
    return { index: batch?.index, count: batch?.count, rows: page.to - page.from, from: page.from };
  },
  'e2e.join_pages': ({ dependencyResults }) => {
    const pages = dependencyResults.process_page as { index: number; from: number; rows: number }[];
    return {
      indexes: pages.map((p) => p.index),
      froms: pages.map((p) => p.from),
      rows: pages.reduce((n, p) => n + p.rows, 0),
    };
  },
  'e2e.finish': ({ dependencyResults }) => ({
    parents: Object.keys(dependencyResults).sort(),
    approver: (dependencyResults.approval as { approver: string }).approver,
  }),
};

await describeLocalstack(
  'end to end on LocalStack: a decision, a 50-way batch and a wait signalled through the CLI',
  () => {
    let stack: LocalstackStack;
    let database: TestDatabase;
    let capture: EventCapture;
    let engine: LocalstackEngine;
    let api: SigV4ApiServer;
    const probe = new HandlerProbe();
    const logger = new RecordingLogger();
    const credentials = {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    };
    const region = process.env.AWS_REGION ?? 'us-east-1';

    beforeAll(async () => {
      const synth = synthesizeEngine({
        defaultPool: { kind: 'lambda', maxConcurrentHandlers: CAP, handlerTimeout: Duration.seconds(5) },
        completion: { timeout: Duration.seconds(5) },
      });
      stack = await createLocalstackStack(synth, { prefix: 'e2e-dyn' });
      capture = new EventCapture(stack.capture.url);
      database = await createTestDatabase();
      engine = await startLocalstackEngine({
        stack,
        database,
        templates: [...(await loadTemplateDirectoryOrThrow('test/fixtures/templates/e2e'))],
        handlers,
        probe,
        logger,
      });
      const apiFunction = synth.engine.api?.function;
      if (!apiFunction) throw new Error('the synthesized engine has no API function');
      const config = {
        ...loadConfig({ ...stack.functionEnv(apiFunction), [ENV.logLevel]: 'silent' }),
        databaseUrl: database.connectionString,
      };
      const handler = createApiLambda({
        config,
        pool: database.pool,
        queues: engine.queue,
        events: engine.bus,
        logger,
      });
      api = await startSigV4ApiServer(handler, credentials, region);
    }, 90_000);

    afterAll(async () => {
      await api?.close();
      await engine?.stop();
      await capture?.stop();
      await database?.close();
      await stack?.teardown();
    }, 60_000);

    /** `tasker step signal` spawned as a user runs it, signed with SigV4 from the standard credential chain. */
    const signal = (taskUuid: string, payload: unknown) =>
      runTasker(['step', 'signal', taskUuid, 'approval', '--api-url', api.url, '--payload', JSON.stringify(payload)], {
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_REGION: region,
        NO_COLOR: '1',
      });

    it('skips the branch not taken, runs 50 instances once each under the cap, completes on the CLI signal', async () => {
      const uuid = await engine.createTask({
        namespace: 'e2e',
        name: 'dynamic_workflow',
        context: { rows: PAGES * PAGE_SIZE, page_size: PAGE_SIZE },
      });
      const waiting = await waitUntil(uuid, (t) => stepOf(t, 'approval').waitDeadline != null, 40_000);
      expect(stateOf(waiting, 'finish')).toBe('pending');
      expect(stateOf(waiting, 'manual_review')).toBe('skipped');
      expect(stateOf(waiting, 'notify_reviewer')).toBe('skipped');

      const instances = waiting.steps.filter((s) => s.name === 'process_page');
      expect(instances.map((s) => s.batch?.index)).toEqual(range(PAGES));
      expect(instances.every((s) => s.state === 'complete' && s.attempts === 1 && s.batch?.count === PAGES)).toBe(true);
      const pageRuns = probe.runsOfTask(uuid).filter((r) => r.stepName === 'process_page');
      expect(pageRuns).toHaveLength(PAGES);
      expect(new Set(pageRuns.map((r) => r.eventId)).size).toBe(PAGES);
      expect(probe.peak('e2e')).toBeLessThanOrEqual(CAP);
      expect(HandlerProbe.overlap(pageRuns)).toBeGreaterThan(1);
      expect(stepOf(waiting, 'join_pages').results).toEqual({
        indexes: range(PAGES),
        froms: range(PAGES).map((i) => i * PAGE_SIZE),
        rows: PAGES * PAGE_SIZE,
      });
      expect(probe.runsOfTask(uuid).filter((r) => ['manual_review', 'notify_reviewer'].includes(r.stepName))).toEqual(
        [],
      );
      // Both skips audited with the event_id of the decision's result (they happen in the transaction applying it).
      const routeEventId = probe.runsOfTask(uuid).find((r) => r.stepName === 'route')!.eventId;
      const skips = (await engine.store.transitions(uuid)).filter((t) => t.toState === 'skipped');
      expect(skips.map((t) => [t.uuid, t.reason, t.metadata.event_id])).toEqual([
        [stepOf(waiting, 'manual_review').stepUuid, 'not activated by decision route', routeEventId],
        [stepOf(waiting, 'notify_reviewer').stepUuid, 'every parent was skipped', routeEventId],
      ]);

      const bad = await signal(uuid, { approved: 'yes', approver: 'grace' });
      expect(bad.code, bad.stderr).toBe(1);
      expect(bad.stderr).toContain('/approved must be boolean');
      const signalled = await signal(uuid, { approved: true, approver: 'grace' });
      expect(signalled.code, signalled.stderr).toBe(0);
      expect(signalled.stdout).toContain(`signalled approval of task ${uuid}: step complete`);
      const task = await engine.waitForTask(uuid, 20_000);
      expect(task.state).toBe('complete');
      expect(stepOf(task, 'finish').results).toEqual({ parents: ['approval', 'join_pages'], approver: 'grace' });
      const again = await signal(uuid, { approved: false, approver: 'someone else' });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already signalled');
      expect(stepOf(await engine.store.getTask(uuid).then((t) => t!), 'approval').results).toEqual({
        approved: true,
        approver: 'grace',
      });
      expect(api.verified).toBe(3);
      expect(api.refused).toBe(0);

      // Each step's domain event exactly once, the instances' one per instance, each for a result applied as a success.
      // Published: a handler-run step's once its result was on the completion queue (the dual-channel guarantee, README:
      // it may arrive before the completion function applies the result); the wait's from the outbox, after the commit.
      const expected = { 'e2e.routed': 1, 'e2e.pages_planned': 1, 'e2e.page_processed': PAGES, 'e2e.approved': 1 };
      await capture.waitFor((c) => c.domainEvents(uuid).length >= PAGES + 3, 15_000, `${PAGES + 3} domain events`);
      await sleep(500);
      const events = capture.domainEvents(uuid);
      expect(countBy(events.map((e) => e.envelope.event_name))).toEqual(expected);
      expect(new Set(events.map((e) => e.envelope.metadata.source_event_id)).size).toBe(events.length);
      const verdicts = await Promise.all(events.map((e) => standing(e)));
      expect(verdicts.filter((v) => !v.ok)).toEqual([]);
      const waitEvent = events.find((e) => e.envelope.event_name === 'e2e.approved')!;
      expect(waitEvent.envelope.metadata.outcome).toBe('success');
      expect(engine.queue.completionSends.some((s) => s.eventId === waitEvent.envelope.metadata.source_event_id)).toBe(
        false,
      );
      expect((await stack.deadLetterDepths())['dispatch-dlq']).toBe(0);
    }, 60_000);

    /** Published once, after its result was on the completion queue (a handler's) or applied (the wait's); a success. */
    async function standing(e: CapturedDomainEvent) {
      const id = e.envelope.metadata.source_event_id;
      const published = engine.bus.publishes.filter((p) => p.sourceEventId === id);
      const sent = engine.queue.completionSends.find((s) => s.eventId === id);
      const row = await database.pool.query<{ completed_at: Date | null; result_status: string | null }>(
        'select completed_at, result_status from tasker.step_dispatches where event_id = $1',
        [id],
      );
      const applied = row.rows[0]?.completed_at?.getTime();
      const startedAt = published[0]?.startedAt ?? Number.NaN;
      const afterResult = sent ? sent.sentAt <= startedAt : applied !== undefined && applied <= startedAt;
      const ok = published.length === 1 && afterResult && row.rows[0]?.result_status === 'success';
      return { event: e.envelope.event_name, id, ok, publishes: published.length, sent: !!sent, applied, startedAt };
    }

    async function waitUntil(uuid: string, ok: (t: TaskView) => boolean, timeoutMs: number): Promise<TaskView> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const task = await engine.store.getTask(uuid);
        if (task && ok(task)) return task;
        if (Date.now() > deadline)
          throw new Error(`task ${uuid}: ${task?.state}; ${task?.steps.map((s) => `${s.name}=${s.state}`).join(', ')}`);
        await sleep(100);
      }
    }

    it('refuses a decision activating a step that is not a dependent before any event: failure events only', async () => {
      const uuid = await engine.createTask({ namespace: 'e2e', name: 'bad_decision', context: {} });
      const task = await waitUntil(uuid, (t) => stateOf(t, 'route') === 'error', 30_000);
      expect(stepOf(task, 'route').lastError).toMatchObject({ error_type: 'invalid_decision', retryable: false });
      expect(stateOf(task, 'after')).toBe('pending');
      await capture.waitFor((c) => c.domainEvents(uuid).length >= 1, 15_000, 'the failure event');
      await sleep(500);
      expect(capture.domainEvents(uuid).map((e) => [e.envelope.event_name, e.envelope.metadata.outcome])).toEqual([
        ['e2e.bad_route_failed', 'permanent_failure'],
      ]);
    });
  },
);

function stepOf(task: TaskView, name: string): StepView {
  const step = task.steps.find((s) => s.name === name);
  if (!step) throw new Error(`no step ${name}`);
  return step;
}

const stateOf = (task: TaskView, name: string) => stepOf(task, name).state;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function countBy(names: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of names) counts[n] = (counts[n] ?? 0) + 1;
  return counts;
}

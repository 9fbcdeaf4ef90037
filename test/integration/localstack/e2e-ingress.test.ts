import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TASK_LIFECYCLE_SOURCE } from '../../../lib/contracts/task-lifecycle-event.js';
import {
  taskCreatedEvent,
  taskRejectedEvent,
  type TaskCreatedEvent,
  type TaskRejectedEvent,
} from '../../../lib/contracts/task-request-outcome.js';
import { createEventBridgeClient, createSqsClient } from '../../../lib/lambda/aws-clients.js';
import type { HandlerMap } from '../../../lib/worker/handler-api.js';
import { describeLocalstack } from '../../helpers/localstack.js';
import { EventCapture } from '../../helpers/localstack-capture.js';
import { startLocalstackEngine, type LocalstackEngine } from '../../helpers/localstack-engine.js';
import { createLocalstackStack, synthesizeEngine, type LocalstackStack } from '../../helpers/localstack-stack.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * The front door on LocalStack: tasks started through the task-request queue, through a PutEvents of `task.requested`
 * on the engine's bus (the rule of the synthesized template, its input path, delivering to the queue), and through a
 * schedule's request. LocalStack does not fire EventBridge Scheduler, so the test sends exactly the message the
 * schedule's target input produces (its scheduled time filled in as Scheduler does), twice: one task. The real ingress
 * Lambda consumes the queue; every request is answered on the bus (captured by the stack's capture rule).
 */

const greet = buildTemplate({
  namespace: 'tests',
  name: 'greet',
  steps: [{ name: 'hello' }, { name: 'bye', deps: ['hello'] }],
  inputSchema: { type: 'object', required: ['who'], properties: { who: { type: 'string' } } },
});
const handlers: HandlerMap = {
  'tests.hello': ({ context }) => ({ hello: context.who }),
  'tests.bye': () => ({ bye: true }),
};
const SCHEDULE = {
  name: 'nightly-greet',
  namespace: 'tests',
  template: 'greet',
  expression: 'cron(0 2 * * ? *)',
  timeZone: 'Europe/Paris',
  context: { who: 'the night shift' },
};

await describeLocalstack('the ingress on LocalStack: queue, task.requested events, schedules', () => {
  let stack: LocalstackStack;
  let database: TestDatabase;
  let engine: LocalstackEngine;
  let capture: EventCapture;
  const sqs = createSqsClient();
  const events = createEventBridgeClient();

  beforeAll(async () => {
    stack = await createLocalstackStack(synthesizeEngine({ schedules: [SCHEDULE] }), { prefix: 'e2e-ingress' });
    capture = new EventCapture(stack.capture.url);
    database = await createTestDatabase();
    engine = await startLocalstackEngine({ stack, database, templates: [greet], handlers });
  }, 60_000);

  afterAll(async () => {
    await engine?.stop();
    await capture?.stop();
    await stack?.teardown();
    await database?.close();
    sqs.destroy();
    events.destroy();
  });

  const outcomes = () =>
    capture.events.filter((e) => e.source === TASK_LIFECYCLE_SOURCE && e.detailType.startsWith('task.'));
  const created = (key: string): TaskCreatedEvent[] =>
    outcomes().flatMap((e) => {
      const parsed = e.detailType === 'task.created' ? taskCreatedEvent.safeParse(e.detail) : undefined;
      return parsed?.success && parsed.data.idempotency_key === key ? [parsed.data] : [];
    });
  const rejected = (requestId: string): TaskRejectedEvent[] =>
    outcomes().flatMap((e) => {
      const parsed = e.detailType === 'task.rejected' ? taskRejectedEvent.safeParse(e.detail) : undefined;
      return parsed?.success && parsed.data.request_id === requestId ? [parsed.data] : [];
    });

  async function sendRequest(body: unknown): Promise<string> {
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queue('task-requests').url,
        MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );
    return sent.MessageId as string;
  }

  async function tasksWithKey(key: string): Promise<string[]> {
    const { rows } = await database.pool.query(
      `select task_uuid from tasker.tasks where identity_hash = encode(sha256(convert_to(
         (select named_task_id from tasker.named_tasks where name = 'greet')::text || ':key:' || $1::text, 'UTF8')), 'hex')`,
      [key],
    );
    return rows.map((r) => r.task_uuid as string);
  }

  it('starts a task from a message on the request queue, answers task.created, and runs it to completion', async () => {
    await sendRequest({ namespace: 'tests', name: 'greet', context: { who: 'queue' }, idempotency_key: 'q-1' });
    await capture.waitFor(() => created('q-1').length === 1, 20_000, 'task.created for q-1');
    const [event] = created('q-1');
    expect(event).toMatchObject({ duplicate: false, namespace: 'tests', task_name: 'greet', task_version: '1.0.0' });
    const task = await engine.waitForTask(event!.task_uuid);
    expect(task.state).toBe('complete');
    expect(task.steps.find((s) => s.name === 'hello')?.results).toEqual({ hello: 'queue' });
  });

  it('creates one task for a duplicate request, answering task.created with duplicate: true', async () => {
    const request = { namespace: 'tests', name: 'greet', context: { who: 'twice' }, idempotency_key: 'q-dup' };
    await sendRequest(request);
    await capture.waitFor(() => created('q-dup').length === 1, 20_000, 'the first task.created');
    await sendRequest(request);
    await capture.waitFor(() => created('q-dup').length === 2, 20_000, 'the second task.created');
    const [first, second] = created('q-dup');
    expect([first!.duplicate, second!.duplicate, second!.task_uuid]).toEqual([false, true, first!.task_uuid]);
    expect(await tasksWithKey('q-dup')).toEqual([first!.task_uuid]);
  });

  it('starts a task from one PutEvents of task.requested on the bus, from any source', async () => {
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: stack.busName,
            Source: 'my.billing.service',
            DetailType: 'task.requested',
            Detail: JSON.stringify({
              namespace: 'tests',
              name: 'greet',
              context: { who: 'bus' },
              idempotency_key: 'ev-1',
            }),
          },
        ],
      }),
    );
    expect(out.FailedEntryCount ?? 0).toBe(0);
    await capture.waitFor(() => created('ev-1').length === 1, 20_000, 'task.created for ev-1');
    const task = await engine.waitForTask(created('ev-1')[0]!.task_uuid);
    expect(task.steps.find((s) => s.name === 'hello')?.results).toEqual({ hello: 'bus' });
  });

  it("creates one task for a schedule's request delivered twice for the same scheduled time", async () => {
    const schedule = Object.values(stack.template.Resources).find((r) => r.Type === 'AWS::Scheduler::Schedule')!;
    const input = (schedule.Properties!.Target as { Input: string }).Input;
    const scheduledTime = '2026-11-30T01:00:00Z';
    const message = input.replaceAll('<aws.scheduler.scheduled-time>', scheduledTime);
    const key = `schedule:nightly-greet:${scheduledTime}`;
    await sendRequest(message);
    await sendRequest(message);
    await capture.waitFor(() => created(key).length === 2, 20_000, 'both answers to the scheduled request');
    const answers = created(key);
    expect(answers.map((a) => a.duplicate).sort()).toEqual([false, true]);
    expect(new Set(answers.map((a) => a.task_uuid)).size).toBe(1);
    expect(await tasksWithKey(key)).toEqual([answers[0]!.task_uuid]);
    expect((await engine.waitForTask(answers[0]!.task_uuid)).state).toBe('complete');
  });

  it('answers a bad request with task.rejected and its reason; it lands on no other queue', async () => {
    const unknown = await sendRequest({ namespace: 'tests', name: 'no_such_template', idempotency_key: 'bad-1' });
    const invalid = await sendRequest({ namespace: 'tests', name: 'greet', context: { who: 42 } });
    const malformed = await sendRequest('{"namespace": "tests", ');
    await capture.waitFor(
      () => [unknown, invalid, malformed].every((id) => rejected(id).length === 1),
      20_000,
      'three task.rejected answers',
    );
    expect([unknown, invalid, malformed].map((id) => rejected(id)[0]!.reason)).toEqual([
      'unknown_template',
      'invalid_context',
      'malformed',
    ]);
    expect(rejected(invalid)[0]!.problems).toEqual(['/who must be string']);
    // Acknowledged once answered: nothing left on the request queue, nothing on any dead-letter or poison queue.
    const depth = await stack.depth('task-requests');
    expect(depth.visible + depth.inFlight + depth.delayed).toBe(0);
    const dead = await stack.deadLetterDepths();
    expect(
      Object.values(dead).every((n) => n === 0),
      JSON.stringify(dead),
    ).toBe(true);
  });
});

import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryQueue } from '../../../lib/adapters/memory/memory-queue.js';
import { runtimeConfig } from '../../../lib/contracts/runtime-config.js';
import { createApiLambda } from '../../../lib/lambda/api-lambda.js';
import { functionUrlEvent, OPERATOR_ARN } from '../../helpers/function-url-event.js';
import { COMPLETION_QUEUE, DISPATCH_QUEUE, OrchestrationHarness } from '../../helpers/orchestration-harness.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * The API function's handler on real PostgreSQL, called with function-URL events as Lambda sends them for a URL with
 * AWS_IAM: routing, the principal recorded, every refusal typed, pagination, and the dead-letter queues (in-process
 * queues with SQS semantics).
 */

const chain = buildTemplate({
  name: 'api_chain',
  steps: [{ name: 'a' }, { name: 'b', deps: ['a'] }],
  inputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
});

let db: TestDatabase;
let h: OrchestrationHarness;
const dlqs = new MemoryQueue();
const dispatchDlq = dlqs.createQueue('dispatch-dlq');
const eventDlq = dlqs.createQueue('domain-event-dlq');
const poison = dlqs.createQueue('poison');
let handler: ReturnType<typeof createApiLambda>;

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(chain);
  handler = createApiLambda({
    config: runtimeConfig.parse({
      dispatchQueueUrl: DISPATCH_QUEUE,
      completionQueueUrl: COMPLETION_QUEUE,
      domainEventDlqUrl: eventDlq,
      deadLetterQueues: [
        { name: 'dispatch-dlq', url: dispatchDlq, redrive_to: DISPATCH_QUEUE },
        { name: 'poison', url: poison, redrive_to: null },
      ],
    }),
    pool: db.pool,
    queues: h.queues,
    events: h.bus,
    logger: h.logger,
    deadLetterQueue: dlqs,
  });
});
afterAll(async () => {
  dlqs.close();
  await db.close();
});

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: string; problems?: string[] };
}

async function call(
  method: string,
  path: string,
  options: Parameters<typeof functionUrlEvent>[2] = {},
): Promise<Answer> {
  const result = (await handler(functionUrlEvent(method, path, options), {} as Context)) as {
    statusCode: number;
    body: string;
    headers: Record<string, string>;
  };
  expect(result.headers['content-type']).toContain('application/json');
  return { status: result.statusCode, body: JSON.parse(result.body) };
}

const create = (n: number, extra: Record<string, unknown> = {}) =>
  call('POST', '/tasks', { body: { namespace: chain.namespace, name: chain.name, context: { n }, ...extra } });

describe('the API function: tasks', () => {
  it('creates a task (201), returns the same one for the same identity (200), the caller its initiator', async () => {
    const first = await create(1);
    expect(first).toMatchObject({ status: 201, body: { created: true, state: expect.any(String) } });
    const again = await create(1);
    expect(again).toMatchObject({ status: 200, body: { created: false, task_uuid: first.body.task_uuid } });
    const base64 = await call('POST', '/tasks', {
      body: { namespace: chain.namespace, name: chain.name, context: { n: 2 } },
      base64: true,
    });
    expect(base64.status).toBe(201);
  });

  it('refuses a bad create typed: invalid context with every problem (400), unknown template (404), not JSON (400)', async () => {
    expect(await create(Number.NaN)).toMatchObject({ status: 400, body: { error: 'invalid_context' } });
    const missing = await call('POST', '/tasks', {
      body: { namespace: chain.namespace, name: chain.name, context: {} },
    });
    expect(missing).toMatchObject({
      status: 400,
      body: { error: 'invalid_context', problems: [expect.stringContaining('n')] },
    });
    expect(await call('POST', '/tasks', { body: { namespace: 'nope', name: 'nope' } })).toMatchObject({
      status: 404,
      body: { error: 'unknown_template' },
    });
    expect(await call('POST', '/tasks', { body: { name: 3 } })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', problems: expect.arrayContaining([expect.stringMatching(/^namespace/)]) },
    });
    expect(await call('POST', '/tasks', { body: '{nope' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_json' },
    });
  });

  it('shows a task with its steps and transitions; 404 for an unknown task, 400 for a uuid that is not one', async () => {
    const { body } = await create(10);
    const shown = await call('GET', `/tasks/${body.task_uuid}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      task: { task_uuid: body.task_uuid, namespace: chain.namespace, name: chain.name, context: { n: 10 } },
      steps: [
        { name: 'a', state: expect.any(String), dependencies: [] },
        { name: 'b', state: 'pending', dependencies: ['a'] },
      ],
    });
    expect((shown.body.transitions as unknown[]).length).toBeGreaterThan(0);
    expect(await call('GET', '/tasks/00000000-0000-4000-8000-000000000000')).toMatchObject({
      status: 404,
      body: { error: 'unknown_task' },
    });
    expect(await call('GET', '/tasks/not-a-uuid')).toMatchObject({ status: 400, body: { error: 'invalid_uuid' } });
  });

  it('lists tasks newest first, page by page with the cursor, every task once; filters; refuses a bad query', async () => {
    const made: string[] = [];
    for (let n = 100; n < 105; n++) made.push(String((await create(n)).body.task_uuid));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Answer = await call('GET', `/tasks?name=${chain.name}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      const tasks = page.body.tasks as Array<{ task_uuid: string; created_at: string }>;
      expect(tasks.length).toBeLessThanOrEqual(2);
      seen.push(...tasks.map((t) => t.task_uuid));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(made));
    expect(seen.slice(0, 5)).toEqual([...made].reverse());
    const none = await call('GET', '/tasks?namespace=elsewhere');
    expect(none.body).toEqual({ tasks: [], next_cursor: null });
    const future = await call('GET', `/tasks?created_from=${encodeURIComponent('2999-01-01T00:00:00Z')}`);
    expect(future.body.tasks).toEqual([]);
    expect(await call('GET', '/tasks?state=bogus&limit=0')).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', problems: [expect.stringMatching(/^state/), expect.stringMatching(/^limit/)] },
    });
    expect(await call('GET', '/tasks?cursor=bm9wZQ')).toMatchObject({ status: 400, body: { error: 'invalid_cursor' } });
  });
});

describe('the API function: operator actions', () => {
  it('cancels with a reason, recording the IAM principal; refuses without a reason (400) and a second cancel (409)', async () => {
    const { body } = await create(20);
    expect(await call('POST', `/tasks/${body.task_uuid}/cancel`, { body: {} })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', problems: [expect.stringMatching(/^reason/)] },
    });
    const cancelled = await call('POST', `/tasks/${body.task_uuid}/cancel`, { body: { reason: 'customer withdrew' } });
    expect(cancelled).toEqual({
      status: 200,
      body: {
        task_uuid: body.task_uuid,
        step_name: null,
        action: 'cancel',
        actor: OPERATOR_ARN,
        reason: 'customer withdrew',
      },
    });
    const shown = await call('GET', `/tasks/${body.task_uuid}`);
    expect(shown.body.task).toMatchObject({ state: 'cancelled' });
    const audit = (shown.body.transitions as Array<{ to_state: string; actor: string | null; reason: string }>).filter(
      (t) => t.to_state === 'cancelled',
    );
    expect(audit.length).toBeGreaterThan(0);
    for (const t of audit) expect(t).toMatchObject({ actor: OPERATOR_ARN, reason: 'customer withdrew' });
    expect(await call('POST', `/tasks/${body.task_uuid}/cancel`, { body: { reason: 'again' } })).toMatchObject({
      status: 409,
      body: { error: 'invalid_transition' },
    });
    expect(
      await call('POST', '/tasks/00000000-0000-4000-8000-000000000000/cancel', { body: { reason: 'r' } }),
    ).toMatchObject({ status: 404, body: { error: 'unknown_task' } });
  });

  it('resets a failed step for retry and completes one by hand; refuses an unknown step (404), a wrong state (409), no result (400)', async () => {
    h.dispatched();
    const { body } = await create(30);
    const [a] = h.dispatched().filter((m) => m.task_uuid === body.task_uuid);
    await h.fail(a!, { retryable: false, error_type: 'handler_error' });
    const path = `/tasks/${body.task_uuid}/steps`;
    expect(await call('POST', `${path}/zzz/retry`, { body: { reason: 'r' } })).toMatchObject({
      status: 404,
      body: { error: 'unknown_step' },
    });
    expect(await call('POST', `${path}/b/retry`, { body: { reason: 'r' } })).toMatchObject({
      status: 409,
      body: { error: 'invalid_transition' },
    });
    const retried = await call('POST', `${path}/a/retry`, { body: { reason: 'upstream fixed' } });
    expect(retried).toMatchObject({ status: 200, body: { action: 'reset_for_retry', actor: OPERATOR_ARN } });
    const [again] = h.dispatched().filter((m) => m.task_uuid === body.task_uuid);
    expect(again).toMatchObject({ step_name: 'a', attempt: 1 });
    expect(await call('POST', `${path}/a/complete`, { body: { reason: 'by hand' } })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
    const done = await call('POST', `${path}/a/complete`, { body: { reason: 'charged by hand', result: { ok: 1 } } });
    expect(done).toMatchObject({ status: 200, body: { action: 'complete_manually', step_name: 'a' } });
    const shown = await call('GET', `/tasks/${body.task_uuid}`);
    expect((shown.body.steps as Array<{ name: string; result: unknown }>)[0]).toMatchObject({ result: { ok: 1 } });
    const resolved = await call('POST', `${path}/b/resolve`, { body: { reason: 'not needed' } });
    expect(resolved).toMatchObject({ status: 200, body: { action: 'resolve_manually' } });
  });
});

describe('the API function: queues', () => {
  it('lists, shows and redrives a dead-letter queue; a poison message back to its source; refuses an unknown queue', async () => {
    await dlqs.send(dispatchDlq, [
      { id: '1', body: '{"dead":1}' },
      { id: '2', body: '{"dead":2}' },
    ]);
    await dlqs.send(poison, [
      { id: '3', body: JSON.stringify(poisonOf(DISPATCH_QUEUE, '{"orig":3}')) },
      { id: '4', body: JSON.stringify(poisonOf('arn:aws:sqs:eu-west-1:1:elsewhere', '{"orig":4}')) },
    ]);
    const list = await call('GET', '/dead-letters');
    expect(list.body.queues).toEqual([
      { name: 'dispatch-dlq', returns_to: DISPATCH_QUEUE, messages: 2 },
      { name: 'poison', returns_to: 'source_queue', messages: 2 },
    ]);
    const shown = await call('GET', '/dead-letters/dispatch-dlq?max_messages=5');
    expect((shown.body.messages as Array<{ body: string }>).map((m) => m.body).sort()).toEqual([
      '{"dead":1}',
      '{"dead":2}',
    ]);
    h.queues.sent.length = 0;
    expect(await call('POST', '/dead-letters/dispatch-dlq/redrive', { body: {} })).toEqual({
      status: 200,
      body: { redriven: 2, failed: 0, skipped: 0 },
    });
    expect(await call('POST', '/dead-letters/poison/redrive', { body: { max_messages: 10 } })).toEqual({
      status: 200,
      body: { redriven: 1, failed: 0, skipped: 1 },
    });
    expect(
      h.queues.sent
        .filter((s) => s.queueUrl === DISPATCH_QUEUE)
        .map((s) => s.message.body)
        .sort(),
    ).toEqual(['{"dead":1}', '{"dead":2}', '{"orig":3}']);
    expect((await dlqs.countMessages(poison)).visible).toBe(1);
    expect(await call('GET', '/dead-letters/nope')).toMatchObject({ status: 404, body: { error: 'unknown_queue' } });
    expect(await call('POST', '/dead-letters/dispatch-dlq/redrive', { body: { max_messages: 0 } })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
  });

  it('redrives parked domain events onto the bus', async () => {
    const entry = { Source: 'tasker.orders', DetailType: 'order.charged', Detail: '{}', EventBusName: 'default' };
    await dlqs.send(eventDlq, [{ id: 'e', body: JSON.stringify(parkedOf(entry)) }]);
    const before = h.bus.published.length;
    expect(await call('POST', '/events/redrive', { body: {} })).toEqual({
      status: 200,
      body: { redriven: 1, failed: 0, skipped: 0 },
    });
    expect(h.bus.published.length).toBe(before + 1);
  });
});

describe('the API function: requests it does not serve', () => {
  it('refuses an event without an IAM principal (403), an unknown route (404) and a wrong method (405)', async () => {
    expect(await call('GET', '/tasks', { actor: null })).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    const unknown = await call('GET', '/nope');
    expect(unknown).toMatchObject({ status: 404, body: { error: 'no_route' } });
    expect(unknown.body.problems).toContain('POST /tasks/{task_uuid}/steps/{step_name}/retry');
    expect(await call('DELETE', '/tasks')).toMatchObject({ status: 405, body: { error: 'method_not_allowed' } });
  });
});

function poisonOf(sourceQueue: string, original: string) {
  return {
    schema_version: 1,
    message_type: 'poison',
    reason: 'test',
    error_code: 'unparseable_json',
    source_queue: sourceQueue,
    source_message_id: null,
    original_body: original,
    moved_at: new Date().toISOString(),
  };
}

function parkedOf(entry: Record<string, string>) {
  return {
    schema_version: 1,
    message_type: 'parked_domain_event',
    error_code: 'publish_failed',
    reason: 'PutEvents failed',
    event_id: '00000000-0000-4000-8000-00000000000e',
    event_name: entry.DetailType,
    entry,
    parked_at: new Date().toISOString(),
  };
}

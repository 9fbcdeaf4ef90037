import { describe, expect, it } from 'vitest';
import type { OrchestrationDeps } from '../../../lib/orchestration/orchestration-deps.js';
import { processTaskRequests, type TaskRequestRecord } from '../../../lib/orchestration/process-task-requests.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import type { CreateTaskOutcome, TaskToCreate } from '../../../lib/ports/orchestration-store.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { fakeStore } from '../../helpers/fake-store.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { buildTemplate } from '../../helpers/template-builder.js';

const charge = buildTemplate({
  namespace: 'payments',
  name: 'charge',
  steps: [{ name: 'a' }],
  inputSchema: {
    type: 'object',
    required: ['amount', 'currency'],
    properties: { amount: { type: 'number' }, currency: { type: 'string' } },
  },
});
const report = buildTemplate({ namespace: 'reports', name: 'daily', steps: [{ name: 'a' }] });
const NOW = new Date('2026-11-30T12:00:00.000Z');
const FAST_RETRY = { delaysMs: [0, 0], sleep: async () => undefined };

/** A store that creates a task per new identity (namespace/name + key or context) and returns it again for a repeat. */
function identityStore() {
  const tasks = new Map<string, string>();
  const store = fakeStore({
    findTemplate: async (ns, name) =>
      ns === 'payments' && name === 'charge' ? charge : ns === 'reports' && name === 'daily' ? report : null,
    createTasks: async (batch: readonly TaskToCreate[]) =>
      batch.map(({ request: r }): CreateTaskOutcome => {
        const identity =
          r.identity_strategy === 'caller_provided' ? `key:${r.idempotency_key}` : `ctx:${JSON.stringify(r.context)}`;
        const existing = tasks.get(`${r.namespace}/${r.name}/${identity}`);
        const taskUuid = existing ?? crypto.randomUUID();
        if (!existing) tasks.set(`${r.namespace}/${r.name}/${identity}`, taskUuid);
        return {
          taskUuid,
          created: !existing,
          state: r.run_at ? 'pending' : 'steps_in_process',
          correlationId: r.correlation_id ?? crypto.randomUUID(),
          outbox: existing
            ? []
            : [
                {
                  id: `o-${taskUuid}`,
                  kind: 'step_dispatch',
                  namespace: r.namespace,
                  payload: { task_uuid: taskUuid },
                  availableAt: NOW,
                },
              ],
        };
      }),
  });
  return store;
}

function setup(options: { routing?: ReturnType<typeof staticRouting>; maxContextBytes?: number } = {}) {
  const store = identityStore();
  const bus = new FakeEventBus();
  const queues = new FakeQueueSender();
  const logger = new RecordingLogger();
  const deps: OrchestrationDeps = {
    store,
    queues,
    events: bus,
    logger,
    routing:
      options.routing ?? staticRouting({ dispatchQueueUrl: 'q://dispatch', completionQueueUrl: 'q://completion' }),
    clock: { now: () => NOW },
    random: { next: () => 0.5 },
    retry: FAST_RETRY,
    ...(options.maxContextBytes ? { limits: { maxContextBytes: options.maxContextBytes } } : {}),
  };
  return { deps, store, bus, queues, logger };
}

let seq = 0;
function record(body: unknown): TaskRequestRecord {
  seq += 1;
  return { messageId: `m-${seq}`, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

const valid = (extra: Record<string, unknown> = {}) => ({
  namespace: 'payments',
  name: 'charge',
  context: { amount: 10, currency: 'EUR' },
  ...extra,
});

/** The outcome event of each message id, parsed. */
function outcomes(bus: FakeEventBus): Map<string, Record<string, unknown>> {
  return new Map(bus.details().map((d) => [String(d.request_id), d]));
}

describe('processTaskRequests creates the tasks of a batch', () => {
  it('creates every valid request in one store call, sends their root steps and publishes task.created', async () => {
    const { deps, store, bus, queues } = setup();
    const batch = [record(valid({ idempotency_key: 'k-1' })), record({ namespace: 'reports', name: 'daily' })];
    expect(await processTaskRequests(deps, batch)).toEqual({ batchItemFailures: [] });
    expect(store.createTasks).toHaveBeenCalledTimes(1);
    const created = store.createTasks.mock.calls[0]![0] as TaskToCreate[];
    expect(created.map((t) => [t.template.name, t.request.identity_strategy, t.request.idempotency_key])).toEqual([
      ['charge', 'caller_provided', 'k-1'],
      ['daily', 'strict', undefined],
    ]);
    expect(queues.sent.map((s) => s.queueUrl)).toEqual(['q://dispatch', 'q://dispatch']);
    const events = outcomes(bus);
    expect(bus.published.map((e) => [e.Source, e.DetailType])).toEqual([
      ['tasker.orchestration', 'task.created'],
      ['tasker.orchestration', 'task.created'],
    ]);
    expect(events.get(batch[0]!.messageId)).toMatchObject({
      schema_version: 1,
      event_name: 'task.created',
      duplicate: false,
      namespace: 'payments',
      task_name: 'charge',
      task_version: '1.0.0',
      idempotency_key: 'k-1',
      state: 'steps_in_process',
      run_at: null,
      fired_at: NOW.toISOString(),
    });
  });

  it('answers a repeated request with the same task, marked duplicate, within a batch and across batches', async () => {
    const { deps, bus } = setup();
    const first = record(valid({ idempotency_key: 'same' }));
    const second = record(valid({ idempotency_key: 'same', context: { amount: 99, currency: 'USD' } }));
    await processTaskRequests(deps, [first, second]);
    const third = record(valid({ idempotency_key: 'same' }));
    await processTaskRequests(deps, [third]);
    const events = outcomes(bus);
    const uuids = [first, second, third].map((r) => events.get(r.messageId)!.task_uuid);
    expect(new Set(uuids).size).toBe(1);
    expect([first, second, third].map((r) => events.get(r.messageId)!.duplicate)).toEqual([false, true, true]);
  });

  it('passes run_at on and reports it in task.created', async () => {
    const { deps, store, bus } = setup();
    const runAt = '2026-12-01T08:00:00.000Z';
    const r = record(valid({ run_at: runAt }));
    await processTaskRequests(deps, [r]);
    expect((store.createTasks.mock.calls[0]![0] as TaskToCreate[])[0]!.request.run_at).toBe(runAt);
    expect(outcomes(bus).get(r.messageId)).toMatchObject({ run_at: runAt, state: 'pending' });
  });

  it('looks each template up once per batch', async () => {
    const { deps, store } = setup();
    await processTaskRequests(deps, [record(valid()), record(valid({ context: { amount: 2, currency: 'EUR' } }))]);
    expect(store.findTemplate).toHaveBeenCalledTimes(1);
  });
});

describe('processTaskRequests rejects what it cannot create, for good', () => {
  const cases: [string, unknown, string, (problems: string[]) => void][] = [
    ['a body that is not JSON', '{"namespace":', 'malformed', (p) => expect(p).toHaveLength(1)],
    [
      'a body that is not a task request',
      { name: 7, context: [] },
      'malformed',
      (p) =>
        expect(p).toEqual(
          expect.arrayContaining([expect.stringMatching(/^namespace:/), expect.stringMatching(/^name:/)]),
        ),
    ],
    [
      'caller_provided without a key',
      valid({ identity_strategy: 'caller_provided' }),
      'malformed',
      (p) => expect(p).toEqual(['idempotency_key: identity_strategy caller_provided needs an idempotency_key']),
    ],
    [
      'an unknown template',
      { namespace: 'payments', name: 'refund' },
      'unknown_template',
      (p) => expect(p).toEqual([]),
    ],
    [
      'a context against the input schema, with every problem',
      valid({ context: { amount: 'ten' } }),
      'invalid_context',
      (p) => expect(p).toHaveLength(2),
    ],
    [
      'a context PostgreSQL cannot store',
      valid({ context: { amount: 1, currency: 'EUR', note: 'a\u0000b' } }),
      'invalid_context',
      (p) => expect(p[0]).toMatch(/note/),
    ],
  ];

  it.each(cases)('%s: task.rejected with its reason, acknowledged, nothing created', async (_, body, reason, check) => {
    const { deps, store, bus, queues } = setup();
    const r = record(body);
    expect(await processTaskRequests(deps, [r])).toEqual({ batchItemFailures: [] });
    expect(store.createTasks).not.toHaveBeenCalled();
    expect(queues.sent).toEqual([]);
    const event = outcomes(bus).get(r.messageId)!;
    expect(event).toMatchObject({ event_name: 'task.rejected', reason, request_id: r.messageId });
    check(event.problems as string[]);
  });

  it('rejects a context over the limit as too_large', async () => {
    const { deps, bus } = setup({ maxContextBytes: 64 });
    const r = record(valid({ context: { amount: 1, currency: 'x'.repeat(100) } }));
    await processTaskRequests(deps, [r]);
    expect(outcomes(bus).get(r.messageId)).toMatchObject({
      reason: 'too_large',
      message: expect.stringMatching(/limit is 64/),
    });
  });

  it('rejects a template whose namespace has no worker pool as no_worker_pool', async () => {
    const { deps, bus } = setup({
      routing: staticRouting({ namespaceQueueUrls: { reports: 'q://reports' }, completionQueueUrl: 'q://c' }),
    });
    const r = record(valid());
    await processTaskRequests(deps, [r]);
    expect(outcomes(bus).get(r.messageId)).toMatchObject({ reason: 'no_worker_pool' });
  });

  it('echoes what a rejected request said about itself, so its sender can match the answer', async () => {
    const { deps, bus } = setup();
    const correlation = crypto.randomUUID();
    const r = record({ namespace: 'payments', name: 'refund', idempotency_key: 'k-9', correlation_id: correlation });
    await processTaskRequests(deps, [r]);
    expect(outcomes(bus).get(r.messageId)).toMatchObject({
      namespace: 'payments',
      task_name: 'refund',
      idempotency_key: 'k-9',
      correlation_id: correlation,
    });
  });

  it('creates the valid requests of a batch and rejects the others', async () => {
    const { deps, store, bus } = setup();
    const good = record(valid());
    const bad = record('not json');
    expect(await processTaskRequests(deps, [bad, good])).toEqual({ batchItemFailures: [] });
    expect((store.createTasks.mock.calls[0]![0] as TaskToCreate[]).length).toBe(1);
    const events = outcomes(bus);
    expect([events.get(bad.messageId)!.event_name, events.get(good.messageId)!.event_name]).toEqual([
      'task.rejected',
      'task.created',
    ]);
  });
});

describe('processTaskRequests when something fails', () => {
  it('reports the valid requests as batch item failures when the store call fails; rejections stay final', async () => {
    const { deps, store, bus, logger } = setup();
    store.createTasks.mockRejectedValueOnce(
      Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' }),
    );
    const good = [record(valid()), record({ namespace: 'reports', name: 'daily' })];
    const bad = record({ namespace: 'nope', name: 'none' });
    const response = await processTaskRequests(deps, [good[0]!, bad, good[1]!]);
    expect(response.batchItemFailures).toEqual(good.map((r) => ({ itemIdentifier: r.messageId })));
    expect(bus.details().map((d) => [d.request_id, d.event_name])).toEqual([[bad.messageId, 'task.rejected']]);
    expect(logger.find('task requests not created; they will be redelivered')[0]?.fields).toMatchObject({
      count: 2,
      stack: expect.stringContaining('lock timeout'),
    });
  });

  it('leaves the valid requests for redelivery without calling the store when too little time is left', async () => {
    const { deps, store } = setup();
    const r = record(valid());
    const response = await processTaskRequests(deps, [r], { remainingMs: () => 100, callMs: 1_000 });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: r.messageId }]);
    expect(store.createTasks).not.toHaveBeenCalled();
  });

  it('retries an outcome the bus refused, and never redelivers a created request for it', async () => {
    const { deps, bus } = setup();
    bus.failNext(1, { mode: 'throw' });
    const r = record(valid());
    expect(await processTaskRequests(deps, [r])).toEqual({ batchItemFailures: [] });
    expect(bus.calls).toHaveLength(2);
    expect(outcomes(bus).get(r.messageId)).toMatchObject({ event_name: 'task.created' });
  });

  it('logs an outcome whole when the bus keeps refusing it; the request is still acknowledged', async () => {
    const { deps, bus, logger } = setup();
    bus.failAlways({ code: 'ThrottlingException' });
    const r = record(valid());
    expect(await processTaskRequests(deps, [r])).toEqual({ batchItemFailures: [] });
    expect(bus.calls).toHaveLength(3);
    const logged = logger.find('task request outcome not published; logged whole');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.fields).toMatchObject({ code: 'ThrottlingException', entry: { DetailType: 'task.created' } });
  });
});

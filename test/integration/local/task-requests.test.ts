import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../../../lib/local/embedded-runtime.js';
import { TaskRequestsNotTakenError } from '../../../lib/local/errors.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * Task requests on the embedded runtime (`requestTasks`): the deployed ingress's use case, so a request that works
 * against the local runtime works against the stack's task-request queue. Delayed starts too: with run_at the task
 * waits pending, and its tick (or the runtime's sweeper) starts it when due.
 */

const hello = buildTemplate({
  name: 'hello_request',
  steps: [{ name: 'a' }, { name: 'b', deps: ['a'] }],
  inputSchema: { type: 'object', required: ['who'], properties: { who: { type: 'string' } } },
});

let database: TestDatabase | undefined;
let runtime: EmbeddedRuntime;

beforeAll(async () => {
  database = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
  runtime = await startEmbeddedRuntime({
    templates: [hello],
    handlers: { 'tests.a': ({ context }) => ({ who: context.who }), 'tests.b': () => ({ done: true }) },
    databaseUrl: database?.connectionString ?? null,
    transport: 'memory',
    settings: { sweepIntervalMs: 200 },
    env: {},
    logger: new RecordingLogger(),
  });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await database?.close();
});

describe('requestTasks on the embedded runtime', () => {
  it('creates the tasks of a batch, answers each request, and a repeated key gets the first task back', async () => {
    const request = { namespace: 'tests', name: 'hello_request', context: { who: 'local' }, idempotency_key: 'l-1' };
    const answers = await runtime.requestTasks([
      request,
      JSON.stringify(request),
      { namespace: 'tests', name: 'nope' },
      { namespace: 'tests', name: 'hello_request', context: { who: 1 } },
      'not json',
    ]);
    expect(answers.map((a) => (a.event_name === 'task.created' ? a.duplicate : a.reason))).toEqual([
      false,
      true,
      'unknown_template',
      'invalid_context',
      'malformed',
    ]);
    const [first, second] = answers;
    expect(first!.event_name === 'task.created' && second!.event_name === 'task.created').toBe(true);
    if (first!.event_name !== 'task.created' || second!.event_name !== 'task.created') return;
    expect(second!.task_uuid).toBe(first!.task_uuid);
    expect((await runtime.waitForTask(first!.task_uuid, { timeoutMs: 20_000 })).state).toBe('complete');
  });

  it('starts a delayed request when it is due (its tick on the completion queue, or the sweeper), and not before', async () => {
    const runAt = new Date(Date.now() + 1_500).toISOString();
    const [answer] = await runtime.requestTasks([
      { namespace: 'tests', name: 'hello_request', context: { who: 'later' }, run_at: runAt },
    ]);
    expect(answer).toMatchObject({ event_name: 'task.created', state: 'pending', run_at: runAt });
    if (answer?.event_name !== 'task.created') return;
    expect((await runtime.getTask(answer.task_uuid))?.steps.map((s) => s.state)).toEqual(['pending', 'pending']);
    const done = await runtime.waitForTask(answer.task_uuid, { timeoutMs: 20_000 });
    expect(done.state).toBe('complete');
    const started = (await runtime.transitions(answer.task_uuid)).find(
      (t) => t.entity === 'task' && t.toState === 'initializing',
    );
    expect(started!.createdAt.getTime()).toBeGreaterThanOrEqual(new Date(runAt).getTime());
  });

  it('throws TaskRequestsNotTakenError when the database cannot take the batch', async () => {
    const store = runtime.orchestration.store;
    const createTasks = store.createTasks.bind(store);
    store.createTasks = async () => {
      throw Object.assign(new Error('connection terminated'), { code: '57P01' });
    };
    try {
      await expect(
        runtime.requestTasks([{ namespace: 'tests', name: 'hello_request', context: { who: 'x' } }]),
      ).rejects.toBeInstanceOf(TaskRequestsNotTakenError);
    } finally {
      store.createTasks = createTasks;
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTemplate } from '../../helpers/template-builder.js';
import { OrchestrationHarness } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';
import { createTask } from '../../../lib/orchestration/create-task.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';

let db: TestDatabase;
let h: OrchestrationHarness;

const orders = buildTemplate({
  name: 'orders',
  inputSchema: {
    type: 'object',
    required: ['order_id', 'email'],
    properties: {
      order_id: { type: 'string' },
      email: { type: 'string', format: 'email' },
      qty: { type: 'integer', minimum: 1 },
    },
  },
  steps: [{ name: 'a' }],
});
const v1 = buildTemplate({ name: 'versioned', version: '1.2.0', steps: [{ name: 'old' }] });
const v2 = buildTemplate({ name: 'versioned', version: '1.10.0', steps: [{ name: 'new' }] });
const valid = { order_id: 'o-1', email: 'a@example.com' };

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(orders, v1, v2);
});
afterAll(() => db.close());

const request = (extra: Record<string, unknown> = {}) => ({
  namespace: 'tests',
  name: 'orders',
  context: valid,
  ...extra,
});

describe('identity strategies', () => {
  it('strict: the same template and context (any key order) return the existing task, flagged', async () => {
    const first = await h.create(request({ context: { order_id: 'strict-1', email: 'a@example.com' } }));
    const second = await h.create(request({ context: { email: 'a@example.com', order_id: 'strict-1' } }));
    expect(first).toMatchObject({ ok: true, created: true });
    expect(second).toMatchObject({ ok: true, created: false, taskUuid: first.ok ? first.taskUuid : '' });
    const other = await h.create(request({ context: { order_id: 'strict-2', email: 'a@example.com' } }));
    expect(other).toMatchObject({ ok: true, created: true });
    expect(h.dispatched()).toHaveLength(2);
  });

  it('caller_provided: the idempotency key decides, whatever the context', async () => {
    const first = await h.create(request({ identity_strategy: 'caller_provided', idempotency_key: 'key-1' }));
    const second = await h.create(
      request({
        identity_strategy: 'caller_provided',
        idempotency_key: 'key-1',
        context: { order_id: 'x', email: 'b@example.com' },
      }),
    );
    expect(second).toMatchObject({ ok: true, created: false, taskUuid: first.ok ? first.taskUuid : '' });
  });

  it('always_unique: every request makes a new task', async () => {
    const a = await h.create(request({ identity_strategy: 'always_unique' }));
    const b = await h.create(request({ identity_strategy: 'always_unique' }));
    expect(a.ok && b.ok && a.taskUuid !== b.taskUuid).toBe(true);
  });

  it('keeps the caller correlation id and makes one when none is given', async () => {
    const correlation_id = crypto.randomUUID();
    const given = await h.create(request({ identity_strategy: 'always_unique', correlation_id }));
    expect(given).toMatchObject({ ok: true, correlationId: correlation_id });
    const made = await h.create(request({ identity_strategy: 'always_unique' }));
    expect(made.ok && made.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    const dispatched = h.dispatched();
    expect(dispatched.find((m) => given.ok && m.task_uuid === given.taskUuid)?.correlation_id).toBe(correlation_id);
  });
});

describe('bad requests are refused with every problem named, and nothing is written', () => {
  async function taskCount(): Promise<number> {
    return (await db.pool.query('select count(*)::int as n from tasker.tasks')).rows[0].n;
  }

  it('refuses an unknown template', async () => {
    const before = await taskCount();
    const result = await h.create({ namespace: 'tests', name: 'nope', context: {} });
    expect(result).toMatchObject({
      ok: false,
      code: 'unknown_template',
      message: expect.stringContaining('tests/nope'),
    });
    expect(await taskCount()).toBe(before);
  });

  it('refuses a context that breaks the input_schema, naming each problem', async () => {
    const before = await taskCount();
    const result = await h.create(request({ context: { email: 'not-an-email', qty: 0 } }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('invalid_context');
    expect(result.problems.join('\n')).toMatch(/order_id/);
    expect(result.problems.join('\n')).toMatch(/\/email must match format "email"/);
    expect(result.problems.join('\n')).toMatch(/\/qty must be >= 1/);
    expect(await taskCount()).toBe(before);
  });

  it('refuses a malformed request', async () => {
    const result = await h.create({ namespace: '', name: 'orders', priority: 1000 } as never);
    expect(result).toMatchObject({ ok: false, code: 'invalid_request' });
    if (!result.ok) expect(result.problems.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a context larger than the limit', async () => {
    const result = await h.create(
      request({ identity_strategy: 'always_unique', context: { ...valid, blob: 'x'.repeat(70 * 1024) } }),
    );
    expect(result).toMatchObject({ ok: false, code: 'context_too_large' });
  });
});

describe('template versions', () => {
  it('uses the newest semver version when none is asked for, and the exact one when asked', async () => {
    const newest = await h.create({
      namespace: 'tests',
      name: 'versioned',
      context: {},
      identity_strategy: 'always_unique',
    });
    const pinned = await h.create({
      namespace: 'tests',
      name: 'versioned',
      version: '1.2.0',
      context: {},
      identity_strategy: 'always_unique',
    });
    const names = h.dispatched().map((m) => [m.task_uuid, m.step_name, m.task_version]);
    expect(names).toContainEqual([newest.ok && newest.taskUuid, 'new', '1.10.0']);
    expect(names).toContainEqual([pinned.ok && pinned.taskUuid, 'old', '1.2.0']);
  });
});

describe("steps run by another namespace's pool (a mixed DAG)", () => {
  const mixed = buildTemplate({
    namespace: 'orders',
    name: 'mixed',
    steps: [{ name: 'a' }, { name: 'report', deps: ['a'] }],
  });
  const withPool = { ...mixed, steps: [mixed.steps[0]!, { ...mixed.steps[1]!, namespace: 'reports' }] };

  it('dispatches each step to its own namespace and refuses a task whose step namespace has no pool', async () => {
    await h.register(withPool);
    const routed = new OrchestrationHarness(db);
    const onlyOrders = {
      ...routed.deps,
      routing: staticRouting({
        namespaceQueueUrls: { orders: 'test://orders' },
        completionQueueUrl: 'test://completion',
      }),
    };
    expect(await createTask(onlyOrders, { namespace: 'orders', name: 'mixed', context: {} })).toMatchObject({
      ok: false,
      code: 'no_worker_pool',
      problems: ["no dispatch queue for namespace 'reports'"],
    });
    const taskUuid = await h.start(withPool);
    const [a] = h.dispatched();
    expect(a).toMatchObject({ step_name: 'a', namespace: 'orders' });
    await h.succeed(a!);
    const [report] = h.dispatched();
    expect(report).toMatchObject({ step_name: 'report', namespace: 'reports', task_uuid: taskUuid });
    expect((await h.store.getTask(taskUuid))?.steps.map((s) => [s.name, s.namespace])).toEqual([
      ['a', 'orders'],
      ['report', 'reports'],
    ]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresOrchestrationStore } from '../../../lib/adapters/postgres/postgres-orchestration-store.js';
import type { TaskTemplate } from '../../../lib/domain/task-template.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * register_template refuses a template whose steps' retry or timeout numbers a step row could not hold
 * (000028_checks_at_registration.sql): what the step table's CHECK constraints refused at each step write, refused once,
 * with the same SQLSTATE, before anything is stored.
 */
let db: TestDatabase;
let store: PostgresOrchestrationStore;
beforeAll(async () => {
  db = await createTestDatabase();
  store = new PostgresOrchestrationStore(db.pool, { templateCache: false });
}, 60_000);
afterAll(async () => {
  await db?.close();
});

const twoSteps = (name: string): TaskTemplate =>
  buildTemplate({ name, steps: [{ name: 'first' }, { name: 'second', deps: ['first'] }] });

/** The template with its `second` step changed by `change`. */
function withSecond(name: string, change: (step: Record<string, unknown>) => void): TaskTemplate {
  const template = JSON.parse(JSON.stringify(twoSteps(name))) as TaskTemplate;
  change(template.steps[1] as unknown as Record<string, unknown>);
  return template;
}

const retryOf = (step: Record<string, unknown>) => step.retry as Record<string, unknown>;

const stored = async (name: string) =>
  Number((await db.pool.query('select count(*) from tasker.named_tasks where name = $1', [name])).rows[0].count);

describe('register_template: the steps’ numbers are checked once, at registration', () => {
  it('registers a template whose numbers a step row holds, and creates its tasks', async () => {
    const template = withSecond('numbers_fine', (s) => {
      Object.assign(retryOf(s), { maxAttempts: 1, backoffBaseMs: 0, maxBackoffMs: 0 });
      s.timeoutSeconds = 1;
    });
    expect((await store.registerTemplate(template)).created).toBe(true);
    const outcome = await store.createTask(
      { namespace: 'tests', name: 'numbers_fine', context: {}, identity_strategy: 'always_unique', priority: 0 },
      template,
    );
    const { rows } = await db.pool.query(
      'select name, max_attempts, backoff_base_ms, max_backoff_ms, timeout_seconds from tasker.workflow_steps where task_uuid = $1 order by ordinal',
      [outcome.taskUuid],
    );
    expect(rows[1]).toEqual({
      name: 'second',
      max_attempts: 1,
      backoff_base_ms: 0,
      max_backoff_ms: 0,
      timeout_seconds: 1,
    });
  });

  const refused: Array<[string, (step: Record<string, unknown>) => void]> = [
    ['maxAttempts 0', (s) => void (retryOf(s).maxAttempts = 0)],
    ['backoffBaseMs -1', (s) => void (retryOf(s).backoffBaseMs = -1)],
    ['maxBackoffMs -1', (s) => void (retryOf(s).maxBackoffMs = -1)],
    ['timeoutSeconds 0', (s) => void (s.timeoutSeconds = 0)],
    ['no timeoutSeconds', (s) => void delete s.timeoutSeconds],
    ['no retry', (s) => void delete s.retry],
  ];
  it.each(refused)('refuses a step with %s (23514, naming the step) and stores nothing', async (label, change) => {
    const name = `numbers_${label.replace(/\W+/g, '_')}`;
    const error = await store.registerTemplate(withSecond(name, change)).then(
      () => null,
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(error?.code).toBe('23514');
    expect(error?.message).toContain(`template tests/${name}@1.0.0: step second needs retry.maxAttempts >= 1`);
    expect(await stored(name)).toBe(0);
  });

  it('refuses a new registration of a known template with a wrong number, and keeps the registered one', async () => {
    await store.registerTemplate(twoSteps('numbers_again'));
    const before = (await db.pool.query(`select template from tasker.named_tasks where name = 'numbers_again'`))
      .rows[0];
    await expect(
      store.registerTemplate(withSecond('numbers_again', (s) => void (retryOf(s).maxAttempts = 0))),
    ).rejects.toMatchObject({ code: '23514' });
    const after = (await db.pool.query(`select template from tasker.named_tasks where name = 'numbers_again'`)).rows[0];
    expect(after).toEqual(before);
  });
});

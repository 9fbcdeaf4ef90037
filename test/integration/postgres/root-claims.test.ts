import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTemplate } from '../../helpers/template-builder.js';
import { OrchestrationHarness } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * A new task's roots of every kind, claimed as create_task creates the task (000029_one_statement_creation.sql): a
 * handler's root and a wait root by the statement that inserts the steps, a decision root and a batchable root by
 * claim_steps_locked after it (their messages carry what the step rows and edges say). Each ends enqueued, attempt 1,
 * with one dispatch row; the task counts all four in flight; a delayed task's roots wait, unclaimed, for run_at.
 */
let db: TestDatabase;
let h: OrchestrationHarness;

const mixedRoots = buildTemplate({
  name: 'mixed_roots',
  steps: [
    { name: 'plain' },
    { name: 'hold', wait: {} },
    { name: 'decide', type: 'decision' },
    { name: 'list', type: 'batchable', batch: { worker: 'work', maxBatches: 7 } },
    { name: 'a', deps: ['decide'] },
    { name: 'b', deps: ['decide'] },
    { name: 'work', deps: ['list'] },
    { name: 'join', deps: ['plain', 'hold', 'a', 'b', 'work'] },
  ],
});

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(mixedRoots);
});
afterAll(() => db?.close());

/** Each step's state, attempts and next_attempt_at, and how many dispatch rows it has. */
async function stepRows(taskUuid: string) {
  const { rows } = await db.pool.query(
    `select s.name, s.state, s.attempts, s.next_attempt_at, s.last_attempted_at is not null as attempted,
            (select count(*)::int from tasker.step_dispatches d where d.step_uuid = s.step_uuid) as dispatches
       from tasker.workflow_steps s where s.task_uuid = $1 order by s.ordinal`,
    [taskUuid],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r]));
}

describe('create_task claims a new task’s roots of every kind', () => {
  it('dispatches the handler’s, the decision’s and the batchable root; the wait root gets a dispatch row and no message', async () => {
    const created = await h.create({ namespace: 'tests', name: 'mixed_roots', context: { n: 1 } });
    expect(created).toMatchObject({ ok: true, created: true, state: 'steps_in_process' });
    if (!created.ok) return;
    const messages = h.dispatched();
    expect(messages.map((m) => m.step_name).sort()).toEqual(['decide', 'list', 'plain']);
    const byName = Object.fromEntries(messages.map((m) => [m.step_name, m]));
    expect(byName.decide!.dynamic).toEqual({ type: 'decision', dependents: ['a', 'b'] });
    expect(byName.list!.dynamic).toEqual({ type: 'batchable', max_batches: 7 });
    expect(byName.plain!.dynamic).toBeUndefined();
    for (const m of messages) expect([m.attempt, m.dependency_results, m.task_uuid]).toEqual([1, {}, created.taskUuid]);

    const steps = await stepRows(created.taskUuid);
    for (const root of ['plain', 'hold', 'decide', 'list'])
      expect(steps[root]).toMatchObject({ state: 'enqueued', attempts: 1, attempted: true, dispatches: 1 });
    for (const child of ['a', 'b', 'work', 'join'])
      expect(steps[child]).toMatchObject({ state: 'pending', attempts: 0, attempted: false, dispatches: 0 });
    const task = await db.pool.query('select in_flight_steps, total_steps from tasker.tasks where task_uuid = $1', [
      created.taskUuid,
    ]);
    expect(task.rows[0]).toEqual({ in_flight_steps: 4, total_steps: 8 });
  });

  it('claims none of a delayed task’s roots: each waits pending for run_at, with no dispatch row', async () => {
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const created = await h.create({ namespace: 'tests', name: 'mixed_roots', context: { n: 2 }, run_at: runAt });
    expect(created).toMatchObject({ ok: true, created: true, state: 'pending' });
    if (!created.ok) return;
    expect(h.dispatched()).toEqual([]);
    h.completionMessages();
    const steps = await stepRows(created.taskUuid);
    for (const root of ['plain', 'hold', 'decide', 'list']) {
      expect(steps[root]).toMatchObject({ state: 'pending', attempts: 0, attempted: false, dispatches: 0 });
      expect(steps[root].next_attempt_at.toISOString()).toBe(runAt);
    }
    expect(steps.join).toMatchObject({ state: 'pending', next_attempt_at: null });
  });
});

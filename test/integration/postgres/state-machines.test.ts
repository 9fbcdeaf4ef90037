import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_STATES } from '../../../lib/domain/step-state.js';
import { STEP_EVENTS, STEP_TRANSITIONS } from '../../../lib/domain/step-transitions.js';
import { TASK_STATES } from '../../../lib/domain/task-state.js';
import { TASK_EVENTS, TASK_TRANSITIONS } from '../../../lib/domain/task-transitions.js';
import { transition, type TransitionTable } from '../../../lib/domain/transition-table.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { OrchestrationHarness } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

let db: TestDatabase;
let taskUuid: string;
let stepUuid: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const h = new OrchestrationHarness(db);
  const template = buildTemplate({ name: 'machine', steps: [{ name: 'only' }] });
  await h.register(template);
  taskUuid = await h.start(template);
  stepUuid = h.dispatched()[0]!.step_uuid;
});
afterAll(() => db.close());

/** Puts the entity in `from`, fires `event` in the database, and reads where it ended. */
async function fire(entity: 'task' | 'step', from: string, event: string): Promise<{ to: string | null; audit: number }> {
  const [table, key, id, fn, audit] = entity === 'task'
    ? ['tasker.tasks', 'task_uuid', taskUuid, 'transition_task', 'tasker.task_transitions']
    : ['tasker.workflow_steps', 'step_uuid', stepUuid, 'transition_step', 'tasker.workflow_step_transitions'];
  await db.pool.query(`update ${table} set state = $2 where ${key} = $1`, [id, from]);
  const before = (await db.pool.query(`select count(*)::int as n from ${audit} where ${key} = $1`, [id])).rows[0].n;
  const { rows } = await db.pool.query(`select tasker.${fn}($1, $2) as to`, [id, event]);
  const after = (await db.pool.query(`select count(*)::int as n from ${audit} where ${key} = $1`, [id])).rows[0].n;
  return { to: rows[0].to, audit: after - before };
}

/** Every (state, event) pair where the database disagrees with the domain table, as readable lines. */
async function mismatches<S extends string, E extends string>(entity: 'task' | 'step', states: readonly S[], events: readonly E[], table: TransitionTable<E, S>): Promise<string[]> {
  const out: string[] = [];
  for (const from of states) {
    for (const event of events) {
      const expected = transition(table, from, event);
      const want = expected.ok ? expected.to : null;
      const got = await fire(entity, from, event);
      if (got.to !== want || got.audit !== (want ? 1 : 0)) out.push(`${from} --${event}--> ${got.to} (want ${want}, audit ${got.audit})`);
    }
  }
  return out;
}

describe('every transition and guard, in the database', () => {
  it('step: each (state, event) pair moves exactly as the domain table says, with one audit row when it moves', async () => {
    expect(await mismatches('step', STEP_STATES, STEP_EVENTS, STEP_TRANSITIONS)).toEqual([]);
  });

  it('task: each (state, event) pair moves exactly as the domain table says, with one audit row when it moves', async () => {
    expect(await mismatches('task', TASK_STATES, TASK_EVENTS, TASK_TRANSITIONS)).toEqual([]);
  });

  it('keeps exactly one most_recent audit row per entity through all of that', async () => {
    const task = await db.pool.query('select count(*)::int as n from tasker.task_transitions where task_uuid = $1 and most_recent', [taskUuid]);
    const step = await db.pool.query('select count(*)::int as n from tasker.workflow_step_transitions where step_uuid = $1 and most_recent', [stepUuid]);
    expect([task.rows[0].n, step.rows[0].n]).toEqual([1, 1]);
  });

  it('stamps completed_at when a task reaches a terminal state', async () => {
    await fire('task', 'evaluating_results', 'complete');
    const { rows } = await db.pool.query('select completed_at from tasker.tasks where task_uuid = $1', [taskUuid]);
    expect(rows[0].completed_at).toBeInstanceOf(Date);
  });
});

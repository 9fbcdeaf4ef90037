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
async function fire(
  entity: 'task' | 'step',
  from: string,
  event: string,
): Promise<{ to: string | null; audit: number }> {
  const [table, key, id, fn, audit] =
    entity === 'task'
      ? ['tasker.tasks', 'task_uuid', taskUuid, 'transition_task', 'tasker.task_transitions']
      : ['tasker.workflow_steps', 'step_uuid', stepUuid, 'transition_step', 'tasker.workflow_step_transitions'];
  await db.pool.query(`update ${table} set state = $2 where ${key} = $1`, [id, from]);
  const before = (await db.pool.query(`select count(*)::int as n from ${audit} where ${key} = $1`, [id])).rows[0].n;
  const { rows } = await db.pool.query(`select tasker.${fn}($1, $2) as to`, [id, event]);
  const after = (await db.pool.query(`select count(*)::int as n from ${audit} where ${key} = $1`, [id])).rows[0].n;
  return { to: rows[0].to, audit: after - before };
}

/** Every (state, event) pair where the database disagrees with the domain table, as readable lines. */
async function mismatches<S extends string, E extends string>(
  entity: 'task' | 'step',
  states: readonly S[],
  events: readonly E[],
  table: TransitionTable<E, S>,
): Promise<string[]> {
  const out: string[] = [];
  for (const from of states) {
    for (const event of events) {
      const expected = transition(table, from, event);
      const want = expected.ok ? expected.to : null;
      const got = await fire(entity, from, event);
      if (got.to !== want || got.audit !== (want ? 1 : 0))
        out.push(`${from} --${event}--> ${got.to} (want ${want}, audit ${got.audit})`);
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

  it('walks a path in one go: one audit row per event, only the last most_recent', async () => {
    await db.pool.query(`update tasker.workflow_steps set state = 'enqueued' where step_uuid = $1`, [stepUuid]);
    const { rows } = await db.pool.query(
      `select tasker.walk_step($1, array['start', 'enqueue_for_orchestration', 'complete'], array['a', 'b', 'c']) as to`,
      [stepUuid],
    );
    expect(rows[0].to).toBe('complete');
    const trail = await db.pool.query(
      `select from_state, to_state, event, reason, most_recent from tasker.workflow_step_transitions where step_uuid = $1 order by sort_key desc limit 3`,
      [stepUuid],
    );
    expect(trail.rows.reverse()).toEqual([
      { from_state: 'enqueued', to_state: 'in_progress', event: 'start', reason: 'a', most_recent: false },
      {
        from_state: 'in_progress',
        to_state: 'enqueued_for_orchestration',
        event: 'enqueue_for_orchestration',
        reason: 'b',
        most_recent: false,
      },
      {
        from_state: 'enqueued_for_orchestration',
        to_state: 'complete',
        event: 'complete',
        reason: 'c',
        most_recent: true,
      },
    ]);
  });

  it('refuses a path with one disallowed event whole: nothing moves, nothing is recorded', async () => {
    await db.pool.query(`update tasker.tasks set state = 'steps_in_process' where task_uuid = $1`, [taskUuid]);
    const before = (
      await db.pool.query('select count(*)::int as n from tasker.task_transitions where task_uuid = $1', [taskUuid])
    ).rows[0].n;
    await expect(
      db.pool.query(`select tasker.walk_task($1, array['evaluate_results', 'steps_enqueued'], array['x', 'y'])`, [
        taskUuid,
      ]),
    ).rejects.toThrow(/cannot walk/);
    const after = await db.pool.query(
      'select state, (select count(*)::int from tasker.task_transitions where task_uuid = $1) as n from tasker.tasks where task_uuid = $1',
      [taskUuid],
    );
    expect(after.rows[0]).toEqual({ state: 'steps_in_process', n: before });
  });

  it('keeps exactly one most_recent audit row per entity through all of that', async () => {
    const task = await db.pool.query(
      'select count(*)::int as n from tasker.task_transitions where task_uuid = $1 and most_recent',
      [taskUuid],
    );
    const step = await db.pool.query(
      'select count(*)::int as n from tasker.workflow_step_transitions where step_uuid = $1 and most_recent',
      [stepUuid],
    );
    expect([task.rows[0].n, step.rows[0].n]).toEqual([1, 1]);
  });

  it('stamps completed_at when a task reaches a terminal state', async () => {
    await fire('task', 'evaluating_results', 'complete');
    const { rows } = await db.pool.query('select completed_at from tasker.tasks where task_uuid = $1', [taskUuid]);
    expect(rows[0].completed_at).toBeInstanceOf(Date);
  });
});

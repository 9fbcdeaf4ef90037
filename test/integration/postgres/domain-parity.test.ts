import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../../lib/adapters/postgres/migrate.js';
import { newestGeneratedMigration, stateMachineSql } from '../../../lib/adapters/postgres/state-machine-sql.js';
import { computeBackoffMs } from '../../../lib/domain/backoff.js';
import { blockedTaskFails } from '../../../lib/domain/blocked-task.js';
import { EXECUTION_STATUSES, executionStatus, TASK_STATE_FOR_STATUS } from '../../../lib/domain/execution-status.js';
import { STEP_STATES, stepBucket } from '../../../lib/domain/step-state.js';
import { TASK_STATES, isTerminalTaskState } from '../../../lib/domain/task-state.js';
import { allowedPairs } from '../../../lib/domain/transition-table.js';
import { STEP_TRANSITIONS } from '../../../lib/domain/step-transitions.js';
import { TASK_TRANSITIONS, taskWalk } from '../../../lib/domain/task-transitions.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

const sorted = (rows: string[][]) => rows.map((r) => r.join(' ')).sort();

describe('the database mirrors the domain', () => {
  it('holds exactly the task transitions of the domain table', async () => {
    const { rows } = await db.pool.query('select from_state, to_state, event from tasker.task_transition_rules');
    expect(sorted(rows.map((r) => [r.from_state, r.to_state, r.event]))).toEqual(
      sorted(allowedPairs(TASK_TRANSITIONS)),
    );
  });

  it('holds exactly the step transitions of the domain table', async () => {
    const { rows } = await db.pool.query('select from_state, to_state, event from tasker.step_transition_rules');
    expect(sorted(rows.map((r) => [r.from_state, r.to_state, r.event]))).toEqual(
      sorted(allowedPairs(STEP_TRANSITIONS)),
    );
  });

  it('computes the same backoff as computeBackoffMs for every input', async () => {
    const cases: Array<[number, number, number, number | null, number]> = [];
    for (const attempt of [1, 2, 3, 5, 10, 40]) {
      for (const [base, max] of [
        [0, 0],
        [1, 5],
        [100, 30_000],
        [1000, 30_000],
        [250, 3_600_000],
      ] as const) {
        for (const random of [0, 0.123456789, 0.5, 0.999999]) cases.push([attempt, base, max, null, random]);
      }
    }
    cases.push([1, 100, 1000, 0, 0.5], [2, 100, 1000, 250.7, 0.5], [2, 100, 1000, 99_999, 0.5]);
    const { rows } = await db.pool.query(
      `select tasker.compute_backoff_ms((c->>0)::int, (c->>1)::float8, (c->>2)::float8, (c->>3)::float8, (c->>4)::float8) as ms
         from jsonb_array_elements($1::jsonb) with ordinality as t(c, i) order by i`,
      [JSON.stringify(cases)],
    );
    const expected = cases.map(([attempt, backoffBaseMs, maxBackoffMs, retryAfterMs, random]) =>
      computeBackoffMs({ attempt, backoffBaseMs, maxBackoffMs, retryAfterMs, random }),
    );
    expect(rows.map((r) => Number(r.ms))).toEqual(expected);
  });

  it('refuses a transition the table does not allow and leaves no audit row', async () => {
    await db.pool.query(`insert into tasker.namespaces (name) values ('parity')`);
    await db.pool.query(`insert into tasker.named_tasks (namespace_id, name, version, version_sort, template)
      select namespace_id, 't', '1.0.0', '{1,0,0}', '{}' from tasker.namespaces where name = 'parity'`);
    const { rows } =
      await db.pool.query(`insert into tasker.tasks (task_uuid, named_task_id, context, identity_strategy, identity_hash, correlation_id, state)
      select gen_random_uuid(), named_task_id, '{}', 'always_unique', gen_random_uuid()::text, gen_random_uuid(), 'complete' from tasker.named_tasks where name = 't' returning task_uuid`);
    const task = rows[0].task_uuid;
    const refused = await db.pool.query(`select tasker.transition_task($1, 'start') as s`, [task]);
    expect(refused.rows[0].s).toBeNull();
    const cas = await db.pool.query(`select tasker.transition_task($1, 'cancel', null, '{}', 'pending') as s`, [task]);
    expect(cas.rows[0].s).toBeNull();
    const audit = await db.pool.query('select count(*)::int as n from tasker.task_transitions where task_uuid = $1', [
      task,
    ]);
    expect(audit.rows[0].n).toBe(0);
  });

  it('holds the newest state machine migration exactly as generated from the domain (npx tsx lib/adapters/postgres/state-machine-sql.ts NNNNNN_<what>.sql)', async () => {
    const newest = newestGeneratedMigration(await readMigrations());
    expect(newest?.name).not.toBe('000002_state_machines.sql');
    expect(newest?.sql).toBe(stateMachineSql('replace'));
  });

  it('decides like blockedTaskFails when a blocked task fails', async () => {
    const at = Date.parse('2026-03-01T10:00:00.000Z');
    const cases: Array<[number, number, number, number]> = [];
    for (const inFlight of [0, 1, 3])
      for (const grace of [0, 1, 60_000])
        for (const elapsed of [0, 1, 59_999, 60_000, 3_600_000]) cases.push([inFlight, at, grace, at + elapsed]);
    const { rows } = await db.pool.query(
      `select tasker.blocked_task_fails((c->>0)::int, to_timestamp((c->>1)::float8 / 1000), (c->>2)::bigint, to_timestamp((c->>3)::float8 / 1000)) as f
         from jsonb_array_elements($1::jsonb) with ordinality as t(c, i) order by i`,
      [JSON.stringify(cases)],
    );
    const expected = cases.map(([inFlight, blockedAt, grace, now]) =>
      blockedTaskFails({ inFlight, blockedAt: new Date(blockedAt) }, grace, new Date(now)),
    );
    expect(rows.map((r) => r.f)).toEqual(expected);
    expect(expected.filter(Boolean).length).toBeGreaterThan(0);
    expect(expected.filter((f) => !f).length).toBeGreaterThan(0);
  });

  it("walks a task to the state of each execution status along the domain's shortest path", async () => {
    const cases = TASK_STATES.filter((s) => !isTerminalTaskState(s)).flatMap((from) =>
      EXECUTION_STATUSES.map((status) => [from, status]),
    );
    const { rows } = await db.pool.query(
      `select tasker.task_path(c->>0, c->>1) as path from jsonb_array_elements($1::jsonb) with ordinality as t(c, i) order by i`,
      [JSON.stringify(cases)],
    );
    expect(rows.map((r) => r.path)).toEqual(
      cases.map(([from, status]) => taskWalk(from as never, TASK_STATE_FOR_STATUS[status as never])),
    );
  });

  it('counts each step state in the bucket stepBucket names, and knows the terminal task states', async () => {
    const buckets = await db.pool.query('select s, tasker.step_bucket(s) as b from unnest($1::text[]) as s', [
      STEP_STATES,
    ]);
    expect(buckets.rows.map((r) => r.b)).toEqual(STEP_STATES.map(stepBucket));
    const terminal = await db.pool.query('select s, tasker.task_is_terminal(s) as t from unnest($1::text[]) as s', [
      TASK_STATES,
    ]);
    expect(terminal.rows.map((r) => r.t)).toEqual(TASK_STATES.map(isTerminalTaskState));
  });

  it('decides the same execution status as executionStatus for every combination of counts', async () => {
    const cases: number[][] = [];
    for (const failed of [0, 1])
      for (const ready of [0, 2])
        for (const inFlight of [0, 1])
          for (const waiting of [0, 3])
            for (const completed of [0, 4]) cases.push([failed, ready, inFlight, waiting, completed, 4]);
    const { rows } = await db.pool.query(
      `select tasker.execution_status((c->>0)::int, (c->>1)::int, (c->>2)::int, (c->>3)::int, (c->>4)::int, (c->>5)::int) as s
         from jsonb_array_elements($1::jsonb) with ordinality as t(c, i) order by i`,
      [JSON.stringify(cases)],
    );
    const expected = cases.map(([permanentlyFailed, ready, inProgress, waitingForRetry, completed, total]) =>
      executionStatus({
        permanentlyFailed: permanentlyFailed!,
        ready: ready!,
        inProgress: inProgress!,
        waitingForRetry: waitingForRetry!,
        completed: completed!,
        total: total!,
      }),
    );
    expect(rows.map((r) => r.s)).toEqual(expected);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PostgresOrchestrationStore } from '../../../lib/adapters/postgres/postgres-orchestration-store.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { OrchestrationHarness, successResult } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, realPostgresAvailable, type TestDatabase } from '../../helpers/test-database.js';

// Lock races need real concurrent connections: PGlite runs one query at a time.
const run = realPostgresAvailable();

const wide = buildTemplate({ name: 'wide', steps: Array.from({ length: 1000 }, (_, i) => ({ name: `s${i}` })) });
const fanIn = buildTemplate({
  name: 'fan_in',
  steps: [
    ...Array.from({ length: 20 }, (_, i) => ({ name: `b${i}` })),
    { name: 'join', deps: Array.from({ length: 20 }, (_, i) => `b${i}`) },
  ],
});

describe.runIf(run)('races on a real PostgreSQL server', () => {
  let db: TestDatabase;
  let h: OrchestrationHarness;

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 20 });
    h = new OrchestrationHarness(db);
    await h.register(wide, fanIn);
  });
  afterAll(() => db?.close());

  it('two claimers over 1,000 ready steps claim each step exactly once', async () => {
    const outcome = await h.store.createTask(
      { namespace: 'tests', name: 'wide', context: {}, priority: 0, identity_strategy: 'always_unique' },
      wide,
    );
    await db.pool.query('delete from tasker.outbox');
    await db.pool.query(`update tasker.workflow_steps set state = 'pending', attempts = 0 where task_uuid = $1`, [
      outcome.taskUuid,
    ]);
    await db.pool.query(`delete from tasker.step_dispatches where task_uuid = $1`, [outcome.taskUuid]);
    const claimers = [
      new pg.Pool({ connectionString: db.connectionString, max: 1 }),
      new pg.Pool({ connectionString: db.connectionString, max: 1 }),
    ];
    const stores = claimers.map((p) => new PostgresOrchestrationStore(p));
    const claimed = await Promise.all(
      stores.map(async (store) => {
        const mine: string[] = [];
        for (
          let batch = await store.claimReadySteps(outcome.taskUuid, 25);
          batch.length > 0;
          batch = await store.claimReadySteps(outcome.taskUuid, 25)
        ) {
          mine.push(...batch.map((e) => String(e.payload.step_uuid)));
        }
        return mine;
      }),
    );
    await Promise.all(claimers.map((p) => p.end()));
    const all = claimed.flat();
    expect(all).toHaveLength(1000);
    expect(new Set(all).size).toBe(1000);
    expect(claimed.every((c) => c.length > 0)).toBe(true);
    const { rows } = await db.pool.query(
      `select count(*)::int as n, count(distinct step_uuid)::int as d from tasker.step_dispatches where task_uuid = $1`,
      [outcome.taskUuid],
    );
    expect(rows[0]).toEqual({ n: 1000, d: 1000 });
  });

  it('twenty sibling results applied concurrently dispatch the fan-in step exactly once', async () => {
    const taskUuid = await h.start(fanIn);
    const branches = h.dispatched();
    expect(branches).toHaveLength(20);
    await Promise.all(branches.map((m) => h.deliver(successResult(m, { n: m.step_name }))));
    const join = h.dispatched();
    expect(join.map((m) => m.step_name)).toEqual(['join']);
    expect(Object.keys(join[0]!.dependency_results)).toHaveLength(20);
    expect((await h.store.getTask(taskUuid))?.state).toBe('steps_in_process');
  });

  it('the same result delivered ten times at once is applied once', async () => {
    const taskUuid = await h.start(fanIn);
    const [m] = h.dispatched();
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => h.store.applyStepResult(successResult(m!, { once: true }), 0.5)),
    );
    expect(outcomes.filter((o) => o.status === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(9);
    const { rows } = await db.pool.query(
      `select count(*)::int as n from tasker.workflow_step_transitions where step_uuid = $1 and to_state = 'complete'`,
      [m!.step_uuid],
    );
    expect(rows[0].n).toBe(1);
    expect(taskUuid).toBeTruthy();
  });

  it('identical strict creations racing return one task', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => h.create({ namespace: 'tests', name: 'fan_in', context: { race: 1 } })),
    );
    const ids = new Set(results.map((r) => (r.ok ? r.taskUuid : 'refused')));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.ok && r.created)).toHaveLength(1);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeEngineSettings } from '../../../lib/adapters/postgres/engine-settings.js';
import { stepAction } from '../../../lib/orchestration/operator-actions.js';
import { buildTemplate, SHAPES } from '../../helpers/template-builder.js';
import { failureResult, OrchestrationHarness, successResult } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, realPostgresAvailable, type TestDatabase } from '../../helpers/test-database.js';

const oneStep = buildTemplate({ name: 'batch_one', steps: [{ name: 'only' }] });
const chain = buildTemplate({ name: 'batch_chain', steps: SHAPES.linear });
const fan = buildTemplate({
  name: 'batch_fan',
  steps: [
    ...['b0', 'b1', 'b2', 'b3', 'b4'].map((name) => ({ name })),
    { name: 'join', deps: ['b0', 'b1', 'b2', 'b3', 'b4'] },
  ],
});
const diamond = buildTemplate({
  name: 'batch_diamond',
  steps: SHAPES.diamond.map((s) => ({ ...s, retry: { maxAttempts: 2, backoffBaseMs: 0, maxBackoffMs: 0 } })),
});

let db: TestDatabase;
let h: OrchestrationHarness;
beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(oneStep, chain, fan, diamond);
  // A failed step leaves its task blocked here (for an hour) rather than failed at once (the
  // default; blocked-tasks.test.ts), so operator actions meet a blocked task.
  await writeEngineSettings(db.pool, { blockedTaskGraceMs: 3_600_000 });
});
afterAll(() => db.close());

/** Every task whose counters or unmet-parent counts differ from a recount of its steps. */
async function countersOff(): Promise<unknown[]> {
  const { rows } = await db.pool.query(`
    select t.task_uuid, t.total_steps, t.in_flight_steps, t.waiting_steps, t.completed_steps, t.failed_steps, c.*
      from tasker.tasks t
      join lateral (select count(*)::int as total,
                           count(*) filter (where tasker.step_bucket(s.state) = 'in_flight')::int as in_flight,
                           count(*) filter (where tasker.step_bucket(s.state) = 'waiting')::int as waiting,
                           count(*) filter (where tasker.step_bucket(s.state) = 'completed')::int as completed,
                           count(*) filter (where tasker.step_bucket(s.state) = 'failed')::int as failed
                      from tasker.workflow_steps s where s.task_uuid = t.task_uuid) c on true
     where (t.total_steps, t.in_flight_steps, t.waiting_steps, t.completed_steps, t.failed_steps)
           is distinct from (c.total, c.in_flight, c.waiting, c.completed, c.failed)
     union all
    select s.task_uuid, s.waiting_on, null, null, null, null, count(e.*) filter (where tasker.step_bucket(p.state) <> 'completed')::int, null, null, null, null
      from tasker.workflow_steps s
      left join tasker.workflow_step_edges e on e.to_step_uuid = s.step_uuid
      left join tasker.workflow_steps p on p.step_uuid = e.from_step_uuid
     group by s.task_uuid, s.step_uuid, s.waiting_on
    having s.waiting_on <> count(e.*) filter (where tasker.step_bucket(p.state) <> 'completed')`);
  return rows;
}

describe('a batch of results in one call', () => {
  it('answers each result in order: applied, duplicate, unknown; each task gets what became ready', async () => {
    const first = await h.start(chain);
    const [a] = h.dispatched();
    const second = await h.start(oneStep);
    const [only] = h.dispatched();
    const unknown = { ...successResult(only!, {}), event_id: '00000000-0000-4000-8000-000000000000' };
    const outcomes = await h.store.applyStepResults([
      { result: successResult(only!, { n: 1 }), random: 0.5 },
      { result: successResult(a!, { n: 2 }), random: 0.5 },
      { result: successResult(only!, { n: 1 }), random: 0.5 },
      { result: unknown, random: 0.5 },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'duplicate', 'unknown_event']);
    const [one, two] = outcomes as Array<Extract<(typeof outcomes)[number], { taskUuid: string | null }>>;
    expect(one).toMatchObject({ taskUuid: second, taskState: 'complete', stepState: 'complete' });
    expect(one!.outbox.map((e) => e.payload.event_name)).toEqual(['task.completed']);
    expect(two).toMatchObject({ taskUuid: first, taskState: 'steps_in_process', stepState: 'complete' });
    expect(two!.outbox.map((e) => e.payload.step_name)).toEqual(['b']);
    expect(await countersOff()).toEqual([]);
  });

  it('answers an empty batch with no outcomes, in the call as from the store', async () => {
    const { rows } = await db.pool.query(`select tasker.apply_step_results('[]'::jsonb, '{}') as j`);
    expect(rows[0].j).toEqual([]);
    expect(await h.store.applyStepResults([])).toEqual([]);
  });

  it('evaluates a task once for all of its results: a fan-in dispatches its join once', async () => {
    const task = await h.start(fan);
    const branches = h.dispatched();
    expect(branches).toHaveLength(5);
    const response = await h.deliver(...branches.map((m) => successResult(m, { from: m.step_name })));
    expect(response.batchItemFailures).toEqual([]);
    const join = h.dispatched();
    expect(join.map((m) => m.step_name)).toEqual(['join']);
    expect(Object.keys(join[0]!.dependency_results).sort()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
    // Nothing but the dispatch rows records the walks: each result's outcome is on its own.
    const audit = await db.pool.query(
      `select (select count(*)::int from tasker.transitions where task_uuid = $1) as rows,
      (select count(*)::int from tasker.step_dispatches where task_uuid = $1 and step_states is not null) as outcomes`,
      [task],
    );
    expect(audit.rows[0]).toEqual({ rows: 0, outcomes: 5 });
    const trail = await db.pool.query(
      `select count(*)::int as n from tasker.workflow_step_transitions s join tasker.workflow_steps w using (step_uuid) where w.task_uuid = $1`,
      [task],
    );
    // Each of the 6 steps was created and claimed; the 5 branches walked 3 events each to complete.
    expect(trail.rows[0].n).toBe(6 * 2 + 5 * 3);
    expect(await countersOff()).toEqual([]);
  });

  it('keeps the counters equal to a recount through retries, failures and operator actions', async () => {
    const task = await h.start(diamond);
    const [a] = h.dispatched();
    await h.succeed(a!);
    const [b, c] = h.dispatched();
    await h.deliver(failureResult(b!), successResult(c!, {}));
    const [b2] = h.dispatched();
    expect(b2!.attempt).toBe(2);
    await h.fail(b2!);
    expect((await h.store.getTask(task))?.state).toBe('blocked_by_failures');
    expect(await countersOff()).toEqual([]);
    const stepB = b2!.step_uuid;
    expect((await stepAction(h.deps, stepB, 'complete_manually', 'fixed by hand', { ok: 1 })).ok).toBe(true);
    expect(await countersOff()).toEqual([]);
    const [d] = h.dispatched();
    expect(d!.step_name).toBe('d');
    await h.succeed(d!);
    expect((await h.store.getTask(task))?.state).toBe('complete');
    expect(await countersOff()).toEqual([]);
  });
});

describe('a result the database refuses', () => {
  it('comes back unstorable with its SQLSTATE, the rest of the batch applied; its attempt stays open for a replacement', async () => {
    const [good, surrogate, nul] = await Promise.all([h.start(oneStep), h.start(oneStep), h.start(oneStep)]);
    const byTask = new Map(h.dispatched().map((m) => [m.task_uuid, m]));
    const outcomes = await h.store.applyStepResults([
      { result: successResult(byTask.get(good)!, { n: 1 }), random: 0.5 },
      { result: successResult(byTask.get(surrogate)!, { title: 'Great product 😀'.slice(0, 15) }), random: 0.5 },
      { result: successResult(byTask.get(nul)!, { note: 'a\u0000b' }), random: 0.5 },
    ]);
    expect(outcomes).toMatchObject([
      { status: 'applied', taskState: 'complete' },
      {
        status: 'unstorable',
        code: '22P02',
        reason: expect.stringMatching(/^PostgreSQL refused the step result \(SQLSTATE 22P02: /),
      },
      {
        status: 'unstorable',
        code: '22P05',
        reason: expect.stringMatching(/^PostgreSQL refused the step result \(SQLSTATE 22P05: /),
      },
    ]);
    const [alone] = await h.store.applyStepResults([
      { result: successResult(byTask.get(nul)!, { 'bad\u0000key': 1 }), random: 0.5 },
    ]);
    expect(alone, 'a batch of one is classified too').toMatchObject({ status: 'unstorable', code: '22P05' });
    const replacement = failureResult(byTask.get(surrogate)!, { error_type: 'result_not_storable', retryable: false });
    expect(await h.store.applyStepResults([{ result: replacement, random: 0.5 }])).toMatchObject([
      { status: 'applied', stepState: 'error', taskState: 'blocked_by_failures' },
    ]);
    expect(await countersOff()).toEqual([]);
  });
});

describe('creating several tasks in one call', () => {
  it('creates each (or returns the existing one) and hands back its dispatches, in order', async () => {
    const request = (context: Record<string, unknown>) => ({
      namespace: 'tests',
      name: 'batch_one',
      context,
      priority: 0,
      identity_strategy: 'strict' as const,
    });
    const outcomes = await h.store.createTasks([
      { request: request({ n: 1 }), template: oneStep },
      { request: { ...request({}), name: 'batch_fan' }, template: fan },
      { request: request({ n: 1 }), template: oneStep },
    ]);
    expect(outcomes.map((o) => [o.created, o.state, o.outbox.length])).toEqual([
      [true, 'steps_in_process', 1],
      [true, 'steps_in_process', 5],
      [false, 'steps_in_process', 0],
    ]);
    expect(outcomes[2]!.taskUuid).toBe(outcomes[0]!.taskUuid);
    expect(await countersOff()).toEqual([]);
  });
});

describe('deleting a task', () => {
  it('removes the task with its steps, edges, audit, dispatches and outbox rows', async () => {
    const task = await h.start(chain);
    await db.pool.query(
      `insert into tasker.outbox (kind, payload) values ('retry_due', jsonb_build_object('task_uuid', $1::text))`,
      [task],
    );
    const { rows } = await db.pool.query('select tasker.delete_task($1) as gone', [task]);
    expect(rows[0].gone).toBe(true);
    const left = await db.pool.query(
      `
      select (select count(*) from tasker.tasks where task_uuid = $1) + (select count(*) from tasker.workflow_steps where task_uuid = $1)
           + (select count(*) from tasker.transitions where task_uuid = $1) + (select count(*) from tasker.step_dispatches where task_uuid = $1)
           + (select count(*) from tasker.outbox where payload->>'task_uuid' = $1::text) as n,
             (select count(*) from tasker.workflow_step_edges e where not exists (select 1 from tasker.workflow_steps s where s.step_uuid = e.to_step_uuid)) as orphans`,
      [task],
    );
    expect(left.rows[0]).toEqual({ n: '0', orphans: '0' });
    expect((await db.pool.query('select tasker.delete_task($1) as gone', [task])).rows[0].gone).toBe(false);
  });
});

describe.runIf(realPostgresAvailable())('concurrent batches', () => {
  it('batches naming the same tasks in opposite orders neither deadlock nor apply anything twice', async () => {
    h.dispatched();
    const tasks = await Promise.all(Array.from({ length: 6 }, () => h.start(chain)));
    const roots = h.dispatched();
    expect(roots).toHaveLength(6);
    const results = roots.map((m) => ({ result: successResult(m, {}), random: 0.5 }));
    const outcomes = await Promise.all([
      h.store.applyStepResults(results),
      h.store.applyStepResults([...results].reverse()),
      h.store.applyStepResults(results),
    ]);
    const applied = outcomes.flat().filter((o) => o.status === 'applied');
    expect(applied).toHaveLength(6);
    expect(outcomes.flat().filter((o) => o.status === 'duplicate')).toHaveLength(12);
    expect(tasks).toHaveLength(6);
    expect(await countersOff()).toEqual([]);
  });
});

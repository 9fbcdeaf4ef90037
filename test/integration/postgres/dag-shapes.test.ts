import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTemplate, SHAPES, type StepSpec } from '../../helpers/template-builder.js';
import { OrchestrationHarness } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

let db: TestDatabase;
let h: OrchestrationHarness;

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(...Object.entries(SHAPES).map(([name, steps]) => buildTemplate({ name, steps })));
});
afterAll(() => db.close());

/** Which steps are dispatched in each round when every step succeeds at once. */
async function rounds(shape: keyof typeof SHAPES): Promise<{ taskUuid: string; waves: string[][] }> {
  const taskUuid = await h.start(buildTemplate({ name: shape, steps: SHAPES[shape] as StepSpec[] }));
  const waves: string[][] = [];
  for (let batch = h.dispatched(); batch.length > 0; batch = h.dispatched()) {
    waves.push(batch.map((m) => m.step_name).sort());
    for (const m of batch) await h.succeed(m, { from: m.step_name, saw: Object.keys(m.dependency_results).sort() });
  }
  return { taskUuid, waves };
}

describe('readiness follows the DAG', () => {
  it('runs a linear chain one step at a time', async () => {
    const { taskUuid, waves } = await rounds('linear');
    expect(waves).toEqual([['a'], ['b'], ['c'], ['d']]);
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
  });

  it('runs a diamond with both middle steps in parallel and joins them', async () => {
    const { waves } = await rounds('diamond');
    expect(waves).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('fans out to four branches and fans in once all four complete', async () => {
    const taskUuid = await h.start(buildTemplate({ name: 'tree', steps: SHAPES.tree }));
    const [root] = h.dispatched();
    await h.succeed(root!);
    const branches = h.dispatched();
    expect(branches.map((m) => m.step_name).sort()).toEqual(['b1', 'b2', 'b3', 'b4']);
    for (const m of branches.slice(0, 3)) await h.succeed(m);
    expect(h.dispatched()).toEqual([]);
    expect(await h.store.readySteps(taskUuid)).toEqual([]);
    await h.succeed(branches[3]!);
    const join = h.dispatched();
    expect(join.map((m) => m.step_name)).toEqual(['join']);
    expect(Object.keys(join[0]!.dependency_results).sort()).toEqual(['b1', 'b2', 'b3', 'b4']);
  });

  it('runs a mixed DAG with two roots', async () => {
    const { waves } = await rounds('mixed');
    expect(waves).toEqual([['a', 'x'], ['b', 'c'], ['d'], ['e']]);
  });

  it('hands each step the results of its direct dependencies by name', async () => {
    const taskUuid = await h.start(buildTemplate({ name: 'diamond', steps: SHAPES.diamond }));
    const [a] = h.dispatched();
    await h.succeed(a!, { total: 42 });
    const middle = h.dispatched();
    expect(middle.every((m) => (m.dependency_results.a as { total: number }).total === 42)).toBe(true);
    await h.succeed(middle[0]!, { n: 1 });
    await h.succeed(middle[1]!, { n: 2 });
    const [d] = h.dispatched();
    expect(d!.dependency_results).toEqual({
      b: { n: middle[0]!.step_name === 'b' ? 1 : 2 },
      c: { n: middle[0]!.step_name === 'c' ? 1 : 2 },
    });
    expect(d!.task_uuid).toBe(taskUuid);
  });

  it('records the task transitions from pending to complete, one most_recent per entity', async () => {
    const { taskUuid } = await rounds('linear');
    const transitions = await h.store.transitions(taskUuid);
    const task = transitions.filter((t) => t.entity === 'task').map((t) => t.toState);
    expect(task).toEqual([
      'pending',
      'initializing',
      'enqueuing_steps',
      'steps_in_process',
      'evaluating_results',
      'complete',
    ]);
    const step = transitions
      .filter((t) => t.entity === 'step' && t.uuid === transitions.find((x) => x.entity === 'step')!.uuid)
      .map((t) => t.toState);
    expect(step).toEqual(['pending', 'enqueued', 'in_progress', 'enqueued_for_orchestration', 'complete']);
    const { rows } = await db.pool.query(
      'select count(*)::int as n from tasker.task_transitions where task_uuid = $1 and most_recent',
      [taskUuid],
    );
    expect(rows[0].n).toBe(1);
  });

  it('emits a task.completed lifecycle event after the commit', async () => {
    const before = h.bus.published.length;
    const { taskUuid } = await rounds('linear');
    const events = h.bus.published.slice(before).map((e) => JSON.parse(e.Detail));
    expect(events).toEqual([
      expect.objectContaining({ event_name: 'task.completed', task_uuid: taskUuid, state: 'complete' }),
    ]);
  });
});

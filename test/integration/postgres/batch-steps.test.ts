import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepDispatchMessage } from '../../../lib/contracts/step-dispatch-message.js';
import { cancelTask, stepAction } from '../../../lib/orchestration/operator-actions.js';
import { sweep } from '../../../lib/orchestration/sweep.js';
import { OrchestrationHarness, failureResult, successResult } from '../../helpers/orchestration-harness.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * Batchable steps (issue 15) on PostgreSQL: the batchable's result creates one instance of its
 * worker per batch, in the transaction that applies it; the join runs once all instances are done
 * and receives their results in batch order; zero batches skip the worker; more than max_batches
 * fail the batchable; a failed instance is retried alone, from its last checkpoint.
 */

let db: TestDatabase;
let h: OrchestrationHarness;

const fanned = buildTemplate({
  name: 'fanned',
  steps: [
    { name: 'list', type: 'batchable', batch: { worker: 'work', maxBatches: 600 } },
    { name: 'work', type: 'batch_worker', deps: ['list'], retry: { retryable: true, maxAttempts: 3 } },
    { name: 'join', deps: ['work'] },
  ],
});

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(fanned);
});
afterAll(() => db.close());

/** Starts a task and applies the batchable's result: returns the instances dispatched. */
async function listed(batches: unknown[]): Promise<{ taskUuid: string; instances: StepDispatchMessage[] }> {
  const taskUuid = await h.start(fanned);
  const [list] = h.dispatched();
  await h.succeed(list!, { batches });
  return { taskUuid, instances: h.dispatched() };
}

async function instanceRows(taskUuid: string) {
  const { rows } = await db.pool.query(
    `select batch_index, batch_count, state from tasker.workflow_steps
      where task_uuid = $1 and name = 'work' order by batch_index`,
    [taskUuid],
  );
  return rows;
}

describe('a batchable step', () => {
  it('with zero batches skips its worker (and the join whose parents are all skipped); the task completes', async () => {
    const { taskUuid, instances } = await listed([]);
    expect(instances).toEqual([]);
    expect(await h.stepStates(taskUuid)).toEqual({ list: 'complete', work: 'skipped', join: 'skipped' });
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
  });

  it('with one batch runs one instance with its cursor, then the join with its result in an array', async () => {
    const { taskUuid, instances } = await listed([{ from: 0, to: 10 }]);
    expect(instances).toHaveLength(1);
    expect(instances[0]?.batch).toEqual({ index: 0, count: 1, cursor: { from: 0, to: 10 }, checkpoint: null });
    expect(instances[0]?.dependency_results).toEqual({});
    await h.succeed(instances[0]!, { done: 10 });
    const [join] = h.dispatched();
    expect(join?.step_name).toBe('join');
    expect(join?.dependency_results).toEqual({ work: [{ done: 10 }] });
    await h.succeed(join!);
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
  });

  it('with 500 batches runs 500 instances; the join waits for all and gets their results in batch order', async () => {
    const cursors = Array.from({ length: 500 }, (_, i) => ({ page: i }));
    const { taskUuid, instances } = await listed(cursors);
    expect(instances).toHaveLength(500);
    expect(instances.map((m) => m.batch?.index).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(cursors.map((_, i) => i));
    expect(new Set(instances.map((m) => m.step_uuid)).size).toBe(500);
    for (const m of instances) expect(m.batch?.cursor).toEqual({ page: m.batch?.index });
    // Completed in reverse order, in batches of 100: the join waits for the last one.
    const reversed = [...instances].reverse();
    for (let i = 0; i < 500; i += 100) {
      expect(h.dispatched()).toEqual([]);
      await h.deliver(...reversed.slice(i, i + 100).map((m) => successResult(m, { page: m.batch?.index })));
    }
    const [join] = h.dispatched();
    expect(join?.dependency_results).toEqual({ work: cursors });
    await h.succeed(join!);
    const task = await h.store.getTask(taskUuid);
    expect(task?.state).toBe('complete');
    expect(task?.steps.filter((s) => s.name === 'work')).toHaveLength(500);
    const { rows } = await db.pool.query('select total_steps, completed_steps from tasker.tasks where task_uuid = $1', [
      taskUuid,
    ]);
    expect(rows[0]).toEqual({ total_steps: 502, completed_steps: 502 });
  });

  it('carries its max_batches in its dispatch message; its instances carry their batch instead', async () => {
    h.dispatched(); // what earlier tests left on the queue
    const taskUuid = await h.start(fanned);
    const ofTask = () => h.dispatched().filter((m) => m.task_uuid === taskUuid);
    const [list] = ofTask();
    expect(list?.dynamic).toEqual({ type: 'batchable', max_batches: 600 });
    await h.succeed(list!, { batches: [1, 2] });
    const instances = ofTask().sort((x, y) => (x.batch?.index ?? 0) - (y.batch?.index ?? 0));
    expect(instances.map((m) => [m.batch?.index, m.dynamic])).toEqual([
      [0, undefined],
      [1, undefined],
    ]);
  });

  it('with more than max_batches fails permanently (invalid_batches) and creates no instance', async () => {
    const { taskUuid, instances } = await listed(Array.from({ length: 601 }, (_, i) => i));
    expect(instances).toEqual([]);
    const task = await h.store.getTask(taskUuid);
    expect(task?.steps.find((s) => s.name === 'list')?.lastError).toMatchObject({
      error_type: 'invalid_batches',
      retryable: false,
    });
    expect(String(task?.steps.find((s) => s.name === 'list')?.lastError?.message)).toContain('601 batches');
    expect(await instanceRows(taskUuid)).toEqual([{ batch_index: null, batch_count: null, state: 'pending' }]);
    expect(['blocked_by_failures', 'error']).toContain(task?.state);
  });

  it('retries a failed instance alone, from its last checkpoint', async () => {
    const { taskUuid, instances } = await listed([{ page: 0 }, { page: 1 }, { page: 2 }]);
    const [first, second, third] = [...instances].sort((a, b) => (a.batch?.index ?? 0) - (b.batch?.index ?? 0));
    await h.deliver(
      successResult(first!, 'r0'),
      { ...failureResult(second!, { retryable: true }), checkpoint: { page: 1, item: 40 } },
      successResult(third!, 'r2'),
    );
    // The builder's backoff is at most 5 ms: the retry may already be out, else a tick sends it.
    let [retry] = h.dispatched();
    if (retry === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await h.tick(taskUuid);
      [retry] = h.dispatched();
    }
    expect(retry?.step_uuid).toBe(second?.step_uuid);
    expect(retry?.attempt).toBe(2);
    expect(retry?.batch).toEqual({ index: 1, count: 3, cursor: { page: 1 }, checkpoint: { page: 1, item: 40 } });
    await h.succeed(retry!, 'r1');
    const [join] = h.dispatched();
    expect(join?.dependency_results).toEqual({ work: ['r0', 'r1', 'r2'] });
  });

  it('applies a duplicate delivery of its result once: no second set of instances', async () => {
    const taskUuid = await h.start(fanned);
    const [list] = h.dispatched();
    const result = successResult(list!, { batches: [1, 2, 3] });
    const outcomes = await Promise.all([h.deliver(result, result), h.deliver(result), h.deliver(result)]);
    for (const o of outcomes) expect(o.batchItemFailures).toEqual([]);
    expect(h.dispatched()).toHaveLength(3);
    expect((await instanceRows(taskUuid)).map((r) => r.batch_index)).toEqual([0, 1, 2]);
    const { rows } = await db.pool.query('select total_steps from tasker.tasks where task_uuid = $1', [taskUuid]);
    expect(rows[0]).toEqual({ total_steps: 5 });
  });

  it('a permanently failed instance blocks the task; reset by an operator, it runs again and the join follows', async () => {
    const { taskUuid, instances } = await listed(['x', 'y']);
    const [x, y] = [...instances].sort((a, b) => (a.batch?.index ?? 0) - (b.batch?.index ?? 0));
    await h.deliver(successResult(x!, 'rx'), failureResult(y!, { retryable: false }));
    expect(['blocked_by_failures', 'error']).toContain((await h.store.getTask(taskUuid))?.state);
    expect(await stepAction(h.deps, y!.step_uuid, 'reset_for_retry', 'fixed')).toEqual({ ok: true });
    const [again] = h.dispatched();
    expect(again?.batch).toMatchObject({ index: 1, cursor: 'y' });
    await h.succeed(again!, 'ry');
    const [join] = h.dispatched();
    expect(join?.dependency_results).toEqual({ work: ['rx', 'ry'] });
  });

  it('an instance timed out by the sweeper is retried alone, with the checkpoint of the attempt before it', async () => {
    const { taskUuid, instances } = await listed(['p0', 'p1']);
    const [p0, p1] = [...instances].sort((a, b) => (a.batch?.index ?? 0) - (b.batch?.index ?? 0));
    await h.deliver(successResult(p0!, 'r0'), { ...failureResult(p1!), checkpoint: { at: 3 } });
    let [second] = h.dispatched();
    if (second === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await h.tick(taskUuid);
      [second] = h.dispatched();
    }
    expect(second?.batch?.checkpoint).toEqual({ at: 3 });
    // The second attempt dies without answering: the sweeper times it out, and the third keeps the checkpoint.
    await db.pool.query(
      `update tasker.step_dispatches set deadline_at = now() - interval '1 second' where event_id = $1`,
      [second!.event_id],
    );
    expect((await sweep({ ...h.deps, limits: { outboxResendAfterMs: 0 } })).timedOut).toBe(1);
    let [third] = h.dispatched().filter((m) => m.step_name === 'work');
    if (third === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await h.tick(taskUuid);
      [third] = h.dispatched();
    }
    expect(third).toMatchObject({ step_uuid: p1!.step_uuid, attempt: 3, batch: { index: 1, checkpoint: { at: 3 } } });
    await h.succeed(third!, 'r1');
    expect(h.dispatched()[0]?.dependency_results).toEqual({ work: ['r0', 'r1'] });
  });

  it('a cancelled task cancels every instance still running', async () => {
    const { taskUuid } = await listed([1, 2, 3]);
    expect(await cancelTask(h.deps, taskUuid, 'not needed')).toEqual({ ok: true });
    const { rows } = await db.pool.query(
      `select state, count(*)::int as n from tasker.workflow_steps where task_uuid = $1 group by state order by state`,
      [taskUuid],
    );
    expect(rows).toEqual([
      { state: 'cancelled', n: 4 },
      { state: 'complete', n: 1 },
    ]);
  });

  it('a failed batchable completed manually by an operator with batches creates their instances', async () => {
    const taskUuid = await h.start(fanned);
    const [list] = h.dispatched();
    await h.fail(list!, { retryable: false });
    expect(await stepAction(h.deps, list!.step_uuid, 'complete_manually', 'by hand', { batches: ['a', 'b'] })).toEqual({
      ok: true,
    });
    const instances = h.dispatched();
    expect(instances.map((m) => m.batch?.cursor).sort()).toEqual(['a', 'b']);
    await h.deliver(...instances.map((m) => successResult(m, m.batch?.cursor)));
    const [join] = h.dispatched();
    expect(join?.dependency_results).toEqual({ work: ['a', 'b'] });
    await h.succeed(join!);
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
  });
});

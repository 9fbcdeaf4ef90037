import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepDispatchMessage } from '../../../lib/contracts/step-dispatch-message.js';
import { stepAction } from '../../../lib/orchestration/operator-actions.js';
import { OrchestrationHarness, successResult } from '../../helpers/orchestration-harness.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * Decision steps (issue 15) on PostgreSQL: the dependents a decision does not activate are skipped
 * in the transaction that applies its result, skips propagate to steps whose parents are all
 * skipped, and a step with some parents complete runs with their results (convergence).
 */

let db: TestDatabase;
let h: OrchestrationHarness;

// decide -> a, b, c; a -> a2; join <- a2, b, c
const routed = buildTemplate({
  name: 'routed',
  steps: [
    { name: 'decide', type: 'decision' },
    { name: 'a', deps: ['decide'] },
    { name: 'b', deps: ['decide'] },
    { name: 'c', deps: ['decide'] },
    { name: 'a2', deps: ['a'] },
    { name: 'join', deps: ['a2', 'b', 'c'] },
  ],
});

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(routed);
});
afterAll(() => db.close());

/** Starts a task and applies the decision's result; returns the decision's dispatch too. */
async function decided(activate: unknown): Promise<{ taskUuid: string; decision: StepDispatchMessage }> {
  const taskUuid = await h.start(routed);
  const [decision] = h.dispatched();
  await h.succeed(decision!, { activate });
  return { taskUuid, decision: decision! };
}

/** Succeeds every dispatched step until none is left; returns what each received, by step name. */
async function runAll(): Promise<Record<string, Record<string, unknown>>> {
  const received: Record<string, Record<string, unknown>> = {};
  for (let batch = h.dispatched(); batch.length > 0; batch = h.dispatched()) {
    for (const m of batch) {
      received[m.step_name] = m.dependency_results;
      await h.succeed(m, { from: m.step_name });
    }
  }
  return received;
}

async function counters(taskUuid: string) {
  const { rows } = await db.pool.query(
    'select total_steps, completed_steps, in_flight_steps, waiting_steps, failed_steps from tasker.tasks where task_uuid = $1',
    [taskUuid],
  );
  return rows[0];
}

describe('a decision', () => {
  it('activates one dependent: the others are skipped, the join converges on what ran', async () => {
    const { taskUuid } = await decided(['a']);
    expect(await h.stepStates(taskUuid)).toMatchObject({ decide: 'complete', b: 'skipped', c: 'skipped' });
    const received = await runAll();
    expect(Object.keys(received).sort()).toEqual(['a', 'a2', 'join']);
    expect(received.join).toEqual({ a2: { from: 'a2' } });
    expect(await h.stepStates(taskUuid)).toEqual({
      decide: 'complete',
      a: 'complete',
      b: 'skipped',
      c: 'skipped',
      a2: 'complete',
      join: 'complete',
    });
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
    expect(await counters(taskUuid)).toMatchObject({ total_steps: 6, completed_steps: 6, in_flight_steps: 0 });
  });

  it('activates several: only the one left out is skipped', async () => {
    const { taskUuid } = await decided(['b', 'a']);
    const received = await runAll();
    expect(Object.keys(received).sort()).toEqual(['a', 'a2', 'b', 'join']);
    expect(received.join).toEqual({ a2: { from: 'a2' }, b: { from: 'b' } });
    expect((await h.stepStates(taskUuid)).c).toBe('skipped');
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
  });

  it('activates none: every dependent, and every step whose parents are all skipped, is skipped; the task completes', async () => {
    const { taskUuid, decision } = await decided([]);
    expect(h.dispatched()).toEqual([]);
    expect(await h.stepStates(taskUuid)).toEqual({
      decide: 'complete',
      a: 'skipped',
      b: 'skipped',
      c: 'skipped',
      a2: 'skipped',
      join: 'skipped',
    });
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
    expect(await counters(taskUuid)).toMatchObject({ total_steps: 6, completed_steps: 6 });
    // Audited: one skip per step, with the decision's event_id.
    const skips = (await h.store.transitions(taskUuid)).filter((t) => t.toState === 'skipped');
    expect(skips).toHaveLength(5);
    for (const s of skips) expect(s.metadata).toMatchObject({ event_id: decision.event_id });
    expect(skips.map((s) => s.reason)).toContain('not activated by decision decide');
    expect(skips.map((s) => s.reason)).toContain('every parent was skipped');
  });

  it('carries its dependents in its dispatch message, so a worker can refuse a bad result before any event', async () => {
    const { decision } = await decided(['a']);
    expect(decision.dynamic).toEqual({ type: 'decision', dependents: ['a', 'b', 'c'] });
    expect(h.dispatched().every((m) => m.dynamic === undefined)).toBe(true);
  });

  it('naming a step that is not a dependent fails it permanently (invalid_decision) and skips nothing', async () => {
    const { taskUuid } = await decided(['a', 'join']);
    const task = await h.store.getTask(taskUuid);
    const decide = task?.steps.find((s) => s.name === 'decide');
    expect(decide?.state).toBe('error');
    expect(decide?.lastError).toMatchObject({ error_type: 'invalid_decision', retryable: false });
    expect(String(decide?.lastError?.message)).toContain('join');
    expect(task?.steps.filter((s) => s.state === 'skipped')).toEqual([]);
    expect(['blocked_by_failures', 'error']).toContain(task?.state);
  });

  it('a result that is not { activate: [...] } fails permanently too', async () => {
    const { taskUuid } = await decided('a');
    const decide = (await h.store.getTask(taskUuid))?.steps.find((s) => s.name === 'decide');
    expect(decide?.lastError).toMatchObject({ error_type: 'invalid_decision' });
  });

  it('applies a duplicate delivery of its result once', async () => {
    const taskUuid = await h.start(routed);
    const [decision] = h.dispatched();
    const result = successResult(decision!, { activate: ['a'] });
    const [first, again] = await Promise.all([h.deliver(result, result), h.deliver(result)]);
    expect(first.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    const skips = (await h.store.transitions(taskUuid)).filter((t) => t.toState === 'skipped');
    expect(skips).toHaveLength(2);
    expect(h.dispatched().map((m) => m.step_name)).toEqual(['a']);
    expect(await counters(taskUuid)).toMatchObject({ completed_steps: 3, in_flight_steps: 1 });
  });

  it('completed manually by an operator, it skips what its given result does not activate', async () => {
    const taskUuid = await h.start(routed);
    const [decision] = h.dispatched();
    await h.fail(decision!, { retryable: false });
    const outcome = await stepAction(h.deps, decision!.step_uuid, 'complete_manually', 'ops', { activate: ['c'] });
    expect(outcome).toEqual({ ok: true });
    expect(await h.stepStates(taskUuid)).toMatchObject({ a: 'skipped', b: 'skipped', a2: 'skipped', c: 'enqueued' });
    const received = await runAll();
    expect(Object.keys(received).sort()).toEqual(['c', 'join']);
    expect(received.join).toEqual({ c: { from: 'c' } });
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
  });
});

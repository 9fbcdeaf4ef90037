import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelTask, stepAction } from '../../../lib/orchestration/operator-actions.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { OrchestrationHarness, successResult } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

let db: TestDatabase;
let h: OrchestrationHarness;

const chain = buildTemplate({
  name: 'chain',
  steps: [
    { name: 'a', retry: { maxAttempts: 1 } },
    { name: 'b', deps: ['a'] },
  ],
});

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(chain);
});
afterAll(() => db.close());

async function blockedTask(): Promise<{ taskUuid: string; stepA: string }> {
  const taskUuid = await h.start(chain);
  const [a] = h.dispatched();
  await h.fail(a!, { retryable: false });
  return { taskUuid, stepA: a!.step_uuid };
}

describe('operator actions', () => {
  it('reset_for_retry puts a failed step back to pending with fresh attempts and resumes the task', async () => {
    const { taskUuid, stepA } = await blockedTask();
    expect(await stepAction(h.deps, stepA, 'reset_for_retry', 'fixed the upstream')).toEqual({ ok: true });
    const [again] = h.dispatched();
    expect(again).toMatchObject({ step_name: 'a', attempt: 1 });
    await h.succeed(again!);
    await h.succeed(h.dispatched()[0]!);
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
  });

  it('complete_manually gives dependents the operator result', async () => {
    const { taskUuid, stepA } = await blockedTask();
    expect(await stepAction(h.deps, stepA, 'complete_manually', 'done by hand', { charged: 10 })).toEqual({ ok: true });
    const [b] = h.dispatched();
    expect(b!.dependency_results).toEqual({ a: { charged: 10 } });
    expect((await h.store.getTask(taskUuid))?.state).toBe('steps_in_process');
  });

  it('resolve_manually unblocks dependents without a result', async () => {
    const { stepA } = await blockedTask();
    expect(await stepAction(h.deps, stepA, 'resolve_manually', 'not needed')).toEqual({ ok: true });
    expect(h.dispatched().map((m) => m.step_name)).toEqual(['b']);
  });

  it('refuses an action the state machine does not allow, with the reason', async () => {
    const taskUuid = await h.start(chain);
    const [a] = h.dispatched();
    const refused = await stepAction(h.deps, a!.step_uuid, 'reset_for_retry', 'too early');
    expect(refused).toEqual({ ok: false, reason: 'reset_for_retry is not allowed for a step in state enqueued' });
    expect(await h.stepStates(taskUuid)).toEqual({ a: 'enqueued', b: 'pending' });
  });

  it('cancel stops every unfinished step, refuses the in-flight result as late, and emits task.cancelled', async () => {
    const taskUuid = await h.start(chain);
    const [a] = h.dispatched();
    expect(await cancelTask(h.deps, taskUuid, 'customer withdrew')).toEqual({ ok: true });
    expect(await h.stepStates(taskUuid)).toEqual({ a: 'cancelled', b: 'cancelled' });
    expect(await h.store.applyStepResult(successResult(a!, {}), 0.5)).toMatchObject({ status: 'late' });
    expect(
      h.bus.published
        .map((e) => JSON.parse(e.Detail))
        .filter((e) => e.task_uuid === taskUuid)
        .map((e) => e.event_name),
    ).toEqual(['task.cancelled']);
    expect(await cancelTask(h.deps, taskUuid, 'again')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('cancelled'),
    });
  });
});

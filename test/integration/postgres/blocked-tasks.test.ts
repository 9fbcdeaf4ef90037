import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readEngineSettings, writeEngineSettings } from '../../../lib/adapters/postgres/engine-settings.js';
import { cancelTask, stepAction } from '../../../lib/orchestration/operator-actions.js';
import { sweep } from '../../../lib/orchestration/sweep.js';
import type { StepDispatchMessage } from '../../../lib/contracts/step-dispatch-message.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { failureResult, OrchestrationHarness, successResult } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * A task blocked_by_failures ends (issue 11): it fails (error, task.failed) once nothing of it is in
 * flight and its grace has passed; its siblings' retries are held meanwhile; an operator can still
 * reset the failed step, of a blocked task and of a failed one.
 */

let db: TestDatabase;
let h: OrchestrationHarness;

// `bad` fails for good; `sibling` is in flight beside it; `flaky` retries after a minute; `join` needs all three.
const fork = buildTemplate({
  name: 'fork',
  steps: [
    { name: 'bad', retry: { maxAttempts: 1 } },
    { name: 'sibling' },
    { name: 'flaky', retry: { maxAttempts: 3, backoffBaseMs: 60_000, maxBackoffMs: 60_000 } },
    { name: 'join', deps: ['bad', 'sibling', 'flaky'] },
  ],
});
const single = buildTemplate({ name: 'single', steps: [{ name: 'only', retry: { maxAttempts: 1 } }] });
const pair = buildTemplate({
  name: 'pair',
  steps: [
    { name: 'left', retry: { maxAttempts: 1 } },
    { name: 'right', retry: { maxAttempts: 1 } },
    { name: 'end', deps: ['left', 'right'] },
  ],
});

const HOUR = 3_600_000;

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(fork, single, pair);
});
afterEach(() => writeEngineSettings(db.pool, { blockedTaskGraceMs: 0 }));
afterAll(() => db.close());

const fastSweep = () => sweep({ ...h.deps, limits: { outboxResendAfterMs: 60_000 } });
const by = (messages: StepDispatchMessage[]) => Object.fromEntries(messages.map((m) => [m.step_name, m]));

function lifecycle(taskUuid: string): string[] {
  return h.bus.published
    .map((e) => JSON.parse(e.Detail))
    .filter((e) => e.task_uuid === taskUuid && typeof e.event_name === 'string' && e.event_name.startsWith('task.'))
    .map((e) => e.event_name);
}

async function taskRow(taskUuid: string) {
  const { rows } = await db.pool.query(
    'select state, blocked_at, completed_at, in_flight_steps from tasker.tasks where task_uuid = $1',
    [taskUuid],
  );
  return rows[0];
}

async function stepRow(taskUuid: string, name: string) {
  const { rows } = await db.pool.query(
    'select state, attempts, next_attempt_at from tasker.workflow_steps where task_uuid = $1 and name = $2',
    [taskUuid, name],
  );
  return rows[0];
}

/** Starts `fork` and fails `bad` for good while `sibling` is still in flight and `flaky` waits for its retry. */
async function blockedFork(): Promise<{ taskUuid: string; roots: Record<string, StepDispatchMessage> }> {
  const taskUuid = await h.start(fork);
  const roots = by(h.dispatched());
  await h.fail(roots.flaky!, { retryable: true });
  await h.fail(roots.bad!, { retryable: false, message: 'card declined' });
  return { taskUuid, roots };
}

describe('a blocked task fails once nothing of it is in flight (the default: no grace)', () => {
  it('stays blocked while a sibling is in flight, then fails to error when its result is applied', async () => {
    const { taskUuid, roots } = await blockedFork();
    expect(await taskRow(taskUuid)).toMatchObject({
      state: 'blocked_by_failures',
      in_flight_steps: 1,
      completed_at: null,
    });
    expect((await taskRow(taskUuid)).blocked_at).toBeInstanceOf(Date);
    expect(lifecycle(taskUuid)).toEqual(['task.blocked_by_failures']);
    await h.succeed(roots.sibling!);
    expect(await taskRow(taskUuid)).toMatchObject({ state: 'error', in_flight_steps: 0, blocked_at: null });
    expect((await taskRow(taskUuid)).completed_at).toBeInstanceOf(Date);
    expect(await h.stepStates(taskUuid)).toEqual({
      bad: 'error',
      sibling: 'complete',
      flaky: 'waiting_for_retry',
      join: 'pending',
    });
    expect(lifecycle(taskUuid)).toEqual(['task.blocked_by_failures', 'task.failed']);
    const walk = (await h.store.transitions(taskUuid)).filter((t) => t.entity === 'task').slice(-1)[0];
    expect(walk).toMatchObject({
      fromState: 'blocked_by_failures',
      toState: 'error',
      reason: 'a step failed permanently and nothing is in flight',
    });
    expect(h.dispatched()).toEqual([]);
  });

  it('fails at once when nothing else is in flight: only task.failed is published, the audit walks through blocked_by_failures', async () => {
    const taskUuid = await h.start(single);
    await h.fail(h.dispatched()[0]!, { retryable: false });
    expect((await taskRow(taskUuid)).state).toBe('error');
    expect(lifecycle(taskUuid)).toEqual(['task.failed']);
    const task = (await h.store.transitions(taskUuid)).filter((t) => t.entity === 'task').map((t) => t.toState);
    expect(task.slice(-3)).toEqual(['evaluating_results', 'blocked_by_failures', 'error']);
  });

  it('holds the retry of a sibling waiting for one: no due time, a tick or a sweep dispatches nothing, and task.failed is published once', async () => {
    const { taskUuid, roots } = await blockedFork();
    expect((await stepRow(taskUuid, 'flaky')).next_attempt_at).toBeNull();
    await h.succeed(roots.sibling!);
    await h.succeed(roots.sibling!);
    await h.tick(taskUuid);
    await db.pool.query(
      `update tasker.workflow_steps set next_attempt_at = now() - interval '1 second' where task_uuid = $1 and name = 'flaky'`,
      [taskUuid],
    );
    await h.tick(taskUuid);
    await fastSweep();
    expect(h.dispatched()).toEqual([]);
    expect(await stepRow(taskUuid, 'flaky')).toMatchObject({ state: 'waiting_for_retry', attempts: 1 });
    expect(lifecycle(taskUuid)).toEqual(['task.blocked_by_failures', 'task.failed']);
  });
});

describe('a retry decided after the task was blocked', () => {
  it('is held too: the in-flight step that fails retryably gets no due time, and the task fails with it', async () => {
    const taskUuid = await h.start(fork);
    const roots = by(h.dispatched());
    await h.fail(roots.bad!, { retryable: false });
    await h.succeed(roots.sibling!);
    expect((await taskRow(taskUuid)).state).toBe('blocked_by_failures');
    await h.fail(roots.flaky!, { retryable: true });
    expect(await stepRow(taskUuid, 'flaky')).toMatchObject({ state: 'waiting_for_retry', next_attempt_at: null });
    expect((await taskRow(taskUuid)).state).toBe('error');
    await h.tick(taskUuid);
    expect(h.dispatched()).toEqual([]);
  });
});

describe('a grace keeps a blocked task for an operator', () => {
  it('not before the grace: the sweeper fails it once its grace has passed since it became blocked', async () => {
    await writeEngineSettings(db.pool, { blockedTaskGraceMs: 60_000 });
    expect(await readEngineSettings(db.pool)).toEqual({ blockedTaskGraceMs: 60_000 });
    const { taskUuid, roots } = await blockedFork();
    await h.succeed(roots.sibling!);
    await fastSweep();
    expect((await taskRow(taskUuid)).state).toBe('blocked_by_failures');
    // The recorded instant is moved back instead of waiting a minute: 59 s blocked is not enough, 61 s is.
    await db.pool.query(`update tasker.tasks set blocked_at = now() - interval '59 seconds' where task_uuid = $1`, [
      taskUuid,
    ]);
    await fastSweep();
    expect((await taskRow(taskUuid)).state).toBe('blocked_by_failures');
    await db.pool.query(`update tasker.tasks set blocked_at = now() - interval '61 seconds' where task_uuid = $1`, [
      taskUuid,
    ]);
    await fastSweep();
    expect((await taskRow(taskUuid)).state).toBe('error');
    expect(h.logger.find('sweep finished').at(-1)?.fields).toMatchObject({ blockedTasksFailed: 1 });
    await fastSweep();
    expect(lifecycle(taskUuid)).toEqual(['task.blocked_by_failures', 'task.failed']);
    const walk = (await h.store.transitions(taskUuid)).filter((t) => t.entity === 'task').at(-1);
    expect(walk).toMatchObject({
      toState: 'error',
      reason: 'blocked with nothing in flight for its grace of 60000 ms',
    });
  });

  it('waits for the in-flight sibling even when the grace has passed, then fails with its result', async () => {
    await writeEngineSettings(db.pool, { blockedTaskGraceMs: 1_000 });
    const { taskUuid, roots } = await blockedFork();
    await db.pool.query(`update tasker.tasks set blocked_at = now() - interval '1 hour' where task_uuid = $1`, [
      taskUuid,
    ]);
    await fastSweep();
    expect((await taskRow(taskUuid)).state).toBe('blocked_by_failures');
    await h.succeed(roots.sibling!);
    expect((await taskRow(taskUuid)).state).toBe('error');
    expect(lifecycle(taskUuid)).toEqual(['task.blocked_by_failures', 'task.failed']);
  });

  it('reset_for_retry of the failed step resumes the blocked task: the held retry is released with it, and the task completes', async () => {
    await writeEngineSettings(db.pool, { blockedTaskGraceMs: HOUR });
    const { taskUuid, roots } = await blockedFork();
    await h.succeed(roots.sibling!);
    expect((await taskRow(taskUuid)).state).toBe('blocked_by_failures');
    expect(await stepAction(h.deps, roots.bad!.step_uuid, 'reset_for_retry', 'card replaced')).toEqual({ ok: true });
    const again = by(h.dispatched());
    expect(Object.keys(again).sort()).toEqual(['bad', 'flaky']);
    expect([again.bad!.attempt, again.flaky!.attempt]).toEqual([1, 2]);
    expect(await taskRow(taskUuid)).toMatchObject({ state: 'steps_in_process', blocked_at: null });
    await h.deliver(successResult(again.bad!, {}), successResult(again.flaky!, {}));
    await h.succeed(h.dispatched()[0]!);
    expect((await taskRow(taskUuid)).state).toBe('complete');
    expect(lifecycle(taskUuid)).toEqual(['task.blocked_by_failures', 'task.completed']);
  });
});

describe('an operator action on a task that already failed', () => {
  it('reset_for_retry reopens it (error -> blocked_by_failures) and it runs on to complete', async () => {
    const taskUuid = await h.start(single);
    const [first] = h.dispatched();
    await h.fail(first!, { retryable: false });
    expect((await taskRow(taskUuid)).state).toBe('error');
    expect(await stepAction(h.deps, first!.step_uuid, 'reset_for_retry', 'fixed upstream')).toEqual({ ok: true });
    expect(await taskRow(taskUuid)).toMatchObject({ state: 'steps_in_process', completed_at: null, blocked_at: null });
    const task = (await h.store.transitions(taskUuid)).filter((t) => t.entity === 'task');
    expect(task.slice(-3).map((t) => [t.fromState, t.toState, t.reason])).toEqual([
      ['error', 'blocked_by_failures', 'fixed upstream'],
      ['blocked_by_failures', 'enqueuing_steps', 'steps dispatched'],
      ['enqueuing_steps', 'steps_in_process', 'steps dispatched'],
    ]);
    const [again] = h.dispatched();
    expect(again).toMatchObject({ step_name: 'only', attempt: 1 });
    await h.succeed(again!);
    expect((await taskRow(taskUuid)).state).toBe('complete');
    expect(lifecycle(taskUuid)).toEqual(['task.failed', 'task.completed']);
  });

  it('with another step still failed, the reopened task fails again; resetting that one too resumes it', async () => {
    const taskUuid = await h.start(pair);
    const roots = by(h.dispatched());
    await h.deliver(
      failureResult(roots.left!, { retryable: false }),
      failureResult(roots.right!, { retryable: false }),
    );
    expect((await taskRow(taskUuid)).state).toBe('error');
    expect((await stepAction(h.deps, roots.left!.step_uuid, 'reset_for_retry', 'one fixed')).ok).toBe(true);
    expect(await taskRow(taskUuid)).toMatchObject({ state: 'error', blocked_at: null });
    expect(h.dispatched()).toEqual([]);
    expect((await stepAction(h.deps, roots.right!.step_uuid, 'reset_for_retry', 'both fixed')).ok).toBe(true);
    expect(
      h
        .dispatched()
        .map((m) => m.step_name)
        .sort(),
    ).toEqual(['left', 'right']);
    expect(lifecycle(taskUuid)).toEqual(['task.failed', 'task.failed']);
  });

  it('is refused, with the reason, on a task that completed; a failed task cannot be cancelled', async () => {
    await h.start(single);
    const [m] = h.dispatched();
    await h.succeed(m!);
    expect(await stepAction(h.deps, m!.step_uuid, 'reset_for_retry', 'again?')).toEqual({
      ok: false,
      reason: 'the task is complete and takes no more step actions',
    });
    const failed = await h.start(single);
    await h.fail(h.dispatched()[0]!, { retryable: false });
    expect(await cancelTask(h.deps, failed, 'too late')).toEqual({
      ok: false,
      reason: 'a task in state error cannot be cancelled',
    });
  });

  it('keeps the task counters equal to a recount through blocked, failed, reopened and complete', async () => {
    const { taskUuid, roots } = await blockedFork();
    await h.succeed(roots.sibling!);
    expect(
      (await stepAction(h.deps, roots.bad!.step_uuid, 'complete_manually', 'charged by hand', { charged: true })).ok,
    ).toBe(true);
    const { rows } = await db.pool.query(
      `
      select t.in_flight_steps, t.waiting_steps, t.completed_steps, t.failed_steps,
             count(*) filter (where tasker.step_bucket(s.state) = 'in_flight')::int as in_flight,
             count(*) filter (where tasker.step_bucket(s.state) = 'waiting')::int as waiting,
             count(*) filter (where tasker.step_bucket(s.state) = 'completed')::int as completed,
             count(*) filter (where tasker.step_bucket(s.state) = 'failed')::int as failed
        from tasker.tasks t join tasker.workflow_steps s using (task_uuid) where t.task_uuid = $1 group by t.task_uuid`,
      [taskUuid],
    );
    const r = rows[0];
    expect([r.in_flight_steps, r.waiting_steps, r.completed_steps, r.failed_steps]).toEqual([
      r.in_flight,
      r.waiting,
      r.completed,
      r.failed,
    ]);
    expect([r.in_flight, r.completed]).toEqual([1, 2]);
    expect(h.dispatched().map((m) => m.step_name)).toEqual(['flaky']);
  });
});

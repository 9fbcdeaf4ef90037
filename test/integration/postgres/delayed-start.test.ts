import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryDueMessage } from '../../../lib/contracts/retry-due-message.js';
import { sweep } from '../../../lib/orchestration/sweep.js';
import { OrchestrationHarness, successResult } from '../../helpers/orchestration-harness.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * Delayed start (migration 000016): a task created with run_at in the future is pending with nothing claimed; it starts
 * when due, by its tick on the completion queue or by the sweeper, never before. Time passes by moving the task's due
 * time into the past in SQL (what the clock would do), as the other suites move deadlines.
 */

let db: TestDatabase;
let h: OrchestrationHarness;

const diamond = buildTemplate({
  name: 'delayed_diamond',
  steps: [{ name: 'a' }, { name: 'b' }, { name: 'c', deps: ['a', 'b'] }],
});

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(diamond);
});
afterAll(() => db?.close());

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
const fastSweep = () => sweep({ ...h.deps, limits: { outboxResendAfterMs: 60_000 } });

/** What the clock does by run_at: the task's due time (and its roots') moves into the past. */
async function makeDue(taskUuid: string): Promise<void> {
  await db.pool.query(`update tasker.tasks set run_at = now() - interval '1 second' where task_uuid = $1`, [taskUuid]);
  await db.pool.query(
    `update tasker.workflow_steps set next_attempt_at = now() - interval '1 second'
      where task_uuid = $1 and state = 'pending' and next_attempt_at is not null`,
    [taskUuid],
  );
}

async function taskTrail(taskUuid: string): Promise<string[]> {
  return (await h.store.transitions(taskUuid)).filter((t) => t.entity === 'task').map((t) => t.toState);
}

async function startDelayed(runAt = inAnHour()): Promise<string> {
  const taskUuid = await h.start(diamond, {}, { run_at: runAt });
  h.dispatched();
  h.completionMessages();
  return taskUuid;
}

describe('a task created with run_at in the future', () => {
  it('is pending with nothing claimed, and its tick waits on the completion queue for run_at', async () => {
    const runAt = inAnHour();
    const result = await h.create({ namespace: 'tests', name: 'delayed_diamond', context: { n: 1 }, run_at: runAt });
    expect(result).toMatchObject({ ok: true, created: true, state: 'pending' });
    if (!result.ok) return;
    expect(h.dispatched()).toEqual([]);
    const ticks = h.completionMessages();
    expect(ticks).toHaveLength(1);
    const tick = retryDueMessage.parse(JSON.parse(ticks[0]!.body));
    expect([tick.task_uuid, new Date(tick.due_at).toISOString()]).toEqual([result.taskUuid, runAt]);
    expect(ticks[0]!.delaySeconds).toBe(900);
    expect(await h.stepStates(result.taskUuid)).toEqual({ a: 'pending', b: 'pending', c: 'pending' });
    expect(await h.store.readySteps(result.taskUuid)).toEqual([]);
    expect(await taskTrail(result.taskUuid)).toEqual(['pending']);
    const { rows } = await db.pool.query('select run_at, in_flight_steps from tasker.tasks where task_uuid = $1', [
      result.taskUuid,
    ]);
    expect([rows[0].run_at.toISOString(), rows[0].in_flight_steps]).toEqual([runAt, 0]);
  });

  it('is not started by an early tick, which is armed again for run_at', async () => {
    const taskUuid = await startDelayed();
    await h.tick(taskUuid);
    expect(h.dispatched()).toEqual([]);
    const again = h.completionMessages().map((m) => retryDueMessage.parse(JSON.parse(m.body)));
    expect(again.map((t) => t.task_uuid)).toEqual([taskUuid]);
    expect((await h.store.getTask(taskUuid))?.state).toBe('pending');
    expect(await taskTrail(taskUuid)).toEqual(['pending']);
  });

  it('is not started by the sweeper before it is due, and is once due; then it runs as any task', async () => {
    const taskUuid = await startDelayed();
    expect((await fastSweep()).retriesDispatched).toBe(0);
    expect(h.dispatched()).toEqual([]);
    await makeDue(taskUuid);
    expect((await fastSweep()).retriesDispatched).toBe(2);
    const roots = h.dispatched();
    expect(roots.map((m) => [m.step_name, m.attempt])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(await taskTrail(taskUuid)).toEqual(['pending', 'initializing', 'enqueuing_steps', 'steps_in_process']);
    expect((await fastSweep()).retriesDispatched).toBe(0);
    await h.deliver(...roots.map((m) => successResult(m, { step: m.step_name })));
    await h.drive(() => ({ ok: true }));
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
  });

  it('is started by its tick once due, and only once however many ticks and sweeps arrive', async () => {
    const taskUuid = await startDelayed();
    await makeDue(taskUuid);
    await h.tick(taskUuid);
    await h.tick(taskUuid);
    await fastSweep();
    expect(h.dispatched().map((m) => m.step_name)).toEqual(['a', 'b']);
    expect(h.completionMessages()).toEqual([]);
  });

  it('is never started once cancelled', async () => {
    const taskUuid = await startDelayed();
    expect(await h.store.cancelTask(taskUuid, 'not needed')).toMatchObject({ ok: true });
    await makeDue(taskUuid);
    await fastSweep();
    await h.tick(taskUuid);
    expect(h.dispatched()).toEqual([]);
    expect((await h.store.getTask(taskUuid))?.state).toBe('cancelled');
  });
});

describe('run_at now or in the past', () => {
  it('starts the task at once, as without run_at', async () => {
    const result = await h.create({
      namespace: 'tests',
      name: 'delayed_diamond',
      identity_strategy: 'always_unique',
      run_at: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(result).toMatchObject({ ok: true, state: 'steps_in_process' });
    expect(h.dispatched().map((m) => m.step_name)).toEqual(['a', 'b']);
  });
});

describe('createTasks (the ingress batch) with run_at', () => {
  it('creates delayed and immediate tasks in one call, and a repeated idempotency key returns the first task', async () => {
    const template = (await h.store.findTemplate('tests', 'delayed_diamond'))!;
    const base = { namespace: 'tests', name: 'delayed_diamond', context: {}, priority: 0 } as const;
    const outcomes = await h.store.createTasks([
      {
        template,
        request: { ...base, identity_strategy: 'caller_provided', idempotency_key: 'd-1', run_at: inAnHour() },
      },
      { template, request: { ...base, identity_strategy: 'always_unique' } },
      {
        template,
        request: { ...base, identity_strategy: 'caller_provided', idempotency_key: 'd-1', run_at: inAnHour() },
      },
    ]);
    expect(outcomes.map((o) => [o.created, o.state, o.outbox.map((e) => e.kind)])).toEqual([
      [true, 'pending', ['retry_due']],
      [true, 'steps_in_process', ['step_dispatch', 'step_dispatch']],
      [false, 'pending', []],
    ]);
    expect(outcomes[2]!.taskUuid).toBe(outcomes[0]!.taskUuid);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeEngineSettings } from '../../../lib/adapters/postgres/engine-settings.js';
import { domainEventEnvelope } from '../../../lib/contracts/domain-event.js';
import { stepAction } from '../../../lib/orchestration/operator-actions.js';
import { signalStep } from '../../../lib/orchestration/signal-step.js';
import { sweep } from '../../../lib/orchestration/sweep.js';
import { OrchestrationHarness } from '../../helpers/orchestration-harness.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

let db: TestDatabase;
let h: OrchestrationHarness;

const approvalSchema = {
  type: 'object',
  required: ['approved'],
  properties: { approved: { type: 'boolean' }, by: { type: 'string' } },
  additionalProperties: false,
};
/** prepare -> approval (a wait) -> ship */
const approval = (name: string, onTimeout: 'fail' | 'complete' = 'fail') =>
  buildTemplate({
    name,
    steps: [
      { name: 'prepare' },
      {
        name: 'approval',
        deps: ['prepare'],
        timeoutSeconds: 3600,
        wait: { onTimeout, signalSchema: approvalSchema },
        events: [
          { name: 'tests.approval_given', condition: 'success', schema: { properties: { by: { minLength: 2 } } } },
          { name: 'tests.approval_missed', condition: 'permanent_failure' },
        ],
      },
      { name: 'ship', deps: ['approval'] },
    ],
  });
const gated = approval('gated');
const lenient = approval('lenient', 'complete');
/** A wait with no parent: claimed with the task, no schema. */
const rootWait = buildTemplate({
  name: 'root_wait',
  steps: [
    { name: 'hold', wait: {} },
    { name: 'after', deps: ['hold'] },
  ],
});

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(gated, lenient, rootWait);
  await writeEngineSettings(db.pool, { blockedTaskGraceMs: 3_600_000 });
});
afterAll(() => db.close());

/** Starts a gated task and completes `prepare`: its approval step waits. */
async function waiting(template = gated): Promise<string> {
  const taskUuid = await h.start(template);
  await h.succeed(h.dispatched().find((m) => m.task_uuid === taskUuid)!);
  return taskUuid;
}

const signal = (taskUuid: string, payload: unknown, step = 'approval') => signalStep(h.deps, taskUuid, step, payload);

/** Moves the task's open wait deadlines into the past, as time passing would. */
async function expireDeadlines(taskUuid: string): Promise<void> {
  await db.pool.query(
    `update tasker.step_dispatches set wait_deadline_at = now() - interval '1 second'
      where task_uuid = $1 and status = 'dispatched' and wait_deadline_at is not null`,
    [taskUuid],
  );
}

const stepOf = async (taskUuid: string, name: string) =>
  (await h.store.getTask(taskUuid))!.steps.find((s) => s.name === name)!;

describe('a wait step', () => {
  it('waits without a message, then a signal completes it with its payload and its dependents run', async () => {
    const taskUuid = await waiting();
    expect(h.dispatched()).toEqual([]);
    const step = await stepOf(taskUuid, 'approval');
    expect(step).toMatchObject({ state: 'enqueued', stepType: 'wait', attempts: 1 });
    const waitMs = step.waitDeadline!.getTime() - step.lastAttemptedAt!.getTime();
    expect(waitMs).toBeGreaterThan(3_590_000);
    expect(waitMs).toBeLessThan(3_610_000);

    expect(await signal(taskUuid, { approved: true, by: 'ada' })).toEqual({
      ok: true,
      taskUuid,
      stepState: 'complete',
      taskState: 'steps_in_process',
    });
    const [ship] = h.dispatched();
    expect(ship).toMatchObject({ step_name: 'ship', dependency_results: { approval: { approved: true, by: 'ada' } } });
    expect(await stepOf(taskUuid, 'approval')).toMatchObject({
      results: { approved: true, by: 'ada' },
      waitDeadline: null,
    });
    await h.succeed(ship!);
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
    expect(h.bus.published.some((e) => e.DetailType === 'task.completed' && e.Detail.includes(taskUuid))).toBe(true);
    const given = h.bus.published.filter((e) => e.DetailType === 'tests.approval_given' && e.Detail.includes(taskUuid));
    expect(given).toHaveLength(1);
    expect(given[0]!.Source).toBe('tasker.tests');
    expect(domainEventEnvelope.parse(JSON.parse(given[0]!.Detail))).toMatchObject({
      event_name: 'tests.approval_given',
      payload: { approved: true, by: 'ada' },
      error: null,
      metadata: { task_uuid: taskUuid, step_name: 'approval', outcome: 'success', attempt: 1 },
    });
    const audit = (await h.store.transitions(taskUuid)).filter((t) => t.uuid === step.stepUuid);
    expect(audit.map((t) => [t.toState, t.reason])).toEqual(
      expect.arrayContaining([
        ['in_progress', 'signal received'],
        ['enqueued_for_orchestration', 'signal payload taken as the result'],
        ['complete', 'result applied'],
      ]),
    );
  });

  it('refuses a payload that fails its signal_schema, naming every problem, and keeps waiting', async () => {
    const taskUuid = await waiting();
    const refused = await signal(taskUuid, { approved: 'yes', extra: 1 });
    expect(refused).toMatchObject({ ok: false, code: 'invalid_payload' });
    if (refused.ok) return;
    expect(refused.problems).toEqual(
      expect.arrayContaining(['/approved must be boolean', '(root) must NOT have additional properties ("extra")']),
    );
    expect((await stepOf(taskUuid, 'approval')).state).toBe('enqueued');
    expect(await signal(taskUuid, 'x'.repeat(200_001))).toMatchObject({ ok: false, code: 'payload_too_large' });
    expect(await signal(taskUuid, { approved: true, by: 'a' })).toMatchObject({
      ok: false,
      code: 'invalid_payload',
      problems: ['event tests.approval_given: /by must NOT have fewer than 2 characters'],
    });
    expect(await signal(taskUuid, { approved: true, by: 'a\u0000' })).toMatchObject({
      ok: false,
      code: 'invalid_payload',
    });
    expect((await signal(taskUuid, { approved: false })).ok).toBe(true);
  });

  it('refuses a second signal as a duplicate, changing nothing', async () => {
    const taskUuid = await waiting();
    expect((await signal(taskUuid, { approved: true })).ok).toBe(true);
    expect(await signal(taskUuid, { approved: false })).toMatchObject({ ok: false, code: 'duplicate' });
    expect((await stepOf(taskUuid, 'approval')).results).toEqual({ approved: true });
    expect(h.dispatched().map((m) => m.step_name)).toEqual(['ship']);
  });

  it('applies one of two concurrent signals; the other is refused as a duplicate', async () => {
    const taskUuid = await waiting();
    const outcomes = await Promise.all([signal(taskUuid, { approved: true }), signal(taskUuid, { approved: false })]);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ok)).toEqual([expect.objectContaining({ ok: false, code: 'duplicate' })]);
    expect(h.dispatched().map((m) => m.step_name)).toEqual(['ship']);
    const { rows } = await db.pool.query(
      `select count(*)::int as n from tasker.step_dispatches d join tasker.workflow_steps s using (step_uuid)
        where s.task_uuid = $1 and s.name = 'approval' and d.status = 'completed'`,
      [taskUuid],
    );
    expect(rows[0].n).toBe(1);
  });

  it('fails with wait_timeout when no signal arrives in time, and refuses a late signal', async () => {
    const taskUuid = await waiting();
    expect((await sweep(h.deps)).timedOut).toBe(0);
    await expireDeadlines(taskUuid);
    expect((await sweep(h.deps)).timedOut).toBe(1);
    const step = await stepOf(taskUuid, 'approval');
    expect(step.state).toBe('error');
    expect(step.lastError).toMatchObject({ error_type: 'wait_timeout', retryable: false });
    expect((await h.store.getTask(taskUuid))?.state).toBe('blocked_by_failures');
    expect(await signal(taskUuid, { approved: true })).toMatchObject({ ok: false, code: 'late' });
    expect(h.dispatched()).toEqual([]);
    const missed = h.bus.published.filter((e) => e.Detail.includes(taskUuid) && e.DetailType.startsWith('tests.'));
    expect(missed.map((e) => e.DetailType)).toEqual(['tests.approval_missed']);
    expect(JSON.parse(missed[0]!.Detail)).toMatchObject({
      error: { error_type: 'wait_timeout' },
      metadata: { outcome: 'permanent_failure' },
    });
  });

  it('applies one of a signal and a timeout racing for the same wait; the other changes nothing', async () => {
    const taskUuid = await waiting();
    await expireDeadlines(taskUuid);
    const [swept, signalled] = await Promise.all([sweep(h.deps), signal(taskUuid, { approved: true })]);
    const step = await stepOf(taskUuid, 'approval');
    if (signalled.ok) {
      expect(swept.timedOut).toBe(0);
      expect(step.state).toBe('complete');
    } else {
      expect(signalled).toMatchObject({ code: 'late' });
      expect(step).toMatchObject({ state: 'error', lastError: { error_type: 'wait_timeout' } });
    }
    const { rows } = await db.pool.query(
      `select count(*)::int as n from tasker.step_dispatches where step_uuid = $1 and status <> 'dispatched'`,
      [step.stepUuid],
    );
    expect(rows[0].n).toBe(1);
    h.dispatched();
  });

  it('completes with a null result on timeout when on_timeout is complete; a late signal is refused', async () => {
    const taskUuid = await waiting(lenient);
    await expireDeadlines(taskUuid);
    expect((await sweep(h.deps)).timedOut).toBe(1);
    expect(await stepOf(taskUuid, 'approval')).toMatchObject({ state: 'complete', results: null });
    const [ship] = h.dispatched();
    expect(ship).toMatchObject({ step_name: 'ship', dependency_results: { approval: null } });
    expect(await signal(taskUuid, { approved: true })).toMatchObject({ ok: false, code: 'late' });
    const audit = (await h.store.transitions(taskUuid)).map((t) => t.reason);
    expect(audit).toContain('completed on timeout (on_timeout: complete)');
    // Its success event declares a schema the null result was never checked against: it is left out.
    expect(h.bus.published.filter((e) => e.Detail.includes(taskUuid) && e.DetailType.startsWith('tests.'))).toEqual([]);
  });

  it('is claimed with its task when it is a root, and the task completes once it is signalled', async () => {
    const taskUuid = await h.start(rootWait);
    expect(h.dispatched()).toEqual([]);
    expect(await h.stepStates(taskUuid)).toEqual({ hold: 'enqueued', after: 'pending' });
    expect(await signal(taskUuid, null, 'hold')).toMatchObject({ ok: true });
    const [after] = h.dispatched();
    expect(after?.dependency_results).toEqual({ hold: null });
    await h.succeed(after!);
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
  });

  it('refuses a signal for an unknown task or step, a step that is not a wait, or a wait not yet waiting', async () => {
    const taskUuid = await h.start(gated);
    expect(await signal(taskUuid, { approved: true })).toMatchObject({ ok: false, code: 'not_waiting' });
    expect(await signal(taskUuid, {}, 'prepare')).toMatchObject({ ok: false, code: 'not_a_wait' });
    expect(await signal(taskUuid, {}, 'nope')).toMatchObject({ ok: false, code: 'unknown_step' });
    expect(await signal('00000000-0000-4000-8000-000000000000', {})).toMatchObject({ ok: false, code: 'unknown_task' });
    expect(await signal('not-a-uuid', {})).toMatchObject({ ok: false, code: 'invalid_request' });
    h.dispatched();
  });
});

describe('operator actions on a wait step', () => {
  it('complete_manually ends the wait with the operator result; a later signal is refused as late', async () => {
    const taskUuid = await waiting();
    const step = await stepOf(taskUuid, 'approval');
    expect(
      await stepAction(h.deps, step.stepUuid, 'complete_manually', 'approved by phone', { approved: true }),
    ).toEqual({
      ok: true,
    });
    expect(h.dispatched().map((m) => m.step_name)).toEqual(['ship']);
    expect(await signal(taskUuid, { approved: true })).toMatchObject({ ok: false, code: 'late' });
  });

  it('resolve_manually lets its dependents run', async () => {
    const taskUuid = await waiting();
    const step = await stepOf(taskUuid, 'approval');
    expect(await stepAction(h.deps, step.stepUuid, 'resolve_manually', 'not needed')).toEqual({ ok: true });
    expect(h.dispatched().map((m) => m.step_name)).toEqual(['ship']);
  });

  it('reset_for_retry after a timeout makes it wait again, with a new deadline, and a signal completes it', async () => {
    const taskUuid = await waiting();
    await expireDeadlines(taskUuid);
    await sweep(h.deps);
    const step = await stepOf(taskUuid, 'approval');
    expect(step.state).toBe('error');
    expect(await stepAction(h.deps, step.stepUuid, 'reset_for_retry', 'asked again')).toEqual({ ok: true });
    expect(h.dispatched()).toEqual([]);
    const again = await stepOf(taskUuid, 'approval');
    expect(again).toMatchObject({ state: 'enqueued', attempts: 1 });
    expect(again.waitDeadline!.getTime()).toBeGreaterThan(Date.now());
    expect((await signal(taskUuid, { approved: true })).ok).toBe(true);
    expect(h.dispatched().map((m) => m.step_name)).toEqual(['ship']);
  });
});

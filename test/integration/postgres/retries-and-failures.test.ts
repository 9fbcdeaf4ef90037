import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeEngineSettings } from '../../../lib/adapters/postgres/engine-settings.js';
import { buildTemplate, SHAPES } from '../../helpers/template-builder.js';
import { OrchestrationHarness } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

let db: TestDatabase;
let h: OrchestrationHarness;

const once = buildTemplate({ name: 'once', steps: [{ name: 'only', retry: { maxAttempts: 1 } }] });
const thrice = buildTemplate({
  name: 'thrice',
  steps: [{ name: 'only', retry: { maxAttempts: 3, backoffBaseMs: 0, maxBackoffMs: 0 } }],
});
const slow = buildTemplate({
  name: 'slow',
  steps: [{ name: 'only', retry: { maxAttempts: 3, backoffBaseMs: 60_000, maxBackoffMs: 120_000 } }],
});
const notRetryable = buildTemplate({
  name: 'not_retryable',
  steps: [{ name: 'only', retry: { retryable: false, maxAttempts: 5 } }],
});
const twoRoots = buildTemplate({
  name: 'two_roots',
  steps: [{ name: 'bad', retry: { maxAttempts: 1 } }, { name: 'good' }, { name: 'after_good', deps: ['good'] }],
});
const diamond = buildTemplate({ name: 'diamond', steps: SHAPES.diamond });

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(once, thrice, slow, notRetryable, twoRoots, diamond);
  // These tests look at the blocked state itself: tasks stay blocked for an hour instead of failing
  // as soon as nothing is in flight (the default; blocked-tasks.test.ts).
  await writeEngineSettings(db.pool, { blockedTaskGraceMs: 3_600_000 });
});
afterAll(() => db.close());

async function stepRow(taskUuid: string, name: string) {
  const { rows } = await db.pool.query('select * from tasker.workflow_steps where task_uuid = $1 and name = $2', [
    taskUuid,
    name,
  ]);
  return rows[0];
}

describe('retry boundaries', () => {
  it('runs a max_attempts 1 step exactly once and blocks the task on its failure', async () => {
    const taskUuid = await h.start(once);
    const [m] = h.dispatched();
    expect(m!.attempt).toBe(1);
    await h.fail(m!, { retryable: true });
    expect(h.dispatched()).toEqual([]);
    expect(await h.stepStates(taskUuid)).toEqual({ only: 'error' });
    expect((await h.store.getTask(taskUuid))?.state).toBe('blocked_by_failures');
    expect((await stepRow(taskUuid, 'only')).attempts).toBe(1);
  });

  it('retries then succeeds: with no backoff attempt 2 is dispatched at once, with a new event_id', async () => {
    const taskUuid = await h.start(thrice);
    const [first] = h.dispatched();
    await h.fail(first!);
    const [second] = h.dispatched();
    expect(second!.attempt).toBe(2);
    expect(second!.event_id).not.toBe(first!.event_id);
    await h.succeed(second!, { ok: true });
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
  });

  it('holds a failed step in waiting_for_retry until its backoff elapses, then a tick dispatches it', async () => {
    // A minute's backoff, so no busy machine reaches it by accident; then the backoff is made to have elapsed.
    const taskUuid = await h.start(slow);
    await h.fail(h.dispatched()[0]!);
    expect(await h.stepStates(taskUuid)).toEqual({ only: 'waiting_for_retry' });
    expect((await h.store.getTask(taskUuid))?.state).toBe('waiting_for_retry');
    await h.tick(taskUuid);
    expect(h.dispatched()).toEqual([]);
    await h.db.query(
      "update tasker.workflow_steps set next_attempt_at = now() - interval '1 second' where task_uuid = $1 and state = 'waiting_for_retry'",
      [taskUuid],
    );
    await h.tick(taskUuid);
    const [second] = h.dispatched();
    expect(second!.attempt).toBe(2);
    await h.succeed(second!);
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
  });

  it('exhausts retries: three failures end the step in error with the last error kept', async () => {
    const taskUuid = await h.start(thrice);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [m] = h.dispatched();
      expect(m!.attempt).toBe(attempt);
      await h.fail(m!, { message: `failure ${attempt}` });
    }
    expect(h.dispatched()).toEqual([]);
    const row = await stepRow(taskUuid, 'only');
    expect(row.state).toBe('error');
    expect(row.last_error).toMatchObject({ message: 'failure 3', attempt: 3, error_type: 'handler_error' });
    expect((await h.store.getTask(taskUuid))?.state).toBe('blocked_by_failures');
  });

  it('fails a permanent error at once even with attempts left', async () => {
    const taskUuid = await h.start(thrice);
    const [m] = h.dispatched();
    await h.fail(m!, { retryable: false, error_type: 'handler_not_found' });
    expect(await h.stepStates(taskUuid)).toEqual({ only: 'error' });
  });

  it('does not retry a step whose template says retryable: false', async () => {
    const taskUuid = await h.start(notRetryable);
    await h.fail(h.dispatched()[0]!, { retryable: true });
    expect(await h.stepStates(taskUuid)).toEqual({ only: 'error' });
  });

  it('waits out the backoff: a tick before next_attempt_at dispatches nothing and re-arms itself', async () => {
    const taskUuid = await h.start(slow);
    await h.fail(h.dispatched()[0]!);
    h.completionMessages();
    await h.tick(taskUuid);
    expect(h.dispatched()).toEqual([]);
    const ticks = h.completionMessages().map((m) => ({ delay: m.delaySeconds, body: JSON.parse(m.body) }));
    expect(ticks).toEqual([
      expect.objectContaining({ body: expect.objectContaining({ message_type: 'retry_due', task_uuid: taskUuid }) }),
    ]);
    expect(ticks[0]!.delay).toBeGreaterThanOrEqual(29);
    expect(await h.store.readySteps(taskUuid)).toEqual([]);
  });

  it('schedules next_attempt_at from the backoff with the injected random, and honours retry-after', async () => {
    h.randomValue = 0;
    const taskUuid = await h.start(slow);
    await h.fail(h.dispatched()[0]!);
    const row = await stepRow(taskUuid, 'only');
    const delay = row.next_attempt_at.getTime() - row.last_attempted_at.getTime();
    expect(delay).toBeGreaterThanOrEqual(30_000);
    expect(delay).toBeLessThan(31_000);
    h.randomValue = 0.5;
    const other = await h.start(slow);
    await h.fail(h.dispatched()[0]!, { retry_after_ms: 500_000 });
    const capped = await stepRow(other, 'only');
    const cappedDelay = capped.next_attempt_at.getTime() - capped.last_attempted_at.getTime();
    expect(cappedDelay).toBeGreaterThanOrEqual(120_000);
    expect(cappedDelay).toBeLessThan(121_000);
  });
});

describe('status precedence (TAS-67 fix)', () => {
  it('is blocked_by_failures when one root failed permanently and another branch is ready', async () => {
    const taskUuid = await h.start(twoRoots);
    const roots = h.dispatched();
    const bad = roots.find((m) => m.step_name === 'bad')!;
    const good = roots.find((m) => m.step_name === 'good')!;
    await h.fail(bad, { retryable: false });
    await h.succeed(good);
    const ctx = await h.store.executionContext(taskUuid);
    expect(ctx).toMatchObject({ readySteps: 1, failedSteps: 1, executionStatus: 'blocked_by_failures' });
    expect(h.dispatched()).toEqual([]);
    expect((await h.store.getTask(taskUuid))?.state).toBe('blocked_by_failures');
  });

  it('emits task.blocked_by_failures once', async () => {
    const before = h.bus.published.length;
    const taskUuid = await h.start(once);
    await h.fail(h.dispatched()[0]!, { retryable: false });
    const events = h.bus.published.slice(before).map((e) => JSON.parse(e.Detail).event_name);
    expect(events).toEqual(['task.blocked_by_failures']);
    expect(taskUuid).toBeTruthy();
  });
});

describe('results are applied once', () => {
  it('refuses a duplicate of an applied result and changes nothing', async () => {
    const taskUuid = await h.start(diamond);
    const [a] = h.dispatched();
    await h.succeed(a!, { v: 1 });
    const before = await h.store.transitions(taskUuid);
    const outcome = await h.store.applyStepResult(
      { ...(await import('../../helpers/orchestration-harness.js')).successResult(a!, { v: 2 }) },
      0.5,
    );
    expect(outcome).toMatchObject({ status: 'duplicate', stepState: 'complete' });
    expect(await h.store.transitions(taskUuid)).toEqual(before);
    expect((await stepRow(taskUuid, 'a')).results).toEqual({ v: 1 });
    expect(
      h
        .dispatched()
        .map((m) => m.step_name)
        .sort(),
    ).toEqual(['b', 'c']);
  });

  it('refuses an unknown event_id and a result whose ids do not match its event', async () => {
    const taskUuid = await h.start(once);
    const [m] = h.dispatched();
    const { successResult } = await import('../../helpers/orchestration-harness.js');
    const unknown = await h.store.applyStepResult(successResult({ ...m!, event_id: crypto.randomUUID() }, {}), 0.5);
    expect(unknown.status).toBe('unknown_event');
    const mismatched = await h.store.applyStepResult(successResult({ ...m!, step_uuid: crypto.randomUUID() }, {}), 0.5);
    expect(mismatched).toMatchObject({
      status: 'unknown_event',
      reason: expect.stringContaining('another task or step'),
    });
    expect(await h.stepStates(taskUuid)).toEqual({ only: 'enqueued' });
  });

  it('acknowledges refused results in the completion batch (no batch item failure) and logs them', async () => {
    await h.start(once);
    const [m] = h.dispatched();
    expect((await h.succeed(m!)).batchItemFailures).toEqual([]);
    expect((await h.succeed(m!)).batchItemFailures).toEqual([]);
    expect(h.logger.find('step result refused').at(-1)?.fields).toMatchObject({
      refusal: 'duplicate',
      event_id: m!.event_id,
      task_uuid: m!.task_uuid,
      step_uuid: m!.step_uuid,
    });
  });
});

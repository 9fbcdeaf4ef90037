import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresOrchestrationStore } from '../../../lib/adapters/postgres/postgres-orchestration-store.js';
import { writeEngineSettings } from '../../../lib/adapters/postgres/engine-settings.js';
import { sweep } from '../../../lib/orchestration/sweep.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { OrchestrationHarness, successResult } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

let db: TestDatabase;
let h: OrchestrationHarness;

const single = buildTemplate({
  name: 'single',
  steps: [{ name: 'only', timeoutSeconds: 1, retry: { maxAttempts: 2, backoffBaseMs: 0, maxBackoffMs: 0 } }],
});
const chain = buildTemplate({ name: 'chain', steps: [{ name: 'a' }, { name: 'b', deps: ['a'] }] });
const backoff = buildTemplate({
  name: 'backoff',
  steps: [{ name: 'only', retry: { maxAttempts: 2, backoffBaseMs: 100, maxBackoffMs: 100 } }],
});

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(single, chain, backoff);
  await db.pool.query(`update tasker.settings set value = '0' where key = 'dispatch_grace_ms'`);
  // Failed steps leave their tasks blocked here (for an hour) rather than failed at once (the
  // default; blocked-tasks.test.ts).
  await writeEngineSettings(db.pool, { blockedTaskGraceMs: 3_600_000 });
});
afterAll(() => db.close());

const fastSweep = () => sweep({ ...h.deps, limits: { outboxResendAfterMs: 0 } });

describe('the timeout sweeper', () => {
  it('fails an attempt past its deadline with handler_timeout, retries it, and refuses the late real result', async () => {
    const taskUuid = await h.start(single);
    const [first] = h.dispatched();
    expect(new Date(first!.deadline).getTime() - new Date(first!.dispatched_at).getTime()).toBe(1000);
    await db.pool.query(
      `update tasker.step_dispatches set deadline_at = now() - interval '1 second' where event_id = $1`,
      [first!.event_id],
    );
    const report = await fastSweep();
    expect(report.timedOut).toBe(1);
    const { rows } = await db.pool.query(
      'select last_error, attempts from tasker.workflow_steps where task_uuid = $1',
      [taskUuid],
    );
    expect(rows[0].last_error).toMatchObject({ error_type: 'handler_timeout', attempt: 1 });
    const [second] = h.dispatched();
    expect(second!.attempt).toBe(2);
    const late = await h.store.applyStepResult(successResult(first!, { late: true }), 0.5);
    expect(late).toMatchObject({ status: 'late', reason: 'this attempt was already timed out' });
    await h.succeed(second!);
    expect((await h.store.getTask(taskUuid))?.state).toBe('complete');
  });

  it('ends the step in error when the timed-out attempt was the last', async () => {
    const taskUuid = await h.start(single);
    for (let i = 0; i < 2; i++) {
      const [m] = h.dispatched();
      await db.pool.query(
        `update tasker.step_dispatches set deadline_at = now() - interval '1 second' where event_id = $1`,
        [m!.event_id],
      );
      await fastSweep();
    }
    expect(await h.stepStates(taskUuid)).toEqual({ only: 'error' });
    expect((await h.store.getTask(taskUuid))?.state).toBe('blocked_by_failures');
  });

  it('leaves attempts inside their deadline alone', async () => {
    await db.pool.query(`update tasker.settings set value = '60000' where key = 'dispatch_grace_ms'`);
    const taskUuid = await h.start(chain);
    expect((await fastSweep()).timedOut).toBe(0);
    expect(await h.stepStates(taskUuid)).toEqual({ a: 'enqueued', b: 'pending' });
    h.dispatched();
  });
});

describe('the outbox', () => {
  it('keeps a dispatch whose send failed and re-sends it on the next sweep', async () => {
    h.queues.failNext(1, { permanent: false });
    const taskUuid = await h.start(chain);
    expect(h.dispatched()).toEqual([]);
    const { rows } = await db.pool.query(
      `select count(*)::int as n from tasker.outbox where payload->>'task_uuid' = $1`,
      [taskUuid],
    );
    expect(rows[0].n).toBe(1);
    expect((await fastSweep()).resent).toBe(1);
    const [a] = h.dispatched();
    expect(a).toMatchObject({ task_uuid: taskUuid, step_name: 'a' });
    const after = await db.pool.query(`select count(*)::int as n from tasker.outbox where payload->>'task_uuid' = $1`, [
      taskUuid,
    ]);
    expect(after.rows[0].n).toBe(0);
  });

  it('fails the step permanently when its dispatch message can never be sent', async () => {
    h.queues.failNext(1, { permanent: true });
    const taskUuid = await h.start(chain);
    expect(await h.stepStates(taskUuid)).toEqual({ a: 'error', b: 'pending' });
    const { rows } = await db.pool.query(
      `select last_error from tasker.workflow_steps where task_uuid = $1 and name = 'a'`,
      [taskUuid],
    );
    expect(rows[0].last_error).toMatchObject({ error_type: 'payload_too_large', retryable: false });
    expect((await h.store.getTask(taskUuid))?.state).toBe('blocked_by_failures');
  });

  it('recovers a crash between commit and send: rows committed but never sent are delivered once by the sweeper', async () => {
    const outcome = await h.store.createTask(
      { namespace: 'tests', name: 'chain', context: { crash: 1 }, priority: 0, identity_strategy: 'always_unique' },
      chain,
    );
    expect(outcome.outbox).toHaveLength(1);
    expect(h.dispatched()).toEqual([]);
    await fastSweep();
    const sent = h.dispatched();
    expect(sent.map((m) => [m.task_uuid, m.step_name])).toEqual([[outcome.taskUuid, 'a']]);
    await fastSweep();
    expect(h.dispatched()).toEqual([]);
  });

  it('marks rows sent in a transaction that waits for no WAL flush, and leaves the session setting alone', async () => {
    const outcome = await h.store.createTask(
      { namespace: 'tests', name: 'chain', context: { marked: 1 }, priority: 0, identity_strategy: 'always_unique' },
      chain,
    );
    const ids = outcome.outbox.map((e) => e.id);
    const client = await db.pool.connect();
    try {
      const store = new PostgresOrchestrationStore(client);
      const setting = async () => (await client.query('show synchronous_commit')).rows[0].synchronous_commit;
      const session = await setting();
      expect(session).not.toBe('off');
      await client.query('begin');
      await store.markOutboxSent(ids);
      expect(await setting()).toBe('off');
      await client.query('commit');
      expect(await setting()).toBe(session);
      // Alone (its own implicit transaction), as the engine calls it: nothing stays set afterwards.
      await store.markOutboxSent(ids);
      expect(await setting()).toBe(session);
    } finally {
      client.release();
    }
    const { rows } = await db.pool.query('select count(*)::int as n from tasker.outbox where id = any($1::bigint[])', [
      ids,
    ]);
    expect(rows[0].n).toBe(0);
  });
});

describe('due retries', () => {
  it('dispatches a retry whose backoff elapsed even when its tick was lost', async () => {
    const taskUuid = await h.start(backoff);
    await h.fail(h.dispatched()[0]!);
    h.completionMessages();
    expect((await fastSweep()).retriesDispatched).toBe(0);
    await new Promise((r) => setTimeout(r, 150));
    expect((await fastSweep()).retriesDispatched).toBe(1);
    expect(h.dispatched().map((m) => [m.task_uuid, m.attempt])).toEqual([[taskUuid, 2]]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepDispatchMessage } from '../../../lib/contracts/step-dispatch-message.js';
import { sweep } from '../../../lib/orchestration/sweep.js';
import type { DispatchQueueObservation } from '../../../lib/ports/orchestration-store.js';
import type { MessageCounts } from '../../../lib/ports/queue-counts.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { DISPATCH_QUEUE, OrchestrationHarness } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * Bursts (issue 11): an attempt's time starts when a handler takes it up. The database side: start
 * markers move an open attempt's deadline by its wait, and the sweeper holds an attempt nobody
 * reported started while its dispatch queue was seen holding a backlog within the attempt's budget.
 */

let db: TestDatabase;
let h: OrchestrationHarness;

/** Budget: 1 s step timeout + 2 s grace. */
const single = buildTemplate({
  name: 'start_single',
  steps: [{ name: 'only', timeoutSeconds: 1, retry: { maxAttempts: 2, backoffBaseMs: 0, maxBackoffMs: 0 } }],
});
const other = buildTemplate({
  namespace: 'payments',
  name: 'start_other',
  steps: [{ name: 'charge', timeoutSeconds: 1 }],
});
const PAYMENTS_QUEUE = 'test://payments';

beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(single, other);
  await db.pool.query(`update tasker.settings set value = '2000' where key = 'dispatch_grace_ms'`);
});
afterAll(() => db.close());

async function dispatchRow(eventId: string) {
  const { rows } = await db.pool.query(
    `select status, started_at, (extract(epoch from deadline_at - dispatched_at) * 1000)::float8 as budget_ms, deadline_at, dispatched_at from tasker.step_dispatches where event_id = $1`,
    [eventId],
  );
  return rows[0] as {
    status: string;
    started_at: Date | null;
    budget_ms: number;
    deadline_at: Date;
    dispatched_at: Date;
  };
}

/** Moves an attempt's claim (and so its deadline) into the past, as if it had waited `ms`. */
async function age(m: StepDispatchMessage, ms: number): Promise<void> {
  await db.pool.query(
    `update tasker.step_dispatches set dispatched_at = dispatched_at - $2 * interval '1 millisecond', deadline_at = deadline_at - $2 * interval '1 millisecond' where event_id = $1`,
    [m.event_id, ms],
  );
}

async function startOne(): Promise<StepDispatchMessage> {
  await h.start(single);
  const [m] = h.dispatched();
  return m!;
}

const observed = (backlogged: string[]): DispatchQueueObservation => ({
  defaultQueue: DISPATCH_QUEUE,
  namespaceQueues: { payments: PAYMENTS_QUEUE },
  backlogged,
});
const overdueIds = async (queues?: DispatchQueueObservation) =>
  (await h.store.findTimedOutDispatches(500, queues)).map((d) => d.eventId);

describe('start markers', () => {
  it("move an open attempt's deadline to its start plus its whole budget, once", async () => {
    const m = await startOne();
    const before = await dispatchRow(m.event_id);
    expect(before.budget_ms).toBe(3000);
    const start = new Date(before.dispatched_at.getTime() + 60_000);
    expect(
      await h.store.markAttemptsStarted([
        { eventId: m.event_id, startedAt: start },
        { eventId: m.event_id, startedAt: new Date(start.getTime() + 5_000) },
      ]),
    ).toBe(1);
    const after = await dispatchRow(m.event_id);
    expect(after.started_at).toEqual(start);
    expect(after.deadline_at).toEqual(new Date(start.getTime() + 3000));
    expect(
      await h.store.markAttemptsStarted([{ eventId: m.event_id, startedAt: new Date(start.getTime() + 90_000) }]),
    ).toBe(0);
    expect((await dispatchRow(m.event_id)).started_at).toEqual(start);
    await h.succeed(m);
  });

  it('leave closed and unknown attempts alone', async () => {
    const m = await startOne();
    await h.succeed(m);
    const later = new Date(Date.now() + 60_000);
    expect(
      await h.store.markAttemptsStarted([
        { eventId: m.event_id, startedAt: later },
        { eventId: '00000000-0000-4000-8000-000000000001', startedAt: later },
      ]),
    ).toBe(0);
    expect(await dispatchRow(m.event_id)).toMatchObject({ status: 'completed', started_at: null });
  });

  // PGlite serves one connection at a time: a transaction held open there blocks every other query.
  it.runIf(Boolean(process.env.DATABASE_URL))(
    'skip an attempt another transaction holds instead of waiting for it',
    async () => {
      const m = await startOne();
      const holder = await db.pool.connect();
      try {
        await holder.query('begin');
        await holder.query('select 1 from tasker.step_dispatches where event_id = $1 for update', [m.event_id]);
        expect(await h.store.markAttemptsStarted([{ eventId: m.event_id, startedAt: new Date() }])).toBe(0);
        await holder.query('rollback');
      } finally {
        holder.release();
      }
      expect(await h.store.markAttemptsStarted([{ eventId: m.event_id, startedAt: new Date() }])).toBe(1);
      await h.succeed(m);
    },
  );
});

describe('the sweeper and a backlog', () => {
  it('holds an overdue attempt nobody reported started while its queue holds a backlog, and times it out once the queue was quiet for its budget', async () => {
    const m = await startOne();
    await age(m, 10_000);
    expect(await overdueIds(observed([DISPATCH_QUEUE]))).not.toContain(m.event_id);
    expect(await overdueIds(observed([]))).not.toContain(m.event_id);
    await db.pool.query(
      `update tasker.dispatch_queue_backlogs set seen_at = now() - interval '3001 milliseconds' where queue_url = $1`,
      [DISPATCH_QUEUE],
    );
    expect(await overdueIds(observed([]))).toContain(m.event_id);
    expect(await overdueIds(), 'without an observation only the deadline counts').toContain(m.event_id);
    await h.fail(m, { retryable: false });
  });

  it('does not hold an attempt reported started: its deadline runs from its start, backlog or not', async () => {
    const m = await startOne();
    await age(m, 10_000);
    const row = await dispatchRow(m.event_id);
    await h.store.markAttemptsStarted([
      { eventId: m.event_id, startedAt: new Date(row.dispatched_at.getTime() + 9_000) },
    ]);
    expect(await overdueIds(observed([]))).not.toContain(m.event_id);
    await age(m, 3_000);
    expect(await overdueIds(observed([DISPATCH_QUEUE]))).toContain(m.event_id);
    await h.fail(m, { retryable: false });
  });

  it("looks at the queue of the attempt's namespace", async () => {
    await db.pool.query('delete from tasker.dispatch_queue_backlogs');
    await h.start(other);
    const [m] = h.dispatched();
    await age(m!, 10_000);
    expect(await overdueIds(observed([DISPATCH_QUEUE]))).toContain(m!.event_id);
    expect(await overdueIds(observed([PAYMENTS_QUEUE]))).not.toContain(m!.event_id);
    await h.succeed(m!);
  });

  it('sweeps with the queue counts: nothing timed out while the queue holds messages, then the lost attempt is', async () => {
    await db.pool.query('delete from tasker.dispatch_queue_backlogs');
    const m = await startOne();
    await age(m, 10_000);
    let waiting: MessageCounts = { visible: 40, inFlight: 2, delayed: 0 };
    const deps = { ...h.deps, queueCounts: { countMessages: async () => waiting } };
    expect((await sweep(deps)).timedOut).toBe(0);
    waiting = { visible: 0, inFlight: 2, delayed: 0 };
    expect((await sweep(deps)).timedOut, 'quiet for less than the budget').toBe(0);
    await db.pool.query(`update tasker.dispatch_queue_backlogs set seen_at = now() - interval '4 seconds'`);
    expect((await sweep(deps)).timedOut).toBe(1);
    const [retry] = h.dispatched();
    expect(retry).toMatchObject({ step_uuid: m.step_uuid, attempt: 2 });
    await h.succeed(retry!);
  });
});

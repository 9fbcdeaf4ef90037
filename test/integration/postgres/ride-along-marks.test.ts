import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PostgresOrchestrationStore } from '../../../lib/adapters/postgres/postgres-orchestration-store.js';
import { CountingQueryable } from '../../../lib/adapters/postgres/queryable.js';
import type { Schedule } from '../../../lib/adapters/postgres/ride-along-marks.js';
import type { StepDispatchMessage } from '../../../lib/contracts/step-dispatch-message.js';
import type { TaskTemplate } from '../../../lib/domain/task-template.js';
import { registerTemplates } from '../../../lib/orchestration/register-templates.js';
import type { OutboxEntry } from '../../../lib/ports/orchestration-store.js';
import { successResult } from '../../helpers/orchestration-harness.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * Outbox marks riding on the store's next write (StoreOptions.rideAlongMarks), read back from tasker.outbox through
 * a connection of the test's own: a held mark leaves its row in place, the next apply or create deletes it in its own
 * statement (no round trip of its own), a failed call keeps it held, and a process that dies holding it loses nothing.
 */
const oneStep = buildTemplate({ name: 'ride_along_one_step', steps: [{ name: 'only' }] });
const neverRegistered = buildTemplate({ name: 'ride_along_never_registered', steps: [{ name: 'only' }] });

let db: TestDatabase;
/**
 * The stores' one connection, held: pool.query would drop its connection on a failed statement, and on PGlite (one
 * session behind every connection) the next one's first prepare of a name the session has would clash (42P05) and
 * cost a second round trip.
 */
let client: pg.PoolClient;
let reader: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase();
  client = await db.pool.connect();
  reader = new pg.Client({ connectionString: db.connectionString });
  await reader.connect();
  await registerTemplates(new PostgresOrchestrationStore(client), [oneStep]);
}, 60_000);
afterAll(async () => {
  await reader?.end();
  client?.release();
  await db?.close();
});
beforeEach(async () => {
  // Each test reads the outbox from empty: the rows of earlier tests would push its own out of unsentOutbox's page.
  await reader.query('delete from tasker.outbox');
});

/** A store holding marks for a ride; its timers only fire when the test fires them. */
function rideAlongStore() {
  const timers: Array<() => void> = [];
  const schedule: Schedule = (run) => {
    timers.push(run);
    return () => undefined;
  };
  const counted = new CountingQueryable(client);
  const store = new PostgresOrchestrationStore(counted, { rideAlongMarks: { maxWaitMs: 60_000, schedule } });
  return { store, counted, timers };
}

/** The ids among `ids` still in tasker.outbox, read by the test's own connection. */
async function inOutbox(...ids: string[]): Promise<string[]> {
  const { rows } = await reader.query<{ id: string }>(
    'select id::text as id from tasker.outbox where id = any($1::bigint[]) order by id',
    [ids],
  );
  return rows.map((r) => r.id);
}

/** Creates a task of `template`; its root step's dispatch, as it lands in the outbox. */
async function start(store: PostgresOrchestrationStore, template: TaskTemplate = oneStep): Promise<OutboxEntry> {
  const request = { namespace: template.namespace, name: template.name, context: {}, priority: 0 };
  const created = await store.createTask({ ...request, identity_strategy: 'always_unique' }, template);
  const dispatch = created.outbox.find((e) => e.kind === 'step_dispatch');
  if (!dispatch) throw new Error('the new task dispatched no step');
  return dispatch;
}

const resultFor = (dispatch: OutboxEntry, value: unknown) => ({
  result: successResult(dispatch.payload as unknown as StepDispatchMessage, value),
  random: 0.5,
});

describe('with rideAlongMarks', () => {
  it('holds a mark without a round trip; the next applyStepResults deletes its row in the same call', async () => {
    const { store, counted, timers } = rideAlongStore();
    const dispatch = await start(store);
    expect(await inOutbox(dispatch.id)).toEqual([dispatch.id]);

    counted.roundTrips = 0;
    await store.markOutboxSent([dispatch.id]);
    expect(counted.roundTrips).toBe(0);
    expect(store.heldOutboxMarks).toBe(1);
    expect(timers).toHaveLength(1);
    expect(await inOutbox(dispatch.id), 'held, not written').toEqual([dispatch.id]);

    const outcomes = await store.applyStepResults([resultFor(dispatch, { ok: 1 })]);
    expect(outcomes).toMatchObject([{ status: 'applied', stepState: 'complete', taskState: 'complete' }]);
    expect(counted.roundTrips, 'the mark rode on the apply').toBe(1);
    expect(store.heldOutboxMarks).toBe(0);
    expect(await inOutbox(dispatch.id)).toEqual([]);
  });

  it('rides on createTask of another task, which lands its own dispatch', async () => {
    const { store, counted } = rideAlongStore();
    const first = await start(store);
    await store.markOutboxSent([first.id]);
    expect(await inOutbox(first.id)).toEqual([first.id]);

    counted.roundTrips = 0;
    const second = await start(store);
    expect(counted.roundTrips, 'the mark rode on the create').toBe(1);
    expect(store.heldOutboxMarks).toBe(0);
    expect(await inOutbox(first.id, second.id)).toEqual([second.id]);
  });

  it('writes a mark on its own when its timer fires before any write', async () => {
    const { store, counted, timers } = rideAlongStore();
    const dispatch = await start(store);
    await store.markOutboxSent([dispatch.id]);
    counted.roundTrips = 0;
    timers[0]!();
    await expect.poll(() => store.heldOutboxMarks).toBe(0);
    await expect.poll(() => inOutbox(dispatch.id)).toEqual([]);
    expect(counted.roundTrips).toBe(1);
  });

  it('keeps the mark held and its row in place when the apply it rode on fails; a flush deletes it', async () => {
    const { store, counted } = rideAlongStore();
    const dispatch = await start(store);
    await store.markOutboxSent([dispatch.id]);

    counted.roundTrips = 0;
    // jsonb refuses U+0000: apply_step_results raises, and the mark in the same statement rolls back with it.
    const outcomes = await store.applyStepResults([resultFor(dispatch, { note: 'a\u0000b' })]);
    expect(outcomes).toMatchObject([{ status: 'unstorable', code: '22P05' }]);
    expect(counted.roundTrips, 'the mark went with the failed call').toBe(1);
    expect(store.heldOutboxMarks).toBe(1);
    expect(await inOutbox(dispatch.id)).toEqual([dispatch.id]);

    counted.roundTrips = 0;
    await store.flushOutboxMarks();
    expect(counted.roundTrips).toBe(1);
    expect(store.heldOutboxMarks).toBe(0);
    expect(await inOutbox(dispatch.id)).toEqual([]);
  });

  it('keeps the mark held when createTask finds no registered template', async () => {
    const { store } = rideAlongStore();
    const dispatch = await start(store);
    await store.markOutboxSent([dispatch.id]);
    await expect(start(store, neverRegistered)).rejects.toThrow(/is not registered/);
    expect(store.heldOutboxMarks).toBe(1);
    expect(await inOutbox(dispatch.id)).toEqual([dispatch.id]);

    const other = await start(store);
    expect(store.heldOutboxMarks).toBe(0);
    expect(await inOutbox(dispatch.id, other.id)).toEqual([other.id]);
  });

  it('loses nothing when the process dies holding marks: the sweeper’s read still finds the row', async () => {
    const dying = rideAlongStore();
    const dispatch = await start(dying.store);
    await dying.store.markOutboxSent([dispatch.id]);
    expect(dying.store.heldOutboxMarks).toBe(1);
    // The process ends here: no flush, the store and its marks are gone.

    const fresh = new PostgresOrchestrationStore(client);
    const unsent = await fresh.unsentOutbox(0, 10);
    expect(unsent.map((e) => e.id)).toContain(dispatch.id);
    expect(unsent.find((e) => e.id === dispatch.id)).toMatchObject({
      kind: 'step_dispatch',
      payload: dispatch.payload,
    });
    expect(await inOutbox(dispatch.id)).toEqual([dispatch.id]);
  });
});

describe('without rideAlongMarks', () => {
  it('deletes the row when the mark is made, in one round trip', async () => {
    const counted = new CountingQueryable(client);
    const store = new PostgresOrchestrationStore(counted);
    const dispatch = await start(store);
    expect(await inOutbox(dispatch.id)).toEqual([dispatch.id]);

    counted.roundTrips = 0;
    await store.markOutboxSent([dispatch.id]);
    expect(counted.roundTrips).toBe(1);
    expect(store.heldOutboxMarks).toBe(0);
    expect(await inOutbox(dispatch.id)).toEqual([]);
  });
});

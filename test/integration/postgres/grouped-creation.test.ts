import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import {
  PostgresOrchestrationStore,
  type StoreOptions,
} from '../../../lib/adapters/postgres/postgres-orchestration-store.js';
import { CountingQueryable } from '../../../lib/adapters/postgres/queryable.js';
import type { TaskTemplate } from '../../../lib/domain/task-template.js';
import { TemplateChangedError, type CreateTaskOutcome } from '../../../lib/ports/orchestration-store.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * Task creations grouped while others are in flight (StoreOptions.groupedCreates: GroupedCalls, TaskCreation,
 * 000030_grouped_creation.sql), with one slot in flight so that a first call goes alone and what arrives meanwhile goes
 * in one group. What a group wrote is read back through a connection of the test's own; `xmin` tells which rows one
 * transaction wrote.
 */
let db: TestDatabase;
/** The stores' one connection, held (see ride-along-marks.test.ts). */
let client: pg.PoolClient;
let reader: pg.Client;
let otherProcess: PostgresOrchestrationStore;
let otherClient: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase();
  client = await db.pool.connect();
  reader = new pg.Client({ connectionString: db.connectionString });
  await reader.connect();
  otherClient = new pg.Client({ connectionString: db.connectionString });
  await otherClient.connect();
  otherProcess = new PostgresOrchestrationStore(otherClient, { preparedStatements: false, templateCache: false });
}, 60_000);
afterAll(async () => {
  await otherClient?.end();
  await reader?.end();
  client?.release();
  await db?.close();
});

const template = (name: string, steps = ['only']) => buildTemplate({ name, steps: steps.map((s) => ({ name: s })) });

/** A store grouping creations behind one slot in flight, its round trips counted. */
function groupingStore(options: StoreOptions = {}) {
  const counted = new CountingQueryable(client);
  const store = new PostgresOrchestrationStore(counted, {
    ...options,
    groupedCreates: { maxInFlight: 1, maxGroup: 50 },
  });
  return { counted, store };
}

const request = (
  t: TaskTemplate,
  context: Record<string, unknown>,
  identity: 'always_unique' | 'strict' = 'always_unique',
) => ({ namespace: t.namespace, name: t.name, context, priority: 0, identity_strategy: identity });

/** Each caller's outcome, or the class name and SQLSTATE (if any) of what it was refused with. */
const settled = (calls: Promise<CreateTaskOutcome>[]) =>
  Promise.all(
    calls.map((c) =>
      c.then(
        (o) => o,
        (e: Error & { code?: string }) => `${e.name}${e.code ? ` ${e.code}` : ''}`,
      ),
    ),
  );

/** The tasks of a template: their context's `n` and the transaction that wrote each, in creation order. */
async function tasksOf(name: string): Promise<Array<{ n: number; xmin: string }>> {
  const { rows } = await reader.query<{ n: number; xmin: string }>(
    `select (context->>'n')::int as n, xmin::text as xmin from tasker.tasks
      where namespace_name = 'tests' and task_name = $1 order by (context->>'n')::int`,
    [name],
  );
  return rows;
}

describe('grouped task creation', () => {
  it('sends the creations that arrive while one is in flight as one call: one transaction, each caller its own task', async () => {
    const t = template('grouped_plain');
    await otherProcess.registerTemplate(t);
    const { counted, store } = groupingStore();
    const calls = Array.from({ length: 10 }, (_, n) => store.createTask(request(t, { n }), t));
    const outcomes = (await Promise.all(calls)) as CreateTaskOutcome[];

    expect(counted.roundTrips, 'the first alone, the nine after it together').toBe(2);
    expect(new Set(outcomes.map((o) => o.taskUuid)).size).toBe(10);
    for (const o of outcomes) {
      expect(o).toMatchObject({ created: true, state: 'steps_in_process' });
      expect(o.outbox.map((e) => [e.kind, e.payload.task_uuid])).toEqual([['step_dispatch', o.taskUuid]]);
    }
    const rows = await tasksOf('grouped_plain');
    expect(rows.map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(rows.slice(1).map((r) => r.xmin)).size, 'the nine in one transaction').toBe(1);
    expect(rows[0]!.xmin).not.toBe(rows[1]!.xmin);
  });

  it('tells the second caller of the same identity in one group that its task exists', async () => {
    const t = template('grouped_identity');
    await otherProcess.registerTemplate(t);
    const { counted, store } = groupingStore();
    const calls = [
      store.createTask(request(t, { n: 0 }, 'strict'), t),
      store.createTask(request(t, { n: 1 }, 'strict'), t),
      store.createTask(request(t, { n: 1 }, 'strict'), t),
    ];
    const [, first, second] = (await Promise.all(calls)) as CreateTaskOutcome[];
    expect(counted.roundTrips).toBe(2);
    expect([first!.created, second!.created]).toEqual([true, false]);
    expect(second!.taskUuid).toBe(first!.taskUuid);
    expect(second!.outbox).toEqual([]);
    expect((await tasksOf('grouped_identity')).map((r) => r.n)).toEqual([0, 1]);
  });

  it('fails only the caller whose request the database refuses; the others are created one by one', async () => {
    const t = template('grouped_refused');
    await otherProcess.registerTemplate(t);
    const { counted, store } = groupingStore();
    const calls = [
      store.createTask(request(t, { n: 0 }), t),
      store.createTask(request(t, { n: 1 }), t),
      store.createTask(request(t, { n: 2, text: 'nul \u0000 inside' }), t),
      store.createTask(request(t, { n: 3 }), t),
    ];
    const outcomes = await settled(calls);
    expect(outcomes[2]).toBe('error 22P05'); // jsonb holds no \u0000: untranslatable_character
    expect(outcomes.filter((o) => typeof o !== 'string')).toHaveLength(3);
    expect(counted.roundTrips, 'alone, the group (refused), then its three one by one').toBe(5);
    expect((await tasksOf('grouped_refused')).map((r) => r.n)).toEqual([0, 1, 3]);
  });

  it('refuses with TemplateChangedError the grouped requests whose kept template was registered again meanwhile', async () => {
    const kept = template('grouped_kept');
    const other = template('grouped_other');
    await otherProcess.registerTemplate(kept);
    await otherProcess.registerTemplate(other);
    const { store } = groupingStore();
    const k = (await store.findTemplate('tests', 'grouped_kept'))!;
    const o = (await store.findTemplate('tests', 'grouped_other'))!;
    await otherProcess.registerTemplate(template('grouped_kept', ['changed']));

    const outcomes = await settled([
      store.createTask(request(o, { n: 0 }), o),
      store.createTask(request(k, { n: 1 }), k),
      store.createTask(request(o, { n: 2 }), o),
      store.createTask(request(k, { n: 3 }), k),
    ]);
    expect(outcomes.map((x) => (typeof x === 'string' ? x : 'created'))).toEqual([
      'created',
      'TemplateChangedError',
      'created',
      'TemplateChangedError',
    ]);
    await expect(store.createTask(request(k, { n: 4 }), k)).rejects.toBeInstanceOf(TemplateChangedError);
    expect(await tasksOf('grouped_kept')).toEqual([]);
    expect((await tasksOf('grouped_other')).map((r) => r.n)).toEqual([0, 2]);
  });

  it('carries the outbox marks held when the group goes, in its own statement', async () => {
    const t = template('grouped_marks');
    await otherProcess.registerTemplate(t);
    const { counted, store } = groupingStore({
      rideAlongMarks: { maxWaitMs: 60_000, schedule: () => () => undefined },
    });
    const earlier = await store.createTask(request(t, { n: 0 }), t);
    const ids = earlier.outbox.map((e) => e.id);
    counted.roundTrips = 0;

    const alone = store.createTask(request(t, { n: 1 }), t);
    await store.markOutboxSent(ids); // held while the first call is in flight
    const grouped = [store.createTask(request(t, { n: 2 }), t), store.createTask(request(t, { n: 3 }), t)];
    await Promise.all([alone, ...grouped]);

    expect(counted.roundTrips, 'no call of their own for the marks').toBe(2);
    const { rows } = await reader.query('select id from tasker.outbox where id = any($1::bigint[])', [ids]);
    expect(rows).toEqual([]);
  });
});

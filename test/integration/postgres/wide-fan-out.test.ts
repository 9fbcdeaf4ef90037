import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { PostgresOrchestrationStore } from '../../../lib/adapters/postgres/postgres-orchestration-store.js';
import type { StepDispatchMessage } from '../../../lib/contracts/step-dispatch-message.js';
import { registerTemplates } from '../../../lib/orchestration/register-templates.js';
import type { OutboxEntry } from '../../../lib/ports/orchestration-store.js';
import { successResult } from '../../helpers/orchestration-harness.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * Issue 12, flat in width: the cost of a result must not grow with the size of the tables. The
 * tables of a fresh database grow by a thousand rows inside one task, before any ANALYZE, which is
 * when the planner used to choose hash joins that scan a whole table once per claimed step or per
 * batch of results. The plans are counted, not timed: sequential scans of the current transaction
 * (pg_stat_xact_user_tables) while one call runs.
 */
const WIDTH = 1_000;
const fanOut = buildTemplate({
  name: 'wide_fan_out',
  steps: [
    { name: 'start' },
    ...Array.from({ length: WIDTH }, (_, i) => ({ name: `branch_${i}`, deps: ['start'] })),
    { name: 'join', deps: Array.from({ length: WIDTH }, (_, i) => `branch_${i}`) },
  ],
});
const linear = buildTemplate({
  name: 'linear_after_fan_out',
  steps: [{ name: 'a' }, { name: 'b', deps: ['a'] }, { name: 'c', deps: ['b'] }, { name: 'd', deps: ['c'] }],
});
/** The tables that grow with the width of a task. */
const GROWING = ['workflow_steps', 'workflow_step_edges', 'step_dispatches'] as const;

type Scans = Record<string, { seq: number; idx: number }>;

let db: TestDatabase;
let client: pg.PoolClient;
let store: PostgresOrchestrationStore;
beforeAll(async () => {
  db = await createTestDatabase();
  client = await db.pool.connect();
  store = new PostgresOrchestrationStore(client);
  await registerTemplates(store, [fanOut, linear]);
}, 60_000);
afterAll(async () => {
  client?.release();
  await db?.close();
});

async function readScans(): Promise<Scans> {
  const { rows } = await client.query<{ relname: string; seq: string; idx: string }>(
    `select relname, coalesce(seq_scan, 0) as seq, coalesce(idx_scan, 0) as idx
       from pg_stat_xact_user_tables where schemaname = 'tasker'`,
  );
  return Object.fromEntries(rows.map((r) => [r.relname, { seq: Number(r.seq), idx: Number(r.idx) }]));
}

/** The scans of the growing tables while `call` runs, in one transaction (rolled back: nothing is kept). */
async function scansDuring<T>(call: () => Promise<T>): Promise<{ value: T; scans: Scans }> {
  await client.query('begin');
  try {
    const before = await readScans();
    const value = await call();
    const after = await readScans();
    const scans = Object.fromEntries(
      GROWING.map((t) => [
        t,
        {
          seq: (after[t]?.seq ?? 0) - (before[t]?.seq ?? 0),
          idx: (after[t]?.idx ?? 0) - (before[t]?.idx ?? 0),
        },
      ]),
    );
    return { value, scans };
  } finally {
    await client.query('commit');
  }
}

const dispatches = (outbox: readonly OutboxEntry[]) =>
  outbox.filter((e) => e.kind === 'step_dispatch').map((e) => e.payload as unknown as StepDispatchMessage);

const results = (messages: readonly StepDispatchMessage[]) =>
  messages.map((m) => ({ result: successResult(m, { from: m.step_name }), random: 0.5 }));

describe('a chain, once PL/pgSQL plans its statements generically', () => {
  it('releases and claims each next step by key, without a pass over the steps', { timeout: 60_000 }, async () => {
    // PL/pgSQL switches a statement to a generic plan after five calls (which assumes ten rows for
    // an unnest): the chains run until the last ones use them. A join to the steps planned for ten
    // rows scanned the whole table (0.25 ms at 1,200 steps) in every result of a chain.
    for (let run = 0; run < 10; run++) {
      const created = await store.createTask(
        {
          namespace: linear.namespace,
          name: linear.name,
          context: {},
          priority: 0,
          identity_strategy: 'always_unique',
        },
        linear,
      );
      let next = dispatches(created.outbox);
      for (const name of ['a', 'b', 'c', 'd']) {
        expect(next.map((m) => m.step_name)).toEqual([name]);
        const { value, scans } = await scansDuring(() => store.applyStepResults(results(next)));
        if (run === 3)
          for (const table of GROWING) expect({ name, table, seq: scans[table]!.seq }).toEqual({ name, table, seq: 0 });
        next = dispatches(value.flatMap((o) => ('outbox' in o ? o.outbox : [])));
      }
      expect(next).toEqual([]);
    }
  });
});

describe(`a 1→${WIDTH}→1 fan-out on a database no ANALYZE has seen`, () => {
  it('claims the branches with one pass over the steps, not one per claimed step', { timeout: 60_000 }, async () => {
    const created = await store.createTask(
      { namespace: fanOut.namespace, name: fanOut.name, context: {}, priority: 0, identity_strategy: 'always_unique' },
      fanOut,
    );
    const [start] = dispatches(created.outbox);
    const { value, scans } = await scansDuring(() => store.applyStepResults(results([start!])));
    const outcome = value[0]!;
    expect(outcome.status).toBe('applied');
    const branches = dispatches('outbox' in outcome ? outcome.outbox : []);
    expect(branches).toHaveLength(WIDTH);
    expect(branches[0]!.dependency_results).toEqual({ start: { from: 'start' } });
    // Releasing a thousand children may read the steps once; a scan per claimed step is what this forbids.
    expect(scans.workflow_steps!.seq).toBeLessThanOrEqual(1);
    expect(scans.workflow_step_edges!.seq).toBe(0);
    expect(scans.step_dispatches!.seq).toBe(0);

    // A batch of branch results, and the last one, which claims the join with its thousand parents:
    // every lookup by key (the counting works: the index scans are there).
    let last: Scans = {};
    for (let i = 0; i < WIDTH; i += 10) {
      const { value: batch, scans: batchScans } = await scansDuring(() =>
        store.applyStepResults(results(branches.slice(i, i + 10))),
      );
      expect(batch.map((o) => o.status)).toEqual(Array(10).fill('applied'));
      if (i === 0 || i + 10 >= WIDTH) {
        for (const table of GROWING) expect({ table, seq: batchScans[table]!.seq }).toEqual({ table, seq: 0 });
        expect(batchScans.workflow_steps!.idx).toBeGreaterThan(0);
      }
      last = batchScans;
      if (i + 10 >= WIDTH) {
        const join = dispatches(batch.flatMap((o) => ('outbox' in o ? o.outbox : [])));
        expect(join.map((m) => m.step_name)).toEqual(['join']);
        expect(Object.keys(join[0]!.dependency_results)).toHaveLength(WIDTH);
      }
    }
    expect(last.step_dispatches!.idx).toBeGreaterThan(0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { PostgresOrchestrationStore } from '../../../lib/adapters/postgres/postgres-orchestration-store.js';
import type { StepDispatchMessage } from '../../../lib/contracts/step-dispatch-message.js';
import type { TaskTemplate } from '../../../lib/domain/task-template.js';
import { registerTemplates } from '../../../lib/orchestration/register-templates.js';
import type { OutboxEntry } from '../../../lib/ports/orchestration-store.js';
import { successResult } from '../../helpers/orchestration-harness.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * Issue 12 after the dynamic steps (issue 15, 000020): a result of a plain step, and the claim of
 * the next one, call none of the helpers only a decision, a batchable or a batch instance needs
 * (each was a lookup of a row the same call had just read). The calls are counted per transaction
 * (pg_stat_xact_user_functions), not timed; the decision shows the counting sees them.
 */
const linear = buildTemplate({
  name: 'plain_chain',
  steps: [{ name: 'a' }, { name: 'b', deps: ['a'] }],
});
const routed = buildTemplate({
  name: 'routed_once',
  steps: [
    { name: 'decide', type: 'decision' },
    { name: 'yes', deps: ['decide'] },
    { name: 'no', deps: ['decide'] },
  ],
});
const DYNAMIC_HELPERS = ['dynamic_of_step', 'checked_result', 'apply_dynamic'] as const;

let db: TestDatabase;
let client: pg.PoolClient;
let store: PostgresOrchestrationStore;
beforeAll(async () => {
  db = await createTestDatabase();
  client = await db.pool.connect();
  await client.query("set track_functions = 'all'");
  store = new PostgresOrchestrationStore(client);
  await registerTemplates(store, [linear, routed]);
}, 60_000);
afterAll(async () => {
  client?.release();
  await db?.close();
});

const dispatches = (outbox: readonly OutboxEntry[]) =>
  outbox.filter((e) => e.kind === 'step_dispatch').map((e) => e.payload as unknown as StepDispatchMessage);

async function start(template: TaskTemplate): Promise<StepDispatchMessage[]> {
  const request = { namespace: template.namespace, name: template.name, context: {}, priority: 0 };
  const created = await store.createTask({ ...request, identity_strategy: 'always_unique' }, template);
  return dispatches(created.outbox);
}

async function readCalls(): Promise<Record<string, number>> {
  const { rows } = await client.query<{ funcname: string; calls: string }>(
    `select funcname, calls from pg_stat_xact_user_functions where schemaname = 'tasker' and funcname = any($1)`,
    [DYNAMIC_HELPERS],
  );
  return Object.fromEntries(rows.map((r) => [r.funcname, Number(r.calls)]));
}

/** Applies one result in a transaction of its own; returns the next dispatches and the helpers' calls. */
async function apply(message: StepDispatchMessage, value: unknown) {
  await client.query('begin');
  try {
    // Counts not yet flushed from earlier transactions show in the xact view too: the call's are the difference.
    const before = await readCalls();
    const outcomes = await store.applyStepResults([{ result: successResult(message, value), random: 0.5 }]);
    const after = await readCalls();
    const calls = Object.fromEntries(
      Object.entries(after)
        .map(([name, n]) => [name, n - (before[name] ?? 0)] as const)
        .filter(([, n]) => n > 0),
    );
    return { next: dispatches(outcomes.flatMap((o) => ('outbox' in o ? o.outbox : []))), calls };
  } finally {
    await client.query('commit');
  }
}

describe('the hot path of a plain step', () => {
  it('applies a result and claims the next step without the dynamic steps’ helpers, same message', async () => {
    const [a] = await start(linear);
    const { next, calls } = await apply(a!, { from: 'a' });
    expect(calls).toEqual({});
    expect(next).toHaveLength(1);
    expect(next[0]).toMatchObject({ step_name: 'b', dependency_results: { a: { from: 'a' } } });
    expect(next[0]).not.toHaveProperty('batch');
  });
});

describe('a decision', () => {
  it('still checks its result and applies its skips (the counting sees the calls)', async () => {
    const [decide] = await start(routed);
    const { next, calls } = await apply(decide!, { activate: ['yes'] });
    expect(calls).toMatchObject({ checked_result: 1, apply_dynamic: 1 });
    expect(next.map((m) => [m.step_name, m.dependency_results])).toEqual([['yes', { decide: { activate: ['yes'] } }]]);
  });
});

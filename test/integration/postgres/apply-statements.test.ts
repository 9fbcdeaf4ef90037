import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresOrchestrationStore } from '../../../lib/adapters/postgres/postgres-orchestration-store.js';
import type { StepDispatchMessage } from '../../../lib/contracts/step-dispatch-message.js';
import type { BatchApplyOutcome, OutboxEntry } from '../../../lib/ports/orchestration-store.js';
import { successResult } from '../../helpers/orchestration-harness.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, realPostgresAvailable, type TestDatabase } from '../../helpers/test-database.js';

/**
 * Issue 12 (000025): apply_step_results orders a batch's results by task (so concurrent batches take task locks in
 * one order) with a statement of its own, which a batch of one result no longer runs. Every statement the executor
 * runs is seen through auto_explain (a server's contrib module; PGlite has none), so what is asserted is the
 * statements themselves, not a time.
 */
const oneStep = buildTemplate({ name: 'statements_one', steps: [{ name: 'only' }] });
/** The lookup of each result's task by its event_id, which orders a batch (before 000025, every batch ran it). */
const ORDERING = /select d\.task_uuid from tasker\.step_dispatches d where d\.event_id = \(e\.r->>'event_id'\)::uuid/;
const UNKNOWN_EVENT = '00000000-0000-4000-8000-000000000000';

let db: TestDatabase;
let client: pg.Client;
let store: PostgresOrchestrationStore;
const statements: string[] = [];

describe.runIf(realPostgresAvailable())('the statements apply_step_results runs', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({
      connectionString: db.connectionString,
      options: [
        '-c session_preload_libraries=auto_explain',
        '-c auto_explain.log_min_duration=0',
        '-c auto_explain.log_nested_statements=on',
        '-c auto_explain.log_level=notice',
      ].join(' '),
    });
    await client.connect();
    client.on('notice', (notice) => statements.push(String(notice.message)));
    store = new PostgresOrchestrationStore(client);
    await store.registerTemplate(oneStep);
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await db?.close();
  });

  async function started(): Promise<StepDispatchMessage> {
    const request = { namespace: oneStep.namespace, name: oneStep.name, context: {}, priority: 0 };
    const created = await store.createTask({ ...request, identity_strategy: 'always_unique' }, oneStep);
    const dispatch = created.outbox.find((e: OutboxEntry) => e.kind === 'step_dispatch');
    return dispatch!.payload as unknown as StepDispatchMessage;
  }

  /** The statements one applyStepResults call ran, and its outcomes. */
  async function applied(messages: Array<StepDispatchMessage | typeof UNKNOWN_EVENT>): Promise<{
    ran: string[];
    outcomes: BatchApplyOutcome[];
  }> {
    const results = await Promise.all(
      messages.map(async (m) => {
        if (m !== UNKNOWN_EVENT) return { result: successResult(m, { ok: true }), random: 0.5 };
        return { result: { ...successResult(await started(), {}), event_id: UNKNOWN_EVENT }, random: 0.5 };
      }),
    );
    statements.length = 0;
    const outcomes = await store.applyStepResults(results);
    return { ran: [...statements], outcomes };
  }

  it('applies a batch of one result without ordering it, and finds an unknown event_id by the locking read', async () => {
    const one = await applied([await started()]);
    expect(one.outcomes.map((o) => o.status)).toEqual(['applied']);
    expect(one.ran.length).toBeGreaterThan(3);
    expect(one.ran.filter((s) => ORDERING.test(s))).toEqual([]);
    const unknown = await applied([UNKNOWN_EVENT]);
    expect(unknown.outcomes.map((o) => o.status)).toEqual(['unknown_event']);
    expect(unknown.ran.filter((s) => ORDERING.test(s))).toEqual([]);
  });

  it('orders a batch of more than one result by task with one statement, whatever the batch holds', async () => {
    const two = await applied([await started(), UNKNOWN_EVENT, await started()]);
    expect(two.outcomes.map((o) => o.status)).toEqual(['applied', 'unknown_event', 'applied']);
    expect(two.ran.filter((s) => ORDERING.test(s))).toHaveLength(1);
  });
});

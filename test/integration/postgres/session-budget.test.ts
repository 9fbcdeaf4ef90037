import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresOrchestrationStore } from '../../../lib/adapters/postgres/postgres-orchestration-store.js';
import { processCompletionBatch } from '../../../lib/orchestration/process-completion-batch.js';
import { sessionOptions } from '../../../lib/lambda/database-session.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { OrchestrationHarness, successResult } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * The session budget on a real server: a task locked by another session makes the batch's call
 * fail with lock_not_available after lock_timeout instead of waiting; the other task's result is
 * applied one by one and the locked one is handed back. PGlite has one session (no other session
 * can hold a lock), so this runs only with DATABASE_URL.
 */

const template = buildTemplate({ name: 'budgeted', steps: [{ name: 'only' }] });
const BUDGET = { statementTimeoutMs: 4_000, lockTimeoutMs: 300, idleInTransactionTimeoutMs: 8_000 };
const server = Boolean(process.env.DATABASE_URL);

let db: TestDatabase;
let h: OrchestrationHarness;
beforeAll(async () => {
  if (!server) return;
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(template);
});
afterAll(() => db?.close());

describe.skipIf(!server)('a session held to its budget', () => {
  it("reports a locked task's result failed after lock_timeout and applies the other result of the batch", async () => {
    const [free, locked] = [await h.start(template), await h.start(template)];
    const messages = new Map(h.dispatched().map((m) => [m.task_uuid, m] as const));
    const holder = new pg.Client({ connectionString: db.connectionString });
    await holder.connect();
    const pool = new pg.Pool({ connectionString: db.connectionString, max: 1, ...sessionOptions(BUDGET, false) });
    // Whatever happens, the lock goes after a while, so a missing lock_timeout fails the test instead of hanging it.
    const guard = setTimeout(() => void holder.query('rollback').catch(() => undefined), 20_000);
    try {
      await holder.query('begin');
      await holder.query('select 1 from tasker.tasks where task_uuid = $1 for update', [locked]);
      const settings = await pool.query<{ s: string; l: string }>(
        "select current_setting('statement_timeout') s, current_setting('lock_timeout') l",
      );
      expect(settings.rows[0]).toEqual({ s: '4s', l: '300ms' });
      const deps = { ...h.deps, store: new PostgresOrchestrationStore(pool) };
      const response = await processCompletionBatch(
        deps,
        [
          { messageId: 'free', body: JSON.stringify(successResult(messages.get(free)!, { ok: 1 })) },
          { messageId: 'locked', body: JSON.stringify(successResult(messages.get(locked)!, { ok: 2 })) },
        ],
        { remainingMs: () => 60_000, callMs: BUDGET.statementTimeoutMs },
      );
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'locked' }]);
      expect(h.logger.find(/SQS will redeliver/).at(-1)?.fields.error).toMatch(/lock timeout/);
      expect((await h.store.getTask(free))?.state).toBe('complete');
      expect((await h.store.getTask(locked))?.state).not.toBe('complete');
    } finally {
      clearTimeout(guard);
      await holder.query('rollback').catch(() => undefined);
      await holder.end();
      await pool.end();
    }
  });
});

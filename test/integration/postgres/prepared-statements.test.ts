import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresOrchestrationStore } from '../../../lib/adapters/postgres/postgres-orchestration-store.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { OrchestrationHarness } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

const template = buildTemplate({ name: 'prepared', steps: [{ name: 'only' }] });

let db: TestDatabase;
let h: OrchestrationHarness;
beforeAll(async () => {
  db = await createTestDatabase();
  h = new OrchestrationHarness(db);
  await h.register(template);
});
afterAll(() => db.close());

describe('prepared statements', () => {
  it('work from several connections at once, PGlite (one session behind all of them) included', async () => {
    const pools = [
      new pg.Pool({ connectionString: db.connectionString, max: 1 }),
      new pg.Pool({ connectionString: db.connectionString, max: 1 }),
    ];
    try {
      const stores = pools.map((p) => new PostgresOrchestrationStore(p));
      for (let round = 0; round < 2; round++) {
        for (const store of stores) {
          expect(await store.findTemplate('tests', 'prepared')).toMatchObject({ name: 'prepared' });
          const created = await store.createTask(
            {
              namespace: 'tests',
              name: 'prepared',
              context: { round },
              priority: 0,
              identity_strategy: 'always_unique',
            },
            template,
          );
          expect(created.outbox).toHaveLength(1);
          await store.markOutboxSent(created.outbox.map((e) => e.id));
        }
      }
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});

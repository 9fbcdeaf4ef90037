import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../helpers/test-database.js';
import { dumpSchema } from '../../helpers/schema-dump.js';

/**
 * The schema every migration together produces, committed as text (graphile-worker's
 * __tests__/schema.sql): a new migration's effect shows as a diff of this file in review.
 * After adding a migration, rewrite it with
 *   npx vitest run test/integration/postgres/schema-snapshot.test.ts -u
 * (on PGlite without DATABASE_URL, or on the server with it: both give the same text).
 */
describe('the migrated schema', () => {
  it('matches the committed snapshot, __snapshots__/schema.sql', async () => {
    const db = await createTestDatabase();
    try {
      await expect(await dumpSchema(db.pool, ['tasker'])).toMatchFileSnapshot('./__snapshots__/schema.sql');
    } finally {
      await db.close();
    }
  });
});

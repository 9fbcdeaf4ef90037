import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../../lib/adapters/postgres/embedded-postgres.js';
import { migrate, readMigrations } from '../../../lib/adapters/postgres/migrate.js';
import { migratedSeed } from '../../../lib/adapters/postgres/migrated-seed.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'seed-test-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('the migrated PGlite seed', () => {
  it('is built once, cached by migrations, and starts a database with every migration applied', async () => {
    const first = await migratedSeed(cacheDir);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.tar.gz'))).toHaveLength(1);
    const second = await migratedSeed(cacheDir);
    expect(second.size).toBe(first.size);
    const server = await startEmbeddedPostgres({ seed: second });
    const pool = new pg.Pool({ connectionString: server.connectionString, max: 1 });
    try {
      const { rows } = await pool.query('select count(*)::int as n from tasker.migrations');
      expect(rows[0].n).toBe((await readMigrations()).length);
      expect((await migrate(pool)).applied).toEqual([]);
    } finally {
      await pool.end();
      await server.stop();
    }
  });
});

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../lib/adapters/postgres/embedded-postgres.js';
import { migrate } from '../../lib/adapters/postgres/migrate.js';
import { migratedSeed } from '../../lib/adapters/postgres/migrated-seed.js';

export interface TestDatabase {
  readonly pool: pg.Pool;
  readonly connectionString: string;
  /** 'server' when DATABASE_URL points at a real PostgreSQL, 'embedded' for PGlite. */
  readonly kind: 'server' | 'embedded';
  close(): Promise<void>;
}

export interface TestDatabaseOptions {
  readonly poolSize?: number;
  /** false: an empty database, for the tests of `migrate` itself (default true). */
  readonly migrate?: boolean;
}

/**
 * A fresh, migrated database for one test file (graphile-worker's way): a new database on the
 * server named by DATABASE_URL, or an in-memory PGlite when DATABASE_URL is unset.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL;
  const migrated = options.migrate ?? true;
  return url ? serverDatabase(url, options.poolSize ?? 10, migrated) : embeddedDatabase(migrated);
}

async function serverDatabase(url: string, poolSize: number, migrated: boolean): Promise<TestDatabase> {
  const name = `tasker_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const target = new URL(url);
  target.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: target.toString(), max: poolSize });
  // Dropping the database with (force) ends connections the pool is still closing.
  pool.on('error', () => undefined);
  if (migrated) await migrate(pool);
  return { pool, connectionString: target.toString(), kind: 'server', close: () => dropDatabase(pool, url, name) };
}

async function dropDatabase(pool: pg.Pool, url: string, name: string): Promise<void> {
  await pool.end();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}

async function embeddedDatabase(migrated: boolean): Promise<TestDatabase> {
  const server = await startEmbeddedPostgres(migrated ? { seed: await migratedSeed() } : {});
  const pool = new pg.Pool({ connectionString: server.connectionString, max: 1 });
  if (migrated) await migrate(pool);
  const close = async () => {
    await pool.end();
    await server.stop();
  };
  return { pool, connectionString: server.connectionString, kind: 'embedded', close };
}

/**
 * For suites that need a real server (concurrent claimers, lock races): skip on a laptop without
 * DATABASE_URL, fail when CI is set and it is missing.
 */
export function realPostgresAvailable(): boolean {
  if (process.env.DATABASE_URL) return true;
  // `npm run test:embedded` runs the suites on PGlite on purpose; the race suite ran on the server.
  if (process.env.TASKER_TEST_EMBEDDED) return false;
  if (process.env.CI) throw new Error('CI is set but DATABASE_URL is not: this suite needs a real PostgreSQL server');
  return false;
}

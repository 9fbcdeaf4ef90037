import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../adapters/postgres/embedded-postgres.js';
import { migrate, type MigrationReport } from '../adapters/postgres/migrate.js';
import { migratedSeed } from '../adapters/postgres/migrated-seed.js';
import type { DatabaseBudget } from '../domain/database-budget.js';
import { sessionOptions, usesRdsProxy } from '../lambda/database-session.js';
import type { Logger } from '../ports/logger.js';
import { lockDataDir } from './data-dir-lock.js';

export interface DatabaseOptions {
  /** A PostgreSQL server; when absent, PGlite (in memory, or persisted in `dataDir`). */
  readonly databaseUrl?: string;
  /**
   * PGlite's directory (created when missing): tasks outlive the process and `tasker task show --data-dir`
   * reads them. Locked while open (tasker.lock): a second process is refused with DataDirLockedError.
   */
  readonly dataDir?: string;
  readonly poolSize?: number;
  readonly logger?: Logger;
  /** Holds the pool's sessions to this budget, as the deployed functions' (PGlite ignores it: one session, no waits on others). */
  readonly session?: DatabaseBudget;
}

/** A migrated database and its pool; `close()` ends the pool and stops PGlite. */
export interface OpenDatabase {
  readonly pool: pg.Pool;
  readonly connectionString: string;
  readonly kind: 'server' | 'embedded';
  readonly migration: MigrationReport;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL's server, or starts PGlite. PGlite runs one query at a time, so its
 * pool has one connection (every store operation is a single SQL function call).
 */
export async function openDatabase(options: DatabaseOptions = {}): Promise<OpenDatabase> {
  const embedded = options.databaseUrl ? undefined : await startPglite(options.dataDir);
  const connectionString = options.databaseUrl ?? (embedded?.connectionString as string);
  const session = options.session
    ? sessionOptions(options.session, usesRdsProxy({ databaseUrl: options.databaseUrl }))
    : {};
  const pool = new pg.Pool({
    connectionString,
    max: embedded ? 1 : (options.poolSize ?? 10),
    idleTimeoutMillis: 10_000,
    ...session,
  });
  pool.on('error', (error) =>
    options.logger?.warn('idle database connection failed; it will be replaced', { error: error.message }),
  );
  const close = async () => {
    await pool.end().catch(() => undefined);
    await embedded?.stop();
  };
  try {
    const migration = await migrate(pool);
    return { pool, connectionString, kind: embedded ? 'embedded' : 'server', migration, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * PGlite in memory (from the migrated seed), or on `dataDir` under the directory's lock (PGlite is
 * single-process): a second process gets DataDirLockedError naming the holder. `stop()` releases it.
 */
async function startPglite(dataDir: string | undefined): Promise<EmbeddedPostgres> {
  if (dataDir === undefined) return startEmbeddedPostgres({ seed: await migratedSeed() });
  const lock = lockDataDir(dataDir);
  try {
    const embedded = await startEmbeddedPostgres({ dataDir });
    return { ...embedded, stop: () => embedded.stop().finally(() => lock.release()) };
  } catch (error) {
    lock.release();
    throw error;
  }
}

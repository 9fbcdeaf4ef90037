import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../lib/adapters/postgres/embedded-postgres.js';
import { migrate } from '../../lib/adapters/postgres/migrate.js';

export type DatabaseKind = 'embedded' | 'server';

/** A fresh, migrated database for one benchmark: created before, dropped after. */
export interface BenchDatabase {
  readonly kind: DatabaseKind;
  readonly connectionString: string;
  /** Connections the engine's pool may open: 1 on PGlite (it runs one query at a time). */
  readonly poolSize: number;
  newPool(max?: number): pg.Pool;
  close(): Promise<void>;
}

export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackUrl(url: string): boolean {
  try {
    return LOOPBACK.has(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** The local server's admin URL, or why there is none: only loopback addresses, and it must answer. */
export async function findServer(env: NodeJS.ProcessEnv = process.env): Promise<{ url: string } | { skipped: string }> {
  const url = env.BENCH_DATABASE_URL || env.DATABASE_URL || DEFAULT_SERVER_URL;
  if (!isLoopbackUrl(url))
    return {
      skipped: `the server URL is not on loopback (${new URL(url).hostname}); the benchmark only talks to this machine`,
    };
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return { url };
  } catch (error) {
    return { skipped: `no PostgreSQL server answers at ${redact(url)}: ${(error as Error).message}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** A new database on the server (`<prefix>_<random>`); `migrate` false leaves it empty (pgbench, graphile-worker). */
export async function scratchServerDatabase(
  adminUrl: string,
  prefix: string,
  options: { migrate?: boolean; poolSize?: number } = {},
): Promise<BenchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const target = new URL(adminUrl);
  target.pathname = `/${name}`;
  const connectionString = target.toString();
  const poolSize = options.poolSize ?? 8;
  const database: BenchDatabase = {
    kind: 'server',
    connectionString,
    poolSize,
    newPool: (max = poolSize) => quietPool(new pg.Pool({ connectionString, max })),
    close: async () => {
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
  if (options.migrate !== false) await migrateOnce(database);
  return database;
}

/** PGlite in this process, served on a loopback port: what `startEmbeddedRuntime` users get. */
export async function embeddedDatabase(): Promise<BenchDatabase> {
  const server = await startEmbeddedPostgres();
  const database: BenchDatabase = {
    kind: 'embedded',
    connectionString: server.connectionString,
    poolSize: 1,
    newPool: () => quietPool(new pg.Pool({ connectionString: server.connectionString, max: 1 })),
    close: () => server.stop(),
  };
  await migrateOnce(database);
  return database;
}

async function migrateOnce(database: BenchDatabase): Promise<void> {
  const pool = database.newPool(1);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}

export async function adminQuery(adminUrl: string, sql: string): Promise<pg.QueryResult> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Dropping a database `with (force)` ends connections a pool is still closing: not an error here. */
function quietPool(pool: pg.Pool): pg.Pool {
  pool.on('error', () => undefined);
  return pool;
}

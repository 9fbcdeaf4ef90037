import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { errorMessage } from '../../domain/error-message.js';
import { MigrationRefusedError, planMigrations, type AppliedMigration, type Migration } from './migration-history.js';

export { MigrationRefusedError, type Migration, type MigrationProblem } from './migration-history.js';

export interface MigrationReport {
  readonly applied: readonly string[];
  readonly alreadyApplied: number;
}

/** Held (per transaction) by every migrator, so concurrent ones check and apply one after another. */
const MIGRATION_LOCK = 7243001;

/**
 * The bookkeeping table: one row per applied file with the sha256 of its bytes. `checksum` is
 * null only for rows written before checksums were recorded, until the next `migrate` fills it in.
 * The `alter` upgrades such a table in place. Part of the PGlite seed's cache key.
 */
export const BOOKKEEPING_SQL = `create schema if not exists tasker;
create table if not exists tasker.migrations (id int primary key, name text not null, applied_at timestamptz not null default now(), checksum text);
alter table tasker.migrations add column if not exists checksum text;`;

/** Where the numbered .sql files live: next to this module, or the given folder (a Lambda bundle's). */
export function migrationsDirectory(override?: string): string {
  return override ?? join(dirname(fileURLToPath(import.meta.url)), 'migrations');
}

/** Reads `NNNNNN_name.sql` files in order, with the sha256 of each file's bytes; any other name in the folder is an error. */
export async function readMigrations(dir = migrationsDirectory()): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(files.map(async (file) => parseMigration(file, await readFile(join(dir, file)))));
}

function parseMigration(file: string, bytes: Buffer): Migration {
  const match = /^(\d{6})_([a-z0-9_]+)\.sql$/.exec(file);
  if (!match) throw new Error(`migration file name must look like 000001_name.sql: ${file}`);
  return {
    id: Number(match[1]),
    name: file,
    sql: bytes.toString('utf8'),
    checksum: createHash('sha256').update(bytes).digest('hex'),
  };
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so that
 * concurrent migrators (several containers starting at once) apply each exactly once.
 *
 * Migrations are append-only: before anything runs, the files are checked against what the
 * database recorded (see {@link planMigrations}); an edited applied file, an applied file missing
 * on disk or a gap throws {@link MigrationRefusedError} and runs no statement of any file. Rows
 * applied before checksums were recorded get the checksum of their file on this first run.
 *
 * @example
 * ```ts
 * const { applied } = await migrate(pool); // e.g. ['000009_new_index.sql'], or [] when up to date
 * ```
 */
export async function migrate(pool: pg.Pool, migrations?: readonly Migration[] | string): Promise<MigrationReport> {
  const files =
    typeof migrations === 'string' || migrations === undefined
      ? await readMigrations(migrationsDirectory(migrations))
      : migrations;
  const client = await pool.connect();
  try {
    await locked(client, () => client.query(BOOKKEEPING_SQL));
    const applied: string[] = [];
    for (let next = await applyNext(client, files); next; next = await applyNext(client, files))
      applied.push(next.name);
    return { applied, alreadyApplied: files.length - applied.length };
  } finally {
    client.release();
  }
}

/** One transaction: check the history, record missing checksums, apply the first pending file (if any) and return it. */
async function applyNext(client: pg.PoolClient, files: readonly Migration[]): Promise<Migration | undefined> {
  return locked(client, async () => {
    const { rows } = await client.query<AppliedMigration>(
      'select id, name, checksum from tasker.migrations order by id',
    );
    const plan = planMigrations(files, rows);
    if (!plan.ok) throw new MigrationRefusedError(plan.problem);
    for (const file of plan.unrecorded)
      await client.query('update tasker.migrations set checksum = $2 where id = $1', [file.id, file.checksum]);
    const migration = plan.pending[0];
    if (migration) await applyFile(client, migration);
    return migration;
  });
}

async function applyFile(client: pg.PoolClient, migration: Migration): Promise<void> {
  try {
    await client.query(migration.sql);
  } catch (error) {
    throw new MigrationError(migration.name, error);
  }
  await client.query('insert into tasker.migrations (id, name, checksum) values ($1, $2, $3)', [
    migration.id,
    migration.name,
    migration.checksum,
  ]);
}

/** Runs `body` in a transaction holding the migration lock; rolls back on any error. */
async function locked<T>(client: pg.PoolClient, body: () => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const result = await body();
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}

/** A migration file's SQL failed; its transaction was rolled back. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(`migration ${migration} failed: ${errorMessage(cause)}`, { cause });
  }
}

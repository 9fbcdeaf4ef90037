import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export interface MigrationReport {
  readonly applied: readonly string[];
  readonly alreadyApplied: number;
}

/** Where the numbered .sql files live: next to this module, or the given folder (a Lambda bundle's). */
export function migrationsDirectory(override?: string): string {
  return override ?? join(dirname(fileURLToPath(import.meta.url)), 'migrations');
}

/** Reads `NNNNNN_name.sql` files in order; any other name in the folder is an error. */
export async function readMigrations(dir = migrationsDirectory()): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(files.map(async (file) => parseMigration(file, await readFile(join(dir, file), 'utf8'))));
}

function parseMigration(file: string, sql: string): Migration {
  const match = /^(\d{6})_([a-z0-9_]+)\.sql$/.exec(file);
  if (!match) throw new Error(`migration file name must look like 000001_name.sql: ${file}`);
  return { id: Number(match[1]), name: file, sql };
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so that
 * concurrent migrators (several containers starting at once) apply each exactly once.
 */
export async function migrate(pool: pg.Pool, migrations?: readonly Migration[] | string): Promise<MigrationReport> {
  const all = typeof migrations === 'string' || migrations === undefined ? await readMigrations(migrationsDirectory(migrations)) : migrations;
  const client = await pool.connect();
  try {
    await client.query('create schema if not exists tasker');
    await client.query('create table if not exists tasker.migrations (id int primary key, name text not null, applied_at timestamptz not null default now())');
    const applied: string[] = [];
    for (const migration of all) {
      if (await applyOne(client, migration)) applied.push(migration.name);
    }
    return { applied, alreadyApplied: all.length - applied.length };
  } finally {
    client.release();
  }
}

async function applyOne(client: pg.PoolClient, migration: Migration): Promise<boolean> {
  await client.query('begin');
  try {
    await client.query('select pg_advisory_xact_lock(7243001)');
    const done = await client.query('select 1 from tasker.migrations where id = $1', [migration.id]);
    if (done.rowCount) {
      await client.query('commit');
      return false;
    }
    await client.query(migration.sql);
    await client.query('insert into tasker.migrations (id, name) values ($1, $2)', [migration.id, migration.name]);
    await client.query('commit');
    return true;
  } catch (error) {
    await client.query('rollback');
    throw new MigrationError(migration.name, error);
  }
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(readonly migration: string, cause: unknown) {
    super(`migration ${migration} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

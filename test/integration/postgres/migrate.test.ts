import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  migrate,
  MigrationRefusedError,
  migrationsDirectory,
  readMigrations,
} from '../../../lib/adapters/postgres/migrate.js';
import { createTestDatabase, realPostgresAvailable, type TestDatabase } from '../../helpers/test-database.js';

const SHIPPED = migrationsDirectory();
const shipped = readdirSync(SHIPPED)
  .filter((f) => f.endsWith('.sql'))
  .sort();
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const tmp = mkdtempSync(join(tmpdir(), 'migrate-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the shipped migrations that a test may edit, plus `extra` files. */
function migrationsCopy(label: string, extra: Record<string, string> = {}): string {
  const dir = join(tmp, label);
  cpSync(SHIPPED, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) writeFileSync(join(dir, name), sql);
  return dir;
}

/** The next free migration file name after the shipped ones. */
const nextName = (suffix: string) => `${String(shipped.length + 1).padStart(6, '0')}_${suffix}.sql`;

/** What `migrate` did before checksums: a bookkeeping table without them, every file applied and recorded by id and name. */
async function migrateWithoutChecksums(pool: pg.Pool): Promise<void> {
  await pool.query('create schema if not exists tasker');
  await pool.query(
    'create table if not exists tasker.migrations (id int primary key, name text not null, applied_at timestamptz not null default now())',
  );
  for (const m of await readMigrations()) {
    await pool.query(m.sql);
    await pool.query('insert into tasker.migrations (id, name) values ($1, $2)', [m.id, m.name]);
  }
}

async function recorded(pool: pg.Pool): Promise<Array<{ name: string; checksum: string | null; applied_at: Date }>> {
  return (await pool.query('select name, checksum, applied_at from tasker.migrations order by id')).rows;
}

describe('migrate: append-only, checksummed migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(() => db?.close());
  beforeEach(async () => {
    await db.pool.query('drop schema if exists tasker cascade');
  });

  it('records the sha256 of each file it applies, and a second run is a no-op', async () => {
    const first = await migrate(db.pool);
    expect(first).toEqual({ applied: shipped, alreadyApplied: 0 });
    const rows = await recorded(db.pool);
    expect(rows.map((r) => [r.name, r.checksum])).toEqual(shipped.map((f) => [f, sha256(join(SHIPPED, f))]));
    expect(await migrate(db.pool)).toEqual({ applied: [], alreadyApplied: shipped.length });
    expect(await recorded(db.pool)).toEqual(rows);
  });

  it('refuses an applied file that was edited, naming it and both checksums, and runs nothing', async () => {
    const dir = migrationsCopy('edited', { [nextName('later')]: 'create table tasker.later (id int);' });
    const last = shipped.at(-1)!;
    const original = sha256(join(dir, last));
    await migrate(db.pool, SHIPPED);
    appendFileSync(join(dir, last), '\n-- an edit after the file was applied\n');
    const refused = await migrate(db.pool, dir).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MigrationRefusedError);
    expect((refused as MigrationRefusedError).problem).toEqual({
      kind: 'edited',
      file: last,
      expected: original,
      found: sha256(join(dir, last)),
    });
    expect((refused as Error).message).toContain(last);
    expect((await db.pool.query("select to_regclass('tasker.later') as t")).rows[0].t).toBeNull();
    expect(await recorded(db.pool)).toHaveLength(shipped.length);
  });

  it('refuses a file applied in the database that is missing on disk', async () => {
    const dir = migrationsCopy('missing');
    await migrate(db.pool, dir);
    rmSync(join(dir, shipped.at(-1)!));
    await expect(migrate(db.pool, dir)).rejects.toMatchObject({
      name: 'MigrationRefusedError',
      problem: { kind: 'missing-on-disk', file: shipped.at(-1) },
    });
  });

  it('refuses a gap in the numbering before applying anything', async () => {
    const skipped = `${String(shipped.length + 2).padStart(6, '0')}_skipped_one.sql`;
    const dir = migrationsCopy('gap', { [skipped]: 'create table tasker.skipped (id int);' });
    await expect(migrate(db.pool, dir)).rejects.toMatchObject({
      problem: { kind: 'gap-on-disk', file: skipped, missingId: shipped.length + 1 },
    });
    expect(await recorded(db.pool)).toEqual([]);
  });

  it('upgrades a database migrated before checksums in place: records them on its first run, then applies what is new', async () => {
    await migrateWithoutChecksums(db.pool);
    const columns = await db.pool.query(
      "select column_name from information_schema.columns where table_schema = 'tasker' and table_name = 'migrations' order by ordinal_position",
    );
    expect(columns.rows.map((r) => r.column_name)).toEqual(['id', 'name', 'applied_at']);
    const dir = migrationsCopy('upgrade', { [nextName('later')]: 'create table tasker.later (id int);' });
    expect(await migrate(db.pool, dir)).toEqual({ applied: [nextName('later')], alreadyApplied: shipped.length });
    const rows = await recorded(db.pool);
    expect(rows.map((r) => [r.name, r.checksum])).toEqual(
      [...shipped, nextName('later')].map((f) => [f, sha256(join(dir, f))]),
    );
    expect(await migrate(db.pool, dir)).toEqual({ applied: [], alreadyApplied: shipped.length + 1 });
  });
});

// Concurrent migrators need real concurrent connections: PGlite runs one session.
describe.runIf(realPostgresAvailable())('migrate: concurrent migrators on a real server', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false, poolSize: 2 });
  });
  afterAll(() => db?.close());

  it('apply each file exactly once between them', async () => {
    const pools = [0, 1, 2].map(() => new pg.Pool({ connectionString: db.connectionString, max: 1 }));
    try {
      const reports = await Promise.all(pools.map((pool) => migrate(pool)));
      expect(reports.flatMap((r) => r.applied).sort()).toEqual(shipped);
      expect((await recorded(db.pool)).map((r) => r.name)).toEqual(shipped);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });
});

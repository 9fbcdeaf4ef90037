import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { BOOKKEEPING_SQL, migrate, readMigrations } from './migrate.js';

/**
 * A dump of a freshly migrated PGlite, cached on disk under a key of the migrations (names and
 * checksums), the bookkeeping table's shape and the PGlite version, so embedded starts skip initdb
 * and the migrations. A missing or unreadable cache is rebuilt; concurrent builders each write a
 * temporary file and rename it into place.
 */
export async function migratedSeed(cacheDir = join(tmpdir(), 'tasker-pglite-seeds')): Promise<Blob> {
  const path = join(cacheDir, `${await seedKey()}.tar.gz`);
  const cached = await readFile(path).catch(() => null);
  if (cached) return new Blob([cached]);
  const seed = await buildSeed();
  await mkdir(cacheDir, { recursive: true });
  const temporary = `${path}.${process.pid}.${Date.now()}`;
  await writeFile(temporary, Buffer.from(await seed.arrayBuffer()));
  await rename(temporary, path);
  return seed;
}

async function seedKey(): Promise<string> {
  // The bookkeeping table's shape is in the dump too: a seed from before a change to it is rebuilt.
  const hash = createHash('sha256')
    .update(await pgliteVersion())
    .update(BOOKKEEPING_SQL);
  for (const m of await readMigrations()) hash.update(m.name).update(m.checksum);
  return hash.digest('hex').slice(0, 24);
}

/** The installed PGlite's version, from the package.json above its entry point. */
async function pgliteVersion(): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const pkg = await readFile(join(dir, 'package.json'), 'utf8').catch(() => null);
    if (pkg && JSON.parse(pkg).name === '@electric-sql/pglite') return JSON.parse(pkg).version as string;
  }
  return 'unknown';
}

async function buildSeed(): Promise<Blob> {
  const server = await startEmbeddedPostgres();
  const pool = new pg.Pool({ connectionString: server.connectionString, max: 1 });
  try {
    await migrate(pool);
    await pool.end();
    return await server.dump();
  } finally {
    await server.stop();
  }
}

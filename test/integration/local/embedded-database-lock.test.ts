import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LOCK_FILE_NAME } from '../../../lib/local/data-dir-lock.js';
import { openDatabase } from '../../../lib/local/embedded-database.js';
import { DataDirLockedError } from '../../../lib/local/errors.js';

/** PGlite on a data directory is single-process: the directory is locked while a database is open on it. */

const root = mkdtempSync(join(tmpdir(), 'tasker-db-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('a second open of a data directory in use is refused naming the holder; closing releases it', async () => {
  const dataDir = join(root, 'data');
  const first = await openDatabase({ dataDir });
  try {
    expect(existsSync(join(dataDir, LOCK_FILE_NAME))).toBe(true);
    const second = await openDatabase({ dataDir }).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(DataDirLockedError);
    expect((second as DataDirLockedError).holder.pid).toBe(process.pid);
  } finally {
    await first.close();
  }
  expect(existsSync(join(dataDir, LOCK_FILE_NAME))).toBe(false);
}, 120_000);

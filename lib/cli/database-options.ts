import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { openDatabase, type OpenDatabase } from '../local/embedded-database.js';
import type { CliIo } from './cli-io.js';
import { CliUsageError } from './errors.js';

export interface DatabaseCliOptions {
  readonly databaseUrl?: string;
  readonly dataDir?: string;
}

/**
 * The database a command that needs an existing one reads: --database-url, --data-dir (PGlite's
 * directory, written by `tasker dev|run --data-dir`), or DATABASE_URL.
 */
export async function openExistingDatabase(opts: DatabaseCliOptions, io: CliIo, what: string): Promise<OpenDatabase> {
  if (opts.databaseUrl) return openDatabase({ databaseUrl: opts.databaseUrl });
  if (opts.dataDir) {
    const dir = resolve(io.cwd, opts.dataDir);
    if (!existsSync(dir)) throw new CliUsageError(`--data-dir ${opts.dataDir} does not exist (it is written by tasker dev --data-dir or tasker run --data-dir)`);
    return openDatabase({ dataDir: dir });
  }
  if (io.env.DATABASE_URL) return openDatabase({ databaseUrl: io.env.DATABASE_URL });
  throw new CliUsageError(`${what} needs a database: --database-url <url>, DATABASE_URL, or --data-dir <dir> (PGlite data written by tasker dev|run --data-dir; stop tasker dev first, PGlite is single-process)`);
}

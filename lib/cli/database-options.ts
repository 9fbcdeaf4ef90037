import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { openDatabase, type OpenDatabase } from '../local/embedded-database.js';
import type { CliIo } from './cli-io.js';
import { openingDatabase } from './database-errors.js';
import { CliError } from './errors.js';

export interface DatabaseCliOptions {
  readonly databaseUrl?: string;
  readonly dataDir?: string;
}

/**
 * The database a command that needs an existing one reads: --database-url, --data-dir (PGlite's
 * directory, written by `tasker dev|run --data-dir`; locked while another process has it open), or
 * DATABASE_URL. An unreachable or missing database is a one-line error with a hint.
 */
export async function openExistingDatabase(opts: DatabaseCliOptions, io: CliIo, what: string): Promise<OpenDatabase> {
  const url = opts.databaseUrl ?? (opts.dataDir ? undefined : io.env.DATABASE_URL);
  if (url) return openingDatabase(url, () => openDatabase({ databaseUrl: url }));
  if (opts.dataDir) {
    const dir = resolve(io.cwd, opts.dataDir);
    if (!existsSync(dir))
      throw new CliError('data_dir_not_found', `--data-dir ${opts.dataDir} does not exist`, {
        hint: 'it is written by tasker dev --data-dir or tasker run --data-dir',
      });
    return openDatabase({ dataDir: dir });
  }
  throw new CliError(
    'no_database',
    `${what} needs a database: --database-url <url>, DATABASE_URL, or --data-dir <dir>`,
    { hint: 'a --data-dir is PGlite data written by tasker dev|run --data-dir' },
  );
}

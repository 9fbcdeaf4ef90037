import { resolve } from 'node:path';
import { openDatabase } from '../local/embedded-database.js';
import { out, type CliIo } from './cli-io.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { openExistingDatabase, type DatabaseCliOptions } from './database-options.js';

/** `tasker migrate`: applies pending SQL migrations (idempotent; concurrent runs apply each once). */
export async function migrateCommand(opts: DatabaseCliOptions, io: CliIo): Promise<ExitCode> {
  const database = opts.dataDir
    ? await openDatabase({ dataDir: resolve(io.cwd, opts.dataDir) })
    : await openExistingDatabase(opts, io, 'tasker migrate');
  try {
    const { applied, alreadyApplied } = database.migration;
    out(
      io,
      applied.length === 0
        ? `the schema is up to date (${alreadyApplied} migrations applied before)`
        : `applied ${applied.length} migration(s):`,
    );
    for (const name of applied) out(io, `  ${name}`);
    return EXIT.ok;
  } finally {
    await database.close();
  }
}

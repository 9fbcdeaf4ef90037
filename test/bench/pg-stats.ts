import pg from 'pg';

/** Counters of one database from pg_stat_database: what every backend connected to it committed and wrote. */
export interface DatabaseCounters {
  readonly commits: number;
  readonly rollbacks: number;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
}

const COUNTERS_SQL = `select xact_commit::float8 as commits, xact_rollback::float8 as rollbacks, tup_inserted::float8 as inserted,
  tup_updated::float8 as updated, tup_deleted::float8 as deleted from pg_stat_database where datname = current_database()`;

/** One statement on a new connection (so the reader adds exactly one transaction, counted in the next reading). */
export async function readCounters(connectionString: string): Promise<DatabaseCounters> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<DatabaseCounters>(COUNTERS_SQL);
    return rows[0]!;
  } finally {
    await client.end();
  }
}

/**
 * Reads the counters until two readings 250 ms apart agree (at most `maxMs`): PostgreSQL 15 flushes a
 * backend's statistics when it goes idle for a while or exits, so after the pools are closed the
 * numbers settle within moments.
 */
export async function settledCounters(connectionString: string, maxMs = 4_000): Promise<DatabaseCounters> {
  const until = Date.now() + maxMs;
  let previous = await readCounters(connectionString);
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const next = await readCounters(connectionString);
    // Each reading adds its own two commits (connection start-up and the query); settled means nothing else changed.
    if (
      next.commits - previous.commits <= 2 &&
      next.inserted === previous.inserted &&
      next.updated === previous.updated &&
      next.deleted === previous.deleted
    )
      return next;
    previous = next;
  }
  return previous;
}

export function difference(after: DatabaseCounters, before: DatabaseCounters): DatabaseCounters {
  return {
    commits: after.commits - before.commits,
    rollbacks: after.rollbacks - before.rollbacks,
    inserted: after.inserted - before.inserted,
    updated: after.updated - before.updated,
    deleted: after.deleted - before.deleted,
  };
}

/** Per unit of work (step or job), rounded. */
export function perUnit(delta: DatabaseCounters, units: number): Record<keyof DatabaseCounters, number> {
  const per = (v: number) => Math.round((v / units) * 100) / 100;
  return {
    commits: per(delta.commits),
    rollbacks: per(delta.rollbacks),
    inserted: per(delta.inserted),
    updated: per(delta.updated),
    deleted: per(delta.deleted),
  };
}

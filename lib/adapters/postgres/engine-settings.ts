import type { Queryable } from './queryable.js';

/**
 * What a deployment configures in the database itself (`tasker.settings`), because the SQL that
 * applies it runs inside every result's transaction: written at deploy time by the migration
 * function (the construct's props), and at start by the embedded runtime (its options).
 */
export interface EngineSettings {
  /** How long a task stays blocked_by_failures, for an operator to step in, before it fails (ms; 0: as soon as nothing is in flight). */
  readonly blockedTaskGraceMs?: number;
}

/**
 * Writes the settings that are given; the others keep their value.
 *
 * @example
 * ```ts
 * await writeEngineSettings(pool, { blockedTaskGraceMs: 3_600_000 }); // keep blocked tasks an hour
 * ```
 */
export async function writeEngineSettings(db: Queryable, settings: EngineSettings): Promise<void> {
  if (settings.blockedTaskGraceMs !== undefined)
    await db.query('select tasker.set_blocked_task_grace($1)', [settings.blockedTaskGraceMs]);
}

/** The settings in force. */
export async function readEngineSettings(db: Queryable): Promise<Required<EngineSettings>> {
  const { rows } = await db.query<{ grace: string }>('select tasker.blocked_task_grace_ms() as grace');
  return { blockedTaskGraceMs: Number(rows[0]?.grace ?? 0) };
}

import { z } from 'zod';
import { formatIssues } from './format-issues.js';

/**
 * The properties of the deploy-time migration resource (`Custom::TaskerMigrations`), as the
 * construct sets them and the migration function reads them. CloudFormation hands every value
 * over as a string. A property the function must act on is one the construct changes whenever its
 * value changes, so a changed prop re-runs the resource: `MigrationBundle` (the bundle's asset key:
 * new migrations) and the engine settings the database keeps.
 */
export const migrationResourceProperties = z.object({
  /** The construct's `blockedTaskGrace` in milliseconds: written to tasker.settings. Absent: left as it is. */
  BlockedTaskGraceMs: z.coerce.number().int().min(0).optional(),
});

export type MigrationResourceProperties = z.infer<typeof migrationResourceProperties>;

/**
 * The properties read from a custom resource event, or why they cannot be.
 *
 * @example
 * parseMigrationResourceProperties({ ServiceToken: 'arn:…', BlockedTaskGraceMs: '60000' }) // { ok: true, value: { BlockedTaskGraceMs: 60000 } }
 */
export function parseMigrationResourceProperties(
  raw: unknown,
): { ok: true; value: MigrationResourceProperties } | { ok: false; problems: string[] } {
  const parsed = migrationResourceProperties.safeParse(raw ?? {});
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problems: formatIssues(parsed.error.issues) };
}

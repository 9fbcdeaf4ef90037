import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type pg from 'pg';
import { writeEngineSettings } from '../adapters/postgres/engine-settings.js';
import { migrate } from '../adapters/postgres/migrate.js';
import { PostgresOrchestrationStore } from '../adapters/postgres/postgres-orchestration-store.js';
import { parseMigrationResourceProperties } from '../contracts/migration-resource-properties.js';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import { registerTemplates } from '../orchestration/register-templates.js';
import { loadConfig } from './config.js';
import { createPool } from './database.js';
import { createLogger } from './logger.js';
import { loadTemplateDirectoryOrThrow } from '../adapters/templates/template-files.js';

export interface MigrateResponse {
  PhysicalResourceId: string;
  Data: { applied: string; templates: number };
}

/**
 * The deploy-time custom resource (CDK Provider framework `onEvent`): applies pending SQL
 * migrations (TASKER_MIGRATIONS_DIR), writes the engine settings its properties carry
 * (lib/contracts/migration-resource-properties.ts) and registers the bundled task templates
 * (TASKER_TEMPLATES_DIR) on Create and Update. Delete keeps the data: dropping a database is the
 * user's decision, not a stack's. Properties it cannot read fail the deploy before anything runs.
 */
export function createMigrateLambda(overrides: { config?: RuntimeConfig; pool?: pg.Pool; templatesDir?: string } = {}) {
  return middy<CloudFormationCustomResourceEvent, MigrateResponse>().handler(async (event) => {
    const physicalId = 'tasker-schema';
    if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId, Data: { applied: '', templates: 0 } };
    const properties = parseMigrationResourceProperties(event.ResourceProperties);
    if (!properties.ok) throw new MigrationPropertiesError(properties.problems);
    const config = overrides.config ?? loadConfig();
    const pool = overrides.pool ?? (await createPool(config));
    try {
      const report = await migrate(pool, config.migrationsDir);
      await writeEngineSettings(pool, { blockedTaskGraceMs: properties.value.BlockedTaskGraceMs });
      const dir = overrides.templatesDir ?? config.templatesDir;
      const templates = dir ? await loadTemplateDirectoryOrThrow(dir) : [];
      await registerTemplates(new PostgresOrchestrationStore(pool), templates);
      createLogger({ base: { service: 'migrate' } }).info('schema migrated', { applied: report.applied, templates: templates.length });
      return { PhysicalResourceId: physicalId, Data: { applied: report.applied.join(','), templates: templates.length } };
    } finally {
      if (!overrides.pool) await pool.end();
    }
  });
}

/** The migration resource's properties are not what the construct writes. */
export class MigrationPropertiesError extends Error {
  override readonly name = 'MigrationPropertiesError';
  constructor(readonly problems: readonly string[]) {
    super(`the migration resource's properties are invalid: ${problems.join('; ')}`);
  }
}

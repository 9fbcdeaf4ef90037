import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type pg from 'pg';
import { migrate } from '../adapters/postgres/migrate.js';
import { PostgresOrchestrationStore } from '../adapters/postgres/postgres-orchestration-store.js';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import { registerTemplates } from '../orchestration/register-templates.js';
import { loadConfig } from './config.js';
import { createPool } from './database.js';
import { usesRdsProxy } from './database-session.js';
import { createLogger } from './logger.js';
import { loadTemplateDirectoryOrThrow } from '../adapters/templates/template-files.js';

export interface MigrateResponse {
  PhysicalResourceId: string;
  Data: { applied: string; templates: number };
}

/**
 * The deploy-time custom resource (CDK Provider framework `onEvent`): applies pending SQL
 * migrations (TASKER_MIGRATIONS_DIR) and registers the bundled task templates (TASKER_TEMPLATES_DIR) on
 * Create and
 * Update. Delete keeps the data: dropping a database is the user's decision, not a stack's.
 */
export function createMigrateLambda(overrides: { config?: RuntimeConfig; pool?: pg.Pool; templatesDir?: string } = {}) {
  return middy<CloudFormationCustomResourceEvent, MigrateResponse>().handler(async (event) => {
    const physicalId = 'tasker-schema';
    if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId, Data: { applied: '', templates: 0 } };
    const config = overrides.config ?? loadConfig();
    const pool = overrides.pool ?? (await createPool(config));
    try {
      const report = await migrate(pool, config.migrationsDir);
      const dir = overrides.templatesDir ?? config.templatesDir;
      const templates = dir ? await loadTemplateDirectoryOrThrow(dir) : [];
      await registerTemplates(new PostgresOrchestrationStore(pool, { preparedStatements: !usesRdsProxy(config) }), templates);
      createLogger({ base: { service: 'migrate' } }).info('schema migrated', { applied: report.applied, templates: templates.length });
      return { PhysicalResourceId: physicalId, Data: { applied: report.applied.join(','), templates: templates.length } };
    } finally {
      if (!overrides.pool) await pool.end();
    }
  });
}

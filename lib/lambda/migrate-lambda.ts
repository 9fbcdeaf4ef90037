import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type pg from 'pg';
import { writeEngineSettings } from '../adapters/postgres/engine-settings.js';
import { migrate } from '../adapters/postgres/migrate.js';
import { PostgresOrchestrationStore } from '../adapters/postgres/postgres-orchestration-store.js';
import { ensureRuntimeLogin } from '../adapters/postgres/runtime-login.js';
import { parseMigrationResourceProperties } from '../contracts/migration-resource-properties.js';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import { registerTemplates } from '../orchestration/register-templates.js';
import { loadConfig } from './config.js';
import { createPool } from './database.js';
import { usesRdsProxy } from './database-session.js';
import { createLogger } from './logger.js';
import { SecretCredentials, type SecretReader } from './secret-credentials.js';
import { loadTemplateDirectoryOrThrow } from '../adapters/templates/template-files.js';

export interface MigrateResponse {
  PhysicalResourceId: string;
  /** `runtimeLogin`: 'created' or 'updated' (its password set from the runtime secret), or 'none' without a runtime secret. */
  Data: { applied: string; templates: number; runtimeLogin: string };
}

export interface MigrateOverrides {
  readonly config?: RuntimeConfig;
  readonly pool?: pg.Pool;
  readonly templatesDir?: string;
  /** How the runtime secret is read (tests); default Secrets Manager. */
  readonly readSecret?: SecretReader;
}

/**
 * The deploy-time custom resource (CDK Provider framework `onEvent`): applies pending SQL
 * migrations (TASKER_MIGRATIONS_DIR), registers the bundled task templates (TASKER_TEMPLATES_DIR) and, with
 * TASKER_DATABASE_RUNTIME_SECRET_ARN, makes the secret's login a member of tasker_runtime with the secret's password, on
 * Create and Update, and writes the engine settings its properties carry (lib/contracts/migration-resource-properties.ts). It connects as the owner (TASKER_DATABASE_SECRET_ARN). Delete keeps the data: dropping a database
 * is the user's decision, not a stack's.
 */
export function createMigrateLambda(overrides: MigrateOverrides = {}) {
  return middy<CloudFormationCustomResourceEvent, MigrateResponse>().handler(async (event) => {
    const physicalId = 'tasker-schema';
    if (event.RequestType === 'Delete')
      return { PhysicalResourceId: physicalId, Data: { applied: '', templates: 0, runtimeLogin: 'none' } };
    const properties = parseMigrationResourceProperties(event.ResourceProperties);
    if (!properties.ok) throw new MigrationPropertiesError(properties.problems);
    const config = overrides.config ?? loadConfig();
    const pool =
      overrides.pool ?? (await createPool(config, overrides.readSecret ? { readSecret: overrides.readSecret } : {}));
    try {
      const report = await migrate(pool, config.migrationsDir);
      await writeEngineSettings(pool, { blockedTaskGraceMs: properties.value.BlockedTaskGraceMs });
      const dir = overrides.templatesDir ?? config.templatesDir;
      const templates = dir ? await loadTemplateDirectoryOrThrow(dir) : [];
      await registerTemplates(
        new PostgresOrchestrationStore(pool, { preparedStatements: !usesRdsProxy(config) }),
        templates,
      );
      const runtimeLogin = config.databaseRuntimeSecretArn
        ? await ensureRuntimeLogin(
            pool,
            await new SecretCredentials(config.databaseRuntimeSecretArn, overrides.readSecret).get(),
          )
        : 'none';
      createLogger({ base: { service: 'migrate' } }).info('schema migrated', {
        applied: report.applied,
        templates: templates.length,
        runtime_login: runtimeLogin,
      });
      return {
        PhysicalResourceId: physicalId,
        Data: { applied: report.applied.join(','), templates: templates.length, runtimeLogin },
      };
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

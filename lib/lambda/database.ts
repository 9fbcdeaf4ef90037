import pg from 'pg';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import type { DatabaseBudget } from '../domain/database-budget.js';
import { ConfigurationError } from './config.js';
import { SecretCredentials, type SecretReader } from './secret-credentials.js';
import { SecretPool } from './secret-pool.js';
import { sessionOptions, usesRdsProxy } from './database-session.js';

export interface PoolOptions {
  /** Connections in the pool: 1 in a Lambda container, more in a long-running process. */
  readonly max?: number;
  readonly idleTimeoutMillis?: number;
  /** How secrets are read (tests); default Secrets Manager. */
  readonly readSecret?: SecretReader;
  /** Holds every call to this budget (see sessionOptions); none for the migrator, whose statements may run long. */
  readonly session?: DatabaseBudget;
}

/**
 * A pg Pool from DATABASE_URL, or from the Secrets Manager secret named by
 * TASKER_DATABASE_SECRET_ARN (with TLS, as RDS requires), connecting to TASKER_DATABASE_HOST (the
 * RDS Proxy) when set; that pool reads the secret again when the password is refused (rotation, see
 * {@link SecretPool}). Idle-client errors are logged by the caller, never left to crash the process.
 */
export async function createPool(config: RuntimeConfig, options: PoolOptions = {}): Promise<pg.Pool> {
  const base = {
    max: options.max ?? 1,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 60_000,
    connectionTimeoutMillis: 10_000,
    ...budgeted(config, options.session),
  };
  if (config.databaseUrl) return new pg.Pool({ ...base, connectionString: config.databaseUrl });
  if (config.databaseSecretArn) {
    const credentials = new SecretCredentials(config.databaseSecretArn, options.readSecret);
    const { host, port, username, dbname } = await credentials.get();
    return new SecretPool(
      {
        ...base,
        host: config.databaseHost ?? host,
        port,
        user: username,
        database: dbname ?? 'postgres',
        ssl: { rejectUnauthorized: true },
      },
      credentials,
    );
  }
  throw new ConfigurationError(['DATABASE_URL or TASKER_DATABASE_SECRET_ARN is required']);
}

/** The session budget, and no longer a wait for a connection than one call may take. */
function budgeted(config: RuntimeConfig, budget: DatabaseBudget | undefined): pg.PoolConfig {
  if (!budget) return {};
  return {
    ...sessionOptions(budget, usesRdsProxy(config)),
    connectionTimeoutMillis: Math.min(10_000, budget.statementTimeoutMs),
  };
}

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import type { DatabaseBudget } from '../domain/database-budget.js';
import { ConfigurationError } from './config.js';
import { sessionOptions, usesRdsProxy } from './database-session.js';

/** An RDS-style database secret (what RDS and `DatabaseSecret` generate). */
interface DatabaseSecret {
  host: string;
  port?: number;
  username: string;
  password: string;
  dbname?: string;
}

export interface PoolOptions {
  /** Connections in the pool: 1 in a Lambda container, more in a long-running process. */
  readonly max?: number;
  readonly idleTimeoutMillis?: number;
  /** Holds every call to this budget (see sessionOptions); none for the migrator, whose statements may run long. */
  readonly session?: DatabaseBudget;
}

/**
 * A pg Pool from DATABASE_URL, or from the Secrets Manager secret named by
 * TASKER_DATABASE_SECRET_ARN (with TLS, as RDS requires), connecting to TASKER_DATABASE_HOST (the
 * RDS Proxy) when set. Idle-client errors are logged by the
 * caller, never left to crash the process.
 */
export async function createPool(config: RuntimeConfig, options: PoolOptions = {}): Promise<pg.Pool> {
  const base = { max: options.max ?? 1, idleTimeoutMillis: options.idleTimeoutMillis ?? 60_000, connectionTimeoutMillis: 10_000, ...budgeted(config, options.session) };
  if (config.databaseUrl) return new pg.Pool({ ...base, connectionString: config.databaseUrl });
  if (config.databaseSecretArn) return new pg.Pool({ ...base, ...(await secretConnection(config.databaseSecretArn, config.databaseHost)) });
  throw new ConfigurationError(['DATABASE_URL or TASKER_DATABASE_SECRET_ARN is required']);
}

/** The session budget, and no longer a wait for a connection than one call may take. */
function budgeted(config: RuntimeConfig, budget: DatabaseBudget | undefined): pg.PoolConfig {
  if (!budget) return {};
  return { ...sessionOptions(budget, usesRdsProxy(config)), connectionTimeoutMillis: Math.min(10_000, budget.statementTimeoutMs) };
}

async function secretConnection(arn: string, hostOverride?: string): Promise<pg.PoolConfig> {
  const client = new SecretsManagerClient({});
  const response = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  const secret = JSON.parse(response.SecretString ?? '{}') as Partial<DatabaseSecret>;
  if (!secret.host || !secret.username || !secret.password) {
    throw new ConfigurationError([`the secret ${arn} lacks host, username or password`]);
  }
  return { host: hostOverride ?? secret.host, port: secret.port ?? 5432, user: secret.username, password: secret.password, database: secret.dbname ?? 'postgres', ssl: { rejectUnauthorized: true } };
}

import type pg from 'pg';
import type { RuntimeConfig } from '../contracts/runtime-config.js';
import { databaseBudgetFor, type DatabaseBudget } from '../domain/database-budget.js';

/** An RDS Proxy endpoint (`<name>.proxy-<id>.<region>.rds.amazonaws.com`, or a custom endpoint of one). */
const RDS_PROXY_HOST = /\.proxy-[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com(\.cn)?$/i;

/**
 * Whether the functions reach the database through RDS Proxy: TASKER_DATABASE_HOST names the
 * proxy endpoint (the engine sets it only when it created a proxy), or DATABASE_URL's host is one.
 * Behind the proxy a session must not pin its server connection (no prepared statements, no SET)
 * and must not send startup parameters (the proxy refuses the connection with 0A000).
 */
export function usesRdsProxy(config: Pick<RuntimeConfig, 'databaseHost' | 'databaseUrl'>): boolean {
  if (config.databaseHost !== undefined) return true;
  if (!config.databaseUrl) return false;
  try {
    return RDS_PROXY_HOST.test(new URL(config.databaseUrl).hostname);
  } catch {
    return false;
  }
}

/**
 * The database budget of the orchestration functions: each bound as configured, else derived from
 * the completion function's timeout (the engine sets all three, from each function's own timeout).
 */
export function databaseBudgetOf(config: RuntimeConfig): DatabaseBudget {
  const derived = databaseBudgetFor(config.completionTimeoutMs);
  return {
    statementTimeoutMs: config.databaseStatementTimeoutMs ?? derived.statementTimeoutMs,
    lockTimeoutMs: config.databaseLockTimeoutMs ?? derived.lockTimeoutMs,
    idleInTransactionTimeoutMs: config.databaseIdleInTransactionTimeoutMs ?? derived.idleInTransactionTimeoutMs,
  };
}

/**
 * The pool settings that hold every call to the budget. Connected directly, the server enforces it:
 * the three timeouts travel as startup parameters (no SET statement). Through RDS Proxy, which
 * refuses startup parameters and pins a session that runs SET, the client does: a call not
 * answered within the statement timeout is given up (pg's `query_timeout`; the server finishes or
 * waits on its own, and what it commits is refused as a duplicate when SQS redelivers the record).
 *
 * @example
 * new pg.Pool({ connectionString, ...sessionOptions(databaseBudgetFor(30_000), false) });
 */
export function sessionOptions(budget: DatabaseBudget, viaRdsProxy: boolean): pg.PoolConfig {
  if (viaRdsProxy) return { query_timeout: budget.statementTimeoutMs };
  return {
    statement_timeout: budget.statementTimeoutMs,
    lock_timeout: budget.lockTimeoutMs,
    idle_in_transaction_session_timeout: budget.idleInTransactionTimeoutMs,
  };
}

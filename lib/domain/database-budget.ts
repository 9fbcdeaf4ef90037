/**
 * How long the database may take, per session of a function that has `functionTimeoutMs` to live:
 * every bound sits well below the function timeout, so a slow database turns into an error the
 * function still has time to report (a batch item failure) instead of a timed-out invocation.
 */
export interface DatabaseBudget {
  /** The longest one statement may run (PostgreSQL `statement_timeout`; SQLSTATE 57014 past it). */
  readonly statementTimeoutMs: number;
  /** The longest one lock may be waited for (`lock_timeout`; SQLSTATE 55P03 past it). */
  readonly lockTimeoutMs: number;
  /** The longest a transaction may sit idle, e.g. in a frozen container (`idle_in_transaction_session_timeout`). */
  readonly idleInTransactionTimeoutMs: number;
}

/**
 * The budget of a function with the given timeout: a statement a quarter of it, a lock wait an
 * eighth, an idle transaction half. A quarter leaves room for a batch call that fails, the calls
 * that retry its results one by one, and the delivery of what they produced.
 *
 * @example
 * databaseBudgetFor(30_000); // { statementTimeoutMs: 7500, lockTimeoutMs: 3750, idleInTransactionTimeoutMs: 15000 }
 */
export function databaseBudgetFor(functionTimeoutMs: number): DatabaseBudget {
  const part = (divisor: number) => Math.max(1, Math.floor(functionTimeoutMs / divisor));
  return { statementTimeoutMs: part(4), lockTimeoutMs: part(8), idleInTransactionTimeoutMs: part(2) };
}

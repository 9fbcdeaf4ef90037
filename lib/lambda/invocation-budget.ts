import type { Context } from 'aws-lambda';
import type { DatabaseBudget } from '../domain/database-budget.js';
import { NO_TIME_LIMIT, type TimeBudget } from '../ports/time-budget.js';

/**
 * The time budget of one invocation: what Lambda says is left, and the database budget's statement
 * timeout as the longest one call may take. A caller without a Lambda context has no time limit.
 *
 * @example
 * handler(async (event, context) => processCompletionBatch(deps, records, invocationBudget(context, deps.databaseBudget)));
 */
export function invocationBudget(
  context: Partial<Pick<Context, 'getRemainingTimeInMillis'>> | undefined,
  database: DatabaseBudget,
): TimeBudget {
  const remaining = context?.getRemainingTimeInMillis;
  if (typeof remaining !== 'function') return NO_TIME_LIMIT;
  return { remainingMs: () => remaining.call(context), callMs: database.statementTimeoutMs };
}

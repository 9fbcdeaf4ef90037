/**
 * The time an invocation has left, and how long one database call may take (the session's
 * statement timeout): a use case starts a call only when it can finish it, and whatever follows
 * from it, before the function is stopped.
 */
export interface TimeBudget {
  /** Milliseconds until the function is stopped (Lambda's `getRemainingTimeInMillis`). */
  remainingMs(): number;
  /** The longest one database call may take. */
  readonly callMs: number;
}

/** No function timeout (a long-running process, a test): every call may start. */
export const NO_TIME_LIMIT: TimeBudget = { remainingMs: () => Number.POSITIVE_INFINITY, callMs: 0 };

/**
 * Whether `calls` more database calls fit in the time left, each taking as long as it may.
 *
 * @example
 * // a result is applied (one call) and what it produced is marked sent (another): start it only if both fit
 * if (!hasTimeFor(budget, 2)) return unstarted(record);
 */
export function hasTimeFor(budget: TimeBudget, calls: number): boolean {
  return budget.remainingMs() > calls * budget.callMs;
}

/**
 * SQLSTATEs of a call that failed as a whole for a reason of the moment, not of its input: a lock
 * waited for past lock_timeout (55P03 lock_not_available), a statement past statement_timeout or
 * cancelled (57014 query_canceled), the server shutting down or restarting (57P01-57P03), a
 * serialization failure or deadlock (40001, 40P01); and the connection classes (08xxx).
 */
const TRANSIENT_CODES = new Set(['55P03', '57014', '57P01', '57P02', '57P03', '40001', '40P01']);

/** What pg and pg-pool say (no SQLSTATE) when a call got no answer in time or lost its connection. */
const CLIENT_SIDE =
  /^(Query read timeout|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed)/;

/**
 * Whether a database call failed for a reason of the moment: every statement of a batch that
 * failed so would meet the same fate if retried at once, so it is not retried one by one here.
 *
 * @example
 * isTransientDatabaseError({ code: '55P03' }); // true: a lock wait past lock_timeout
 * isTransientDatabaseError(new Error('invalid input syntax for type uuid')); // false
 */
export function isTransientDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return TRANSIENT_CODES.has(code) || code.startsWith('08');
  return error instanceof Error && CLIENT_SIDE.test(error.message);
}

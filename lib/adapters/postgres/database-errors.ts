import { errorMessage } from '../../domain/error-message.js';
import type { BatchApplyOutcome } from '../../ports/orchestration-store.js';

/**
 * The SQLSTATE of an error the database sent (node-pg's DatabaseError carries it as `code`, from
 * a server or PGlite alike), or null for anything else: a dropped connection, a timeout, a bug.
 */
export function sqlStateOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/** Integrity violations a concurrent writer can cause: a retry sees the winner instead. */
const RACES = new Set(['23505', '23P01']);

/**
 * Whether a SQLSTATE says the database refused the statement's data itself, so the same input
 * fails every time: data exceptions (class 22: `22P02` invalid text such as a lone surrogate in
 * jsonb, `22P05` U+0000, `22003` a number out of range, `22021` a NUL byte in text), integrity
 * violations (class 23) except the races a retry resolves (`23505` unique, `23P01` exclusion), and
 * program limits (class 54: `54001` nesting too deep for the parser's stack).
 *
 * Everything else may pass on a retry and is not a data error: connection failures (class 08),
 * serialization failures and deadlocks (`40001`, `40P01`), shutdowns and cancels (class 57),
 * insufficient resources (class 53), and errors without a SQLSTATE.
 *
 * @example
 * isDataError('22P05'); // true: jsonb refuses U+0000
 * isDataError('40001'); // false: a serialization failure passes on a retry
 */
export function isDataError(sqlstate: string): boolean {
  const cls = sqlstate.slice(0, 2);
  return cls === '22' || cls === '54' || (cls === '23' && !RACES.has(sqlstate));
}

/**
 * What a failed apply of one result means: `unstorable` (with the SQLSTATE) when the database
 * refused the result's data, which no redelivery can change; `failed` (redelivered) otherwise.
 */
export function applyFailureOutcome(error: unknown): BatchApplyOutcome {
  const sqlstate = sqlStateOf(error);
  if (sqlstate !== null && isDataError(sqlstate)) {
    return {
      status: 'unstorable',
      code: sqlstate,
      reason: `PostgreSQL refused the step result (SQLSTATE ${sqlstate}: ${errorMessage(error)})`,
    };
  }
  return { status: 'failed', reason: errorMessage(error) };
}

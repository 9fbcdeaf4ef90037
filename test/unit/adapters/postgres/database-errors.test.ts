import { describe, expect, it } from 'vitest';
import { applyFailureOutcome, isDataError, sqlStateOf } from '../../../../lib/adapters/postgres/database-errors.js';

/** An error as node-pg hands over what the server sent: the SQLSTATE in `code`. */
function databaseError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

describe('isDataError', () => {
  it.each([
    ['22P02', 'invalid text representation (a lone surrogate in jsonb)'],
    ['22P05', 'untranslatable character (U+0000 in jsonb)'],
    ['22003', 'numeric value out of range'],
    ['22021', 'a NUL byte in text'],
    ['23502', 'not-null violation'],
    ['23514', 'check violation'],
    ['54001', 'statement too complex (nesting past the parser stack)'],
  ])('%s (%s) is a data error: the same input fails every time', (code) => {
    expect(isDataError(code)).toBe(true);
  });

  it.each([
    ['08006', 'connection failure'],
    ['08003', 'connection does not exist'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock detected'],
    ['57P01', 'admin shutdown'],
    ['57014', 'query canceled (statement timeout)'],
    ['53300', 'too many connections'],
    ['23505', 'unique violation (a race)'],
    ['23P01', 'exclusion violation (a race)'],
    ['42883', 'undefined function (a deploy in progress)'],
    ['TK002', "one of our functions' invariants"],
  ])('%s (%s) is not: it may pass on a retry', (code) => {
    expect(isDataError(code)).toBe(false);
  });
});

describe('sqlStateOf', () => {
  it('reads the SQLSTATE of a database error and nothing else', () => {
    expect(sqlStateOf(databaseError('22P05', 'unsupported Unicode escape sequence'))).toBe('22P05');
    expect(sqlStateOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeNull();
    expect(sqlStateOf(new Error('Connection terminated unexpectedly'))).toBeNull();
    expect(sqlStateOf('22P05')).toBeNull();
    expect(sqlStateOf(null)).toBeNull();
  });
});

describe('applyFailureOutcome', () => {
  it('is unstorable, with the SQLSTATE, for a data error', () => {
    expect(applyFailureOutcome(databaseError('22P02', 'invalid input syntax for type json'))).toEqual({
      status: 'unstorable',
      code: '22P02',
      reason: 'PostgreSQL refused the step result (SQLSTATE 22P02: invalid input syntax for type json)',
    });
  });

  it('is failed (redelivered) for anything else', () => {
    expect(applyFailureOutcome(databaseError('40001', 'could not serialize access'))).toEqual({
      status: 'failed',
      reason: 'could not serialize access',
    });
    expect(applyFailureOutcome(new Error('Connection terminated unexpectedly'))).toEqual({
      status: 'failed',
      reason: 'Connection terminated unexpectedly',
    });
  });
});

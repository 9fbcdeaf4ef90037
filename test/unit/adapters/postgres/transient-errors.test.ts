import { describe, expect, it } from 'vitest';
import type { QueryResultRow } from 'pg';
import { PostgresOrchestrationStore } from '../../../../lib/adapters/postgres/postgres-orchestration-store.js';
import type { NamedQuery, Queryable } from '../../../../lib/adapters/postgres/queryable.js';
import { isTransientDatabaseError } from '../../../../lib/adapters/postgres/transient-errors.js';
import type { StepExecutionResult } from '../../../../lib/contracts/step-execution-result.js';
import { loadFixture } from '../../../helpers/contract-fixtures.js';

const coded = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

describe('isTransientDatabaseError', () => {
  it('is true for a lock or statement past its timeout, a restarting server, a serialization failure, a lost connection', () => {
    for (const code of ['55P03', '57014', '57P01', '57P03', '40001', '40P01', '08006', '08001'])
      expect(isTransientDatabaseError(coded(code)), code).toBe(true);
    for (const message of [
      'Query read timeout',
      'Connection terminated unexpectedly',
      'timeout exceeded when trying to connect',
    ])
      expect(isTransientDatabaseError(new Error(message)), message).toBe(true);
  });

  it('is false for an error of the input or the SQL, and for anything else', () => {
    for (const code of ['22P02', '23505', 'P0001', '42883'])
      expect(isTransientDatabaseError(coded(code)), code).toBe(false);
    expect(isTransientDatabaseError(new Error('step x cannot walk'))).toBe(false);
    expect(isTransientDatabaseError('55P03')).toBe(false);
    expect(isTransientDatabaseError(null)).toBe(false);
  });
});

describe('applyStepResults when the batch call fails for a reason of the moment', () => {
  it("throws it to the caller instead of trying each result (which could outlast the caller's time)", async () => {
    const calls: string[] = [];
    const db = {
      async query<R extends QueryResultRow>(query: string | NamedQuery): Promise<{ rows: R[] }> {
        calls.push(typeof query === 'string' ? query : query.text);
        throw coded('55P03');
      },
    } as Queryable;
    const result = loadFixture('step-execution-result.success.json') as StepExecutionResult;
    const store = new PostgresOrchestrationStore(db);
    await expect(
      store.applyStepResults([
        { result, random: 0.1 },
        { result: { ...result, event_id: '22222222-2222-4222-8222-222222222222' }, random: 0.2 },
      ]),
    ).rejects.toMatchObject({ code: '55P03' });
    expect(calls).toHaveLength(1);
  });
});

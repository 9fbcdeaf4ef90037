import { describe, expect, it } from 'vitest';
import { databaseBudgetFor } from '../../../lib/domain/database-budget.js';

describe('databaseBudgetFor', () => {
  it('gives a statement a quarter of the function timeout, a lock wait an eighth, an idle transaction half', () => {
    expect(databaseBudgetFor(30_000)).toEqual({
      statementTimeoutMs: 7_500,
      lockTimeoutMs: 3_750,
      idleInTransactionTimeoutMs: 15_000,
    });
    expect(databaseBudgetFor(50_000)).toEqual({
      statementTimeoutMs: 12_500,
      lockTimeoutMs: 6_250,
      idleInTransactionTimeoutMs: 25_000,
    });
  });

  it('keeps every bound below the function timeout and above zero, in whole milliseconds', () => {
    for (const timeout of [1, 7, 999, 10_000, 900_000]) {
      const b = databaseBudgetFor(timeout);
      for (const ms of Object.values(b)) {
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(1);
        expect(ms).toBeLessThanOrEqual(Math.max(1, timeout / 2));
      }
      expect(b.lockTimeoutMs).toBeLessThanOrEqual(b.statementTimeoutMs);
    }
  });
});

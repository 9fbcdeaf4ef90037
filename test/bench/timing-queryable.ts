import { performance } from 'node:perf_hooks';
import type { QueryResultRow } from 'pg';
import { forward, textOf, type NamedQuery, type Queryable } from '../../lib/adapters/postgres/queryable.js';

export interface OperationTally {
  calls: number;
  totalMs: number;
}

/**
 * Times each round trip through a Queryable and tallies them by operation: the `tasker.*`
 * SQL function a statement calls, or the first words of a plain query. Time includes waiting
 * for a pooled connection, as the caller experiences it.
 */
export class TimingQueryable implements Queryable {
  readonly byOperation = new Map<string, OperationTally>();

  constructor(private readonly inner: Queryable) {}

  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  query<R extends QueryResultRow = QueryResultRow>(query: NamedQuery): Promise<{ rows: R[] }>;
  async query<R extends QueryResultRow = QueryResultRow>(
    query: string | NamedQuery,
    values?: unknown[],
  ): Promise<{ rows: R[] }> {
    const started = performance.now();
    try {
      return await forward<R>(this.inner, query, values);
    } finally {
      this.add(operationOf(textOf(query)), performance.now() - started);
    }
  }

  totalMs(): number {
    return [...this.byOperation.values()].reduce((sum, t) => sum + t.totalMs, 0);
  }

  calls(): number {
    return [...this.byOperation.values()].reduce((sum, t) => sum + t.calls, 0);
  }

  reset(): void {
    this.byOperation.clear();
  }

  private add(operation: string, ms: number): void {
    const tally = this.byOperation.get(operation) ?? { calls: 0, totalMs: 0 };
    tally.calls += 1;
    tally.totalMs += ms;
    this.byOperation.set(operation, tally);
  }
}

/** `tasker.apply_step_result(...)` → `apply_step_result`; other SQL → its first three words. */
export function operationOf(sql: string): string {
  const call = /tasker\.(\w+)\s*\(/.exec(sql);
  if (call) return call[1]!;
  return sql.trim().split(/\s+/).slice(0, 3).join(' ').toLowerCase();
}

import type { QueryResultRow } from 'pg';

/** The one thing the store needs from a pg Pool or Client. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** Counts round trips through a Queryable: the benchmarks report database work per step with it. */
export class CountingQueryable implements Queryable {
  roundTrips = 0;
  constructor(private readonly inner: Queryable) {}

  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }> {
    this.roundTrips += 1;
    return this.inner.query<R>(text, values);
  }
}

import type { QueryResultRow } from 'pg';

/**
 * A statement the server prepares once per connection under its name and then only executes:
 * what the store sends for its hot calls.
 */
export interface NamedQuery {
  readonly name: string;
  readonly text: string;
  readonly values?: unknown[];
}

/** The one thing the store needs from a pg Pool or Client: plain or named (prepared) statements. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  query<R extends QueryResultRow = QueryResultRow>(query: NamedQuery): Promise<{ rows: R[] }>;
}

/** The SQL text of a plain or named statement. */
export function textOf(query: string | NamedQuery): string {
  return typeof query === 'string' ? query : query.text;
}

/** Forwards a plain or named statement to a Queryable (for wrappers that look at each one). */
export function forward<R extends QueryResultRow>(
  inner: Queryable,
  query: string | NamedQuery,
  values?: unknown[],
): Promise<{ rows: R[] }> {
  return typeof query === 'string' ? inner.query<R>(query, values) : inner.query<R>(query);
}

/** Counts round trips through a Queryable: the benchmarks report database work per step with it. */
export class CountingQueryable implements Queryable {
  roundTrips = 0;
  constructor(private readonly inner: Queryable) {}

  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  query<R extends QueryResultRow = QueryResultRow>(query: NamedQuery): Promise<{ rows: R[] }>;
  query<R extends QueryResultRow = QueryResultRow>(
    query: string | NamedQuery,
    values?: unknown[],
  ): Promise<{ rows: R[] }> {
    this.roundTrips += 1;
    return forward<R>(this.inner, query, values);
  }
}

import type { QueryResultRow } from 'pg';
import type { Queryable } from './queryable.js';

/** A hot statement: the server parses and plans it once per connection, under its name. */
export interface Prepared {
  readonly name: string;
  readonly text: string;
}

export function prepared(name: string, text: string): Prepared {
  return { name, text };
}

/** duplicate_prepared_statement, invalid_sql_statement_name: the name is not this connection's alone. */
const NAME_CLASHES = new Set(['42P05', '26000']);

function isNameClash(error: unknown): boolean {
  return NAME_CLASHES.has((error as { code?: unknown } | null)?.code as string);
}

/**
 * Runs statements by name where the server keeps prepared statements per connection, and as
 * plain statements from the first sign that it does not: PGlite serves all its socket
 * connections from one session (a second connection preparing a name gets 42P05), and a
 * transaction-pooling proxy can hand a statement to a connection that never prepared it (26000).
 * A statement that clashed was refused before it ran, so running it again is safe.
 *
 * @example
 * const runner = new StatementRunner(pool);
 * await runner.run(prepared('tasker_mark_outbox_sent', 'select tasker.mark_outbox_sent($1::bigint[])'), [ids]);
 */
export class StatementRunner {
  /**
   * @param named false to send every statement plain from the start (behind a proxy that pins a
   *   server connection to a client for as long as it holds prepared statements, RDS Proxy's case).
   */
  constructor(
    private readonly db: Queryable,
    private named = true,
  ) {}

  async run<R extends QueryResultRow = QueryResultRow>(
    statement: string | Prepared,
    values: unknown[],
  ): Promise<{ rows: R[] }> {
    if (typeof statement === 'string') return this.db.query<R>(statement, values);
    if (!this.named) return this.db.query<R>(statement.text, values);
    try {
      return await this.db.query<R>({ name: statement.name, text: statement.text, values });
    } catch (error) {
      if (!isNameClash(error)) throw error;
      this.named = false;
      return this.db.query<R>(statement.text, values);
    }
  }
}

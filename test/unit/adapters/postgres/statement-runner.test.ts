import { describe, expect, it } from 'vitest';
import type { QueryResultRow } from 'pg';
import { prepared, StatementRunner } from '../../../../lib/adapters/postgres/prepared.js';
import type { NamedQuery, Queryable } from '../../../../lib/adapters/postgres/queryable.js';

/** Records what was sent; named statements fail with `clash` (an error code) when given. */
function database(sent: string[], clash?: string): Queryable {
  return {
    async query<R extends QueryResultRow>(query: string | NamedQuery) {
      sent.push(typeof query === 'string' ? `plain ${query}` : `named ${query.name}`);
      if (typeof query !== 'string' && clash) throw Object.assign(new Error('clash'), { code: clash });
      return { rows: [] as R[] };
    },
  } as Queryable;
}

describe('StatementRunner', () => {
  it('sends a prepared statement by name and plain text as it is', async () => {
    const sent: string[] = [];
    const runner = new StatementRunner(database(sent));
    await runner.run(prepared('hot', 'select 1'), []);
    await runner.run('select 2', []);
    expect(sent).toEqual(['named hot', 'plain select 2']);
  });

  it.each(['42P05', '26000'])('falls back to plain statements for good when a name clashes (%s)', async (code) => {
    const sent: string[] = [];
    const runner = new StatementRunner(database(sent, code));
    await runner.run(prepared('hot', 'select 1'), []);
    await runner.run(prepared('hot', 'select 1'), []);
    expect(sent).toEqual(['named hot', 'plain select 1', 'plain select 1']);
  });

  it('sends everything plain when told to (a pinning proxy)', async () => {
    const sent: string[] = [];
    await new StatementRunner(database(sent), false).run(prepared('hot', 'select 1'), []);
    expect(sent).toEqual(['plain select 1']);
  });

  it('lets any other error through', async () => {
    const runner = new StatementRunner(database([], '57P01'));
    await expect(runner.run(prepared('hot', 'select 1'), [])).rejects.toThrow('clash');
  });
});

import { describe, expect, it } from 'vitest';
import type { QueryResultRow } from 'pg';
import { PostgresOrchestrationStore } from '../../../../lib/adapters/postgres/postgres-orchestration-store.js';
import { textOf, type NamedQuery, type Queryable } from '../../../../lib/adapters/postgres/queryable.js';
import type { StepExecutionResult } from '../../../../lib/contracts/step-execution-result.js';
import { loadFixture } from '../../../helpers/contract-fixtures.js';

const applied = (eventId: string) => ({
  status: 'applied',
  reason: null,
  task_uuid: null,
  step_uuid: null,
  step_state: 'complete',
  task_state: 'complete',
  outbox: [],
  event_id: eventId,
});

/** A database whose batch call fails, and whose single calls fail for the event ids in `bad` (with `refused`'s SQLSTATE, when given). */
function database(bad: Set<string>, calls: string[], refused: Map<string, string> = new Map()): Queryable {
  return {
    async query<R extends QueryResultRow>(query: string | NamedQuery, plain?: unknown[]) {
      const values = typeof query === 'string' ? plain : query.values;
      if (textOf(query).includes('apply_step_results')) {
        calls.push('batch');
        throw new Error('step x cannot walk');
      }
      const eventId = (JSON.parse(values![0] as string) as StepExecutionResult).event_id;
      calls.push(eventId);
      if (bad.has(eventId)) throw new Error(`cannot apply ${eventId}`);
      if (refused.has(eventId))
        throw Object.assign(new Error('unsupported Unicode escape sequence'), { code: refused.get(eventId) });
      return { rows: [{ j: applied(eventId) }] as unknown as R[] };
    },
  } as Queryable;
}

const result = (eventId: string): StepExecutionResult => ({
  ...(loadFixture('step-execution-result.success.json') as StepExecutionResult),
  event_id: eventId,
});
const ids = [
  '11111111-1111-4111-8111-111111111111',
  '22222222-2222-4222-8222-222222222222',
  '33333333-3333-4333-8333-333333333333',
];

describe('applyStepResults when the batch call fails', () => {
  it('tries each result on its own and reports only those that fail again', async () => {
    const calls: string[] = [];
    const store = new PostgresOrchestrationStore(database(new Set([ids[1]!]), calls));
    const outcomes = await store.applyStepResults(ids.map((id) => ({ result: result(id), random: 0.5 })));
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'failed', 'applied']);
    expect(outcomes[1]).toEqual({ status: 'failed', reason: `cannot apply ${ids[1]}` });
    expect(calls).toEqual(['batch', ...ids]);
  });

  it('reports a result the database refuses by a data error as unstorable, with its SQLSTATE; others failing stay failed', async () => {
    const calls: string[] = [];
    const store = new PostgresOrchestrationStore(database(new Set([ids[2]!]), calls, new Map([[ids[0]!, '22P05']])));
    const outcomes = await store.applyStepResults(ids.map((id) => ({ result: result(id), random: 0.5 })));
    expect(outcomes).toEqual([
      {
        status: 'unstorable',
        code: '22P05',
        reason: 'PostgreSQL refused the step result (SQLSTATE 22P05: unsupported Unicode escape sequence)',
      },
      expect.objectContaining({ status: 'applied' }),
      { status: 'failed', reason: `cannot apply ${ids[2]}` },
    ]);
  });

  it('reports a batch of one as failed without calling again', async () => {
    const calls: string[] = [];
    const store = new PostgresOrchestrationStore(database(new Set(), calls));
    expect(await store.applyStepResults([{ result: result(ids[0]!), random: 0.5 }])).toEqual([
      { status: 'failed', reason: 'step x cannot walk' },
    ]);
    expect(calls).toEqual(['batch']);
  });

  it('makes no call for an empty batch', async () => {
    const calls: string[] = [];
    expect(await new PostgresOrchestrationStore(database(new Set(), calls)).applyStepResults([])).toEqual([]);
    expect(calls).toEqual([]);
  });
});

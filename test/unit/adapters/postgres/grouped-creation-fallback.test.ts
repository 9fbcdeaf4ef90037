import { describe, expect, it } from 'vitest';
import type { QueryResultRow } from 'pg';
import { PostgresOrchestrationStore } from '../../../../lib/adapters/postgres/postgres-orchestration-store.js';
import { textOf, type NamedQuery, type Queryable } from '../../../../lib/adapters/postgres/queryable.js';
import { buildTemplate } from '../../../helpers/template-builder.js';

/**
 * What a store grouping creations does when a group's call fails as a whole (TaskCreation.createGroup), against a
 * database whose `create_tasks` fails with `groupCode` and whose `create_task` creates the task named by its context.
 */
function database(groupCode: string, calls: string[]): Queryable {
  return {
    async query<R extends QueryResultRow>(query: string | NamedQuery, plain?: unknown[]) {
      const values = typeof query === 'string' ? plain : query.values;
      if (textOf(query).includes('tasker.create_tasks(')) {
        calls.push('group');
        throw Object.assign(new Error(`group refused (${groupCode})`), { code: groupCode });
      }
      const n = (JSON.parse(values![3] as string) as { n: number }).n;
      calls.push(`task ${n}`);
      await new Promise((r) => setImmediate(r));
      const json = {
        task_uuid: `task-${n}`,
        created: true,
        state: 'steps_in_process',
        correlation_id: 'c',
        outbox: [],
      };
      return { rows: [{ j: json }] as unknown as R[] };
    },
  } as Queryable;
}

const t = buildTemplate({ name: 'fallback', steps: [{ name: 'only' }] });
const request = (n: number) => ({
  namespace: t.namespace,
  name: t.name,
  context: { n },
  priority: 0,
  identity_strategy: 'always_unique' as const,
});

async function createFour(groupCode: string) {
  const calls: string[] = [];
  const store = new PostgresOrchestrationStore(database(groupCode, calls), {
    templateCache: false,
    groupedCreates: { maxInFlight: 1, maxGroup: 50 },
  });
  const outcomes = await Promise.all(
    [0, 1, 2, 3].map((n) =>
      store.createTask(request(n), t).then(
        (o) => o.taskUuid,
        (e: Error) => e.message,
      ),
    ),
  );
  return { calls, outcomes };
}

describe('a grouped creation whose call fails as a whole', () => {
  it('in a deadlock (two groups met on the same identities): each task is created on its own', async () => {
    const { calls, outcomes } = await createFour('40P01');
    expect(calls).toEqual(['task 0', 'group', 'task 1', 'task 2', 'task 3']);
    expect(outcomes).toEqual(['task-0', 'task-1', 'task-2', 'task-3']);
  });

  it('for a reason of its input: each task is created on its own', async () => {
    const { calls, outcomes } = await createFour('22P05');
    expect(calls).toEqual(['task 0', 'group', 'task 1', 'task 2', 'task 3']);
    expect(outcomes).toEqual(['task-0', 'task-1', 'task-2', 'task-3']);
  });

  it('with a lost connection: every caller of the group gets that failure, nothing is tried again', async () => {
    const { calls, outcomes } = await createFour('08006');
    expect(calls).toEqual(['task 0', 'group']);
    expect(outcomes).toEqual(['task-0', 'group refused (08006)', 'group refused (08006)', 'group refused (08006)']);
  });
});

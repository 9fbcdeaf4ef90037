import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import {
  PostgresOrchestrationStore,
  type StoreOptions,
} from '../../../lib/adapters/postgres/postgres-orchestration-store.js';
import { CountingQueryable } from '../../../lib/adapters/postgres/queryable.js';
import type { TaskTemplate } from '../../../lib/domain/task-template.js';
import { createTask } from '../../../lib/orchestration/create-task.js';
import type { OrchestrationDeps } from '../../../lib/orchestration/orchestration-deps.js';
import { staticRouting } from '../../../lib/orchestration/queue-routing.js';
import { TemplateChangedError } from '../../../lib/ports/orchestration-store.js';
import { FakeEventBus } from '../../helpers/fake-event-bus.js';
import { FakeQueueSender } from '../../helpers/fake-queue-sender.js';
import { RecordingLogger } from '../../helpers/recording-logger.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * The templates a store keeps (TemplateCache, 000022_template_revisions.sql), with two stores on one database standing
 * for two processes: A (counted, caching) and B (the other process, which registers templates again). Tasks are counted
 * through the owner's own connection.
 */
let db: TestDatabase;
/** A's one connection, held (see ride-along-marks.test.ts: on PGlite a prepare by another connection would clash). */
let client: pg.PoolClient;
let otherProcess: pg.Client;
let reader: pg.Client;
let storeB: PostgresOrchestrationStore;
beforeAll(async () => {
  db = await createTestDatabase();
  client = await db.pool.connect();
  otherProcess = new pg.Client({ connectionString: db.connectionString });
  await otherProcess.connect();
  reader = new pg.Client({ connectionString: db.connectionString });
  await reader.connect();
  storeB = new PostgresOrchestrationStore(otherProcess, { preparedStatements: false, templateCache: false });
}, 60_000);
afterAll(async () => {
  await reader?.end();
  await otherProcess?.end();
  client?.release();
  await db?.close();
});

/** Process A: a store on the held connection, its round trips counted. */
function processA(options: StoreOptions = {}) {
  const counted = new CountingQueryable(client);
  return { counted, store: new PostgresOrchestrationStore(counted, options) };
}

const template = (
  name: string,
  extra: { version?: string; inputSchema?: Record<string, unknown>; steps?: string[] } = {},
) =>
  buildTemplate({
    name,
    ...(extra.version ? { version: extra.version } : {}),
    ...(extra.inputSchema ? { inputSchema: extra.inputSchema } : {}),
    steps: (extra.steps ?? ['only']).map((s) => ({ name: s })),
  });
const requiring = (field: string) => ({
  type: 'object',
  required: [field],
  properties: { [field]: { type: 'string' } },
});

const request = (t: TaskTemplate, context: Record<string, unknown> = {}, version?: string) => ({
  namespace: t.namespace,
  name: t.name,
  ...(version ? { version } : {}),
  context,
  priority: 0,
  identity_strategy: 'always_unique' as const,
});

async function tasksOf(name: string): Promise<Array<{ version: string; steps: string[] }>> {
  const { rows } = await reader.query<{ version: string; steps: string[] }>(
    `select t.task_version as version, array(select s.name from tasker.workflow_steps s
             where s.task_uuid = t.task_uuid order by s.ordinal) as steps
       from tasker.tasks t where t.namespace_name = 'tests' and t.task_name = $1 order by t.created_at`,
    [name],
  );
  return rows;
}

function depsOn(store: PostgresOrchestrationStore): OrchestrationDeps & { logger: RecordingLogger } {
  return {
    store,
    queues: new FakeQueueSender(),
    events: new FakeEventBus(),
    routing: staticRouting({ dispatchQueueUrl: 'test://dispatch', completionQueueUrl: 'test://completion' }),
    clock: { now: () => new Date() },
    random: { next: () => 0.5 },
    logger: new RecordingLogger(),
  };
}
const RECHECK = 'template registered again while the request was checked; checking it again';

describe('a kept template', () => {
  it('is found again without a round trip; a task is created from it in exactly one', async () => {
    const t = template('cache_hit');
    await storeB.registerTemplate(t);
    const { counted, store } = processA();
    const first = await store.findTemplate('tests', 'cache_hit');
    expect(counted.roundTrips).toBe(1);
    const again = await store.findTemplate('tests', 'cache_hit');
    expect(counted.roundTrips, 'answered from memory').toBe(1);
    expect(again).toBe(first);
    expect(again).toEqual(t);

    counted.roundTrips = 0;
    const created = await store.createTask(request(t), again!);
    expect(counted.roundTrips).toBe(1);
    expect(created).toMatchObject({ created: true });
    expect(await tasksOf('cache_hit')).toEqual([{ version: '1.0.0', steps: ['only'] }]);
  });

  it('registered again by another process: nothing is written, TemplateChangedError, and the next lookup reads anew', async () => {
    await storeB.registerTemplate(template('cache_changed'));
    const { counted, store } = processA();
    const kept = (await store.findTemplate('tests', 'cache_changed'))!;
    const changed = template('cache_changed', { inputSchema: requiring('account'), steps: ['first', 'second'] });
    await storeB.registerTemplate(changed);

    counted.roundTrips = 0;
    await expect(store.createTask(request(kept), kept)).rejects.toBeInstanceOf(TemplateChangedError);
    expect(counted.roundTrips).toBe(1);
    expect(await tasksOf('cache_changed')).toEqual([]);

    counted.roundTrips = 0;
    const fresh = await store.findTemplate('tests', 'cache_changed');
    expect(counted.roundTrips, 'the stale lookup was forgotten').toBe(1);
    expect(fresh).toEqual(changed);
    await store.createTask(request(changed, { account: 'a-1' }), fresh!);
    expect(await tasksOf('cache_changed')).toEqual([{ version: '1.0.0', steps: ['first', 'second'] }]);
  });

  it('of a concrete version is still written after a newer version is registered', async () => {
    await storeB.registerTemplate(template('cache_versions', { version: '1.0.0' }));
    const { counted, store } = processA();
    const kept = (await store.findTemplate('tests', 'cache_versions', '1.0.0'))!;
    await storeB.registerTemplate(template('cache_versions', { version: '2.0.0', steps: ['newer'] }));

    counted.roundTrips = 0;
    await store.createTask(request(kept, {}, '1.0.0'), kept);
    expect(counted.roundTrips).toBe(1);
    expect(await tasksOf('cache_versions')).toEqual([{ version: '1.0.0', steps: ['only'] }]);
    expect(await store.findTemplate('tests', 'cache_versions', '1.0.0')).toBe(kept);
  });

  it('looked up without a version is not written once another process registered a newer one', async () => {
    await storeB.registerTemplate(template('cache_newest', { version: '1.0.0' }));
    const { counted, store } = processA();
    const kept = (await store.findTemplate('tests', 'cache_newest'))!;
    expect(kept.version).toBe('1.0.0');
    await storeB.registerTemplate(template('cache_newest', { version: '2.0.0', steps: ['newer'] }));

    await expect(store.createTask(request(kept), kept)).rejects.toBeInstanceOf(TemplateChangedError);
    expect(await tasksOf('cache_newest')).toEqual([]);
    counted.roundTrips = 0;
    const newest = (await store.findTemplate('tests', 'cache_newest'))!;
    expect([counted.roundTrips, newest.version]).toEqual([1, '2.0.0']);
    await store.createTask(request(newest), newest);
    expect(await tasksOf('cache_newest')).toEqual([{ version: '2.0.0', steps: ['newer'] }]);
  });

  it('is not what a template object from elsewhere (e.g. a file) is checked against: it is written as before', async () => {
    const fromFile = template('cache_from_file');
    await storeB.registerTemplate(fromFile);
    const { store } = processA();
    await store.findTemplate('tests', 'cache_from_file');
    await storeB.registerTemplate(template('cache_from_file', { steps: ['renamed'] }));
    await store.createTask(request(fromFile), fromFile);
    expect(await tasksOf('cache_from_file')).toEqual([{ version: '1.0.0', steps: ['renamed'] }]);
  });
});

describe('createTask (the use case) on a store keeping templates', () => {
  it('refuses invalid_context when the template registered again requires what the context lacks', async () => {
    const t = template('usecase_refused');
    await storeB.registerTemplate(t);
    const deps = depsOn(processA().store);
    expect(await createTask(deps, request(t))).toMatchObject({ ok: true, created: true });

    await storeB.registerTemplate(template('usecase_refused', { inputSchema: requiring('account') }));
    const result = await createTask(deps, request(t));
    expect(result).toMatchObject({ ok: false, code: 'invalid_context' });
    expect(deps.logger.find(RECHECK)).toHaveLength(1);
    expect(await tasksOf('usecase_refused'), 'only the first task').toHaveLength(1);
  });

  it('creates the task from the new registration when the context satisfies its schema', async () => {
    const t = template('usecase_accepted');
    await storeB.registerTemplate(t);
    const deps = depsOn(processA().store);
    expect(await createTask(deps, request(t, { account: 'a-1' }))).toMatchObject({ ok: true });

    const changed = template('usecase_accepted', { inputSchema: requiring('account'), steps: ['checked'] });
    await storeB.registerTemplate(changed);
    const result = await createTask(deps, request(t, { account: 'a-2' }));
    expect(result).toMatchObject({ ok: true, created: true });
    expect(deps.logger.find(RECHECK)).toHaveLength(1);
    expect(await tasksOf('usecase_accepted')).toEqual([
      { version: '1.0.0', steps: ['only'] },
      { version: '1.0.0', steps: ['checked'] },
    ]);
    expect(await deps.store.findTemplate('tests', 'usecase_accepted')).toEqual(changed);
  });
});

describe('lookups not kept', () => {
  it('templateCache: false: every findTemplate is a round trip', async () => {
    const t = template('cache_off');
    await storeB.registerTemplate(t);
    const { counted, store } = processA({ templateCache: false });
    const found = [];
    for (let i = 0; i < 3; i++) found.push(await store.findTemplate('tests', 'cache_off'));
    expect(counted.roundTrips).toBe(3);
    expect(found[1]).not.toBe(found[0]);
    expect(found[2]).toEqual(t);
  });

  it('an unknown template is null and not kept: registered afterwards, it is found at once', async () => {
    const { counted, store } = processA();
    expect(await store.findTemplate('tests', 'cache_unknown')).toBeNull();
    expect(await store.findTemplate('tests', 'cache_unknown')).toBeNull();
    expect(counted.roundTrips).toBe(2);

    const t = template('cache_unknown');
    await storeB.registerTemplate(t);
    expect(await store.findTemplate('tests', 'cache_unknown')).toEqual(t);
    expect(counted.roundTrips).toBe(3);
  });

  it('registerTemplate clears what the registering store kept', async () => {
    const t = template('cache_own_register');
    await storeB.registerTemplate(t);
    const { counted, store } = processA();
    const kept = await store.findTemplate('tests', 'cache_own_register');
    const changed = template('cache_own_register', { steps: ['mine'] });
    await store.registerTemplate(changed);
    counted.roundTrips = 0;
    const fresh = await store.findTemplate('tests', 'cache_own_register');
    expect(counted.roundTrips).toBe(1);
    expect(fresh).not.toBe(kept);
    expect(fresh).toEqual(changed);
  });
});

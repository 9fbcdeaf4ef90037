import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresOrchestrationStore } from '../../../lib/adapters/postgres/postgres-orchestration-store.js';
import type { Queryable } from '../../../lib/adapters/postgres/queryable.js';
import { ensureRuntimeLogin, RUNTIME_ROLE, RuntimeLoginError } from '../../../lib/adapters/postgres/runtime-login.js';
import { loadConfig } from '../../../lib/lambda/config.js';
import { createMigrateLambda } from '../../../lib/lambda/migrate-lambda.js';
import { createTask } from '../../../lib/orchestration/create-task.js';
import { cancelTask, stepAction } from '../../../lib/orchestration/operator-actions.js';
import { sweep } from '../../../lib/orchestration/sweep.js';
import { processCompletionBatch } from '../../../lib/orchestration/process-completion-batch.js';
import { processTaskRequests } from '../../../lib/orchestration/process-task-requests.js';
import { OrchestrationHarness, successResult } from '../../helpers/orchestration-harness.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * The runtime login (a member of tasker_runtime, migrations/*_runtime_role.sql) runs orchestration: it applies results, evaluates
 * tasks, sweeps and delivers the outbox, through the engine's functions only. It cannot read or write a table, call an
 * operation the runtime does not use, or change the schema. Queries run as the login with SET ROLE (the privileges of
 * a session that logged in as it); on a server, a real login too.
 */

const RUNTIME_OPERATIONS = [
  'apply_step_result',
  'apply_step_results',
  'cancel_task',
  'claim_due_retries',
  'create_task',
  'create_tasks',
  'evaluate_task_now',
  'expire_waits',
  'fail_blocked_tasks',
  'find_timed_out_dispatches',
  'list_tasks',
  'mark_attempts_started',
  'mark_outbox_sent',
  'signal_step',
  'signal_target',
  'step_action',
  'task_row',
  'task_steps',
  'task_transitions',
  'template_entry',
  'template_id',
  'template_id_if',
  'unsent_outbox',
];
const LOGIN = `tasker_app_${randomBytes(4).toString('hex')}`;
const PASSWORD = 'runtime-Password-0123456789';
const INSUFFICIENT_PRIVILEGE = '42501';

let db: TestDatabase;
let owner: OrchestrationHarness;
let runtime: Queryable;
const chain = buildTemplate({ name: 'runtime_chain', steps: [{ name: 'a' }, { name: 'b', deps: ['a'] }] });

/** Each query in its own transaction as `role`, on the test database's pool. */
function asRole(pool: pg.Pool, role: string): Queryable {
  return {
    async query(text: string, values?: unknown[]) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query(`set local role ${client.escapeIdentifier(role)}`);
        const result = await client.query(text, values);
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback');
        throw error;
      } finally {
        client.release();
      }
    },
  } as unknown as Queryable;
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'allowed',
    (error: { code?: string }) => error.code,
  );

beforeAll(async () => {
  db = await createTestDatabase();
  owner = new OrchestrationHarness(db);
  await owner.register(chain);
  expect(await ensureRuntimeLogin(db.pool, { username: LOGIN, password: PASSWORD })).toBe('created');
  runtime = asRole(db.pool, LOGIN);
});
afterAll(async () => {
  await db?.pool.query(`drop role if exists ${LOGIN}`);
  await db?.close();
});

/**
 * Re-creates `fn` as a later migration would (create or replace: its `setting` SET clause is gone) and runs
 * grant_runtime_access, in a transaction rolled back; `read` sees the catalog after each.
 */
async function reCreatedThenGranted<T>(
  fn: string,
  setting: string,
  read: (client: pg.PoolClient) => Promise<T>,
): Promise<{ bare: T; granted: T }> {
  const { rows } = await db.pool.query('select pg_get_functiondef($1::regprocedure) as def', [fn]);
  const without = (rows[0].def as string).replace(new RegExp(`\\n\\s*SET ${setting}[^\\n]*\\n`), '\n');
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await client.query(without);
    const bare = await read(client);
    await client.query('select tasker.grant_runtime_access()');
    return { bare, granted: await read(client) };
  } finally {
    await client.query('rollback');
    client.release();
  }
}

describe('the runtime role in the catalog', () => {
  it('may execute exactly the runtime operations, each running as its owner with a pinned search_path', async () => {
    const { rows } = await db.pool.query(
      `select p.proname, p.prosecdef, p.proconfig from pg_proc p
        where p.pronamespace = 'tasker'::regnamespace and has_function_privilege($1, p.oid, 'execute') order by 1`,
      [RUNTIME_ROLE],
    );
    expect(rows.map((r) => r.proname)).toEqual(RUNTIME_OPERATIONS);
    // Besides its search_path, the outbox mark keeps its generic plan (000024; see the test on generic plans below).
    const config = (name: string) =>
      name === 'mark_outbox_sent'
        ? ['search_path=pg_catalog, pg_temp', 'plan_cache_mode=force_generic_plan']
        : ['search_path=pg_catalog, pg_temp'];
    for (const r of rows) expect([r.proname, r.prosecdef, r.proconfig]).toEqual([r.proname, true, config(r.proname)]);
  });

  it('gives the entry points that share the claim the same search_path, as their caller; a re-created one is pinned again', async () => {
    const pinned = async (on: pg.Pool | pg.PoolClient = db.pool) =>
      (
        await on.query(
          `select p.proname, p.prosecdef, p.proconfig from pg_proc p
            where p.pronamespace = 'tasker'::regnamespace and p.proname = any(tasker.pinned_path_operations()) order by 1`,
        )
      ).rows.map((r) => [r.proname, r.prosecdef, r.proconfig]);
    // The API and the ingress call some of them as the runtime login: those are SECURITY DEFINER as well.
    const expected = ['cancel_task', 'claim_ready_steps', 'create_task', 'create_tasks', 'step_action'].map((name) => [
      name,
      name !== 'claim_ready_steps',
      ['search_path=pg_catalog, pg_temp'],
    ]);
    expect(await pinned()).toEqual(expected);
    // What a later migration does: create or replace (which drops the SET clause), then grant_runtime_access.
    const { bare, granted } = await reCreatedThenGranted('tasker.claim_ready_steps(uuid, int)', 'search_path', pinned);
    expect(bare.find((r) => r[0] === 'claim_ready_steps')).toEqual(['claim_ready_steps', false, null]);
    expect(granted).toEqual(expected);
  });

  it('plans the claims, the release of children and the outbox marks generically, again once a migration re-creates them', async () => {
    const generic = async (on: pg.Pool | pg.PoolClient = db.pool) =>
      (
        await on.query(
          `select p.proname, p.proconfig from pg_proc p
            where p.pronamespace = 'tasker'::regnamespace and p.proname = any(tasker.generic_plan_operations()) order by 1`,
        )
      ).rows.map((r) => [r.proname, r.proconfig]);
    const expected = [
      ['claim_steps_locked', ['plan_cache_mode=force_generic_plan']],
      ['mark_outbox_sent', ['search_path=pg_catalog, pg_temp', 'plan_cache_mode=force_generic_plan']],
      ['release_children', ['plan_cache_mode=force_generic_plan']],
    ];
    expect(await generic()).toEqual(expected);
    const { bare, granted } = await reCreatedThenGranted('tasker.release_children(uuid[])', 'plan_cache_mode', generic);
    expect(bare.find((r) => r[0] === 'release_children')).toEqual(['release_children', null]);
    expect(granted).toEqual(expected);
  });

  it("marks outbox rows sent through outbox_pkey under the generic plan it is held to, whatever the ids' number", async () => {
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await client.query('set local plan_cache_mode = force_generic_plan');
      await client.query('prepare tasker_mark_plan(bigint[]) as delete from tasker.outbox where id = any($1)');
      const plan = async (ids: number[]) =>
        (await client.query(`explain (format json) execute tasker_mark_plan('{${ids.join(',')}}')`)).rows[0][
          'QUERY PLAN'
        ];
      for (const ids of [[1], Array.from({ length: 500 }, (_, i) => i + 1)]) {
        const text = JSON.stringify(await plan(ids));
        expect(text).toContain('"Index Name":"outbox_pkey"');
        expect(text).not.toContain('"Node Type":"Seq Scan"');
      }
    } finally {
      await client.query('rollback').catch(() => undefined);
      await client.query('deallocate tasker_mark_plan').catch(() => undefined);
      client.release();
    }
  });

  it('holds no privilege on any table or sequence of the schema, and cannot create in it', async () => {
    const { rows } = await db.pool.query(
      `select c.relname from pg_class c
        where c.relnamespace = 'tasker'::regnamespace and c.relkind in ('r', 'S', 'v')
          and (has_table_privilege($1, c.oid, 'select, insert, update, delete, truncate, references, trigger')
               or (c.relkind = 'S' and has_sequence_privilege($1, c.oid, 'usage, select, update')))`,
      [RUNTIME_ROLE],
    );
    expect(rows).toEqual([]);
    const schema = await db.pool.query(
      `select has_schema_privilege($1, 'tasker', 'usage') as usage, has_schema_privilege($1, 'tasker', 'create') as create`,
      [RUNTIME_ROLE],
    );
    expect(schema.rows[0]).toEqual({ usage: true, create: false });
  });

  it('leaves no engine function executable by PUBLIC', async () => {
    const { rows } = await db.pool.query(
      `select p.proname from pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
        where p.pronamespace = 'tasker'::regnamespace and a.grantee = 0 and a.privilege_type = 'EXECUTE'`,
    );
    expect(rows).toEqual([]);
  });
});

describe('the runtime login', () => {
  it('runs a task to completion through completion and the sweeper, the owner only creating it', async () => {
    const deps = { ...owner.deps, store: new PostgresOrchestrationStore(runtime) };
    const taskUuid = await owner.start(chain);
    const [a] = owner.dispatched();
    expect(
      await processCompletionBatch(deps, [{ messageId: 'm1', body: JSON.stringify(successResult(a!, { a: 1 })) }]),
    ).toEqual({ batchItemFailures: [] });
    const [b] = owner.dispatched();
    expect(b!.step_name).toBe('b');
    await db.pool.query('update tasker.settings set value = $1 where key = $2', ['0', 'dispatch_grace_ms']);
    await db.pool.query(
      `update tasker.step_dispatches set deadline_at = now() - interval '1 second' where event_id = $1`,
      [b!.event_id],
    );
    expect(await sweep({ ...deps, limits: { outboxResendAfterMs: 0 } })).toMatchObject({ timedOut: 1 });
    const [retry] = owner.dispatched();
    expect(retry).toMatchObject({ step_name: 'b', attempt: 2 });
    await processCompletionBatch(deps, [{ messageId: 'm2', body: JSON.stringify(successResult(retry!, { b: 2 })) }]);
    expect((await owner.store.getTask(taskUuid))?.state).toBe('complete');
  });

  it('serves the API: creates, reads, lists, cancels and takes a step action, each audited with its actor', async () => {
    const deps = { ...owner.deps, store: new PostgresOrchestrationStore(runtime) };
    const created = await createTask(deps, { namespace: chain.namespace, name: chain.name, context: { n: 1 } });
    expect(created).toMatchObject({ ok: true, created: true });
    const taskUuid = (created as { taskUuid: string }).taskUuid;
    const task = await deps.store.getTask(taskUuid);
    expect(task?.steps.map((s) => s.name)).toEqual(['a', 'b']);
    expect((await deps.store.transitions(taskUuid)).length).toBeGreaterThan(0);
    const page = await deps.store.listTasks({ name: chain.name, limit: 100 });
    expect(page.tasks.map((t) => t.taskUuid)).toContain(taskUuid);
    expect(
      await stepAction(deps, task!.steps[1]!.stepUuid, 'resolve_manually', 'not needed', undefined, 'ops'),
    ).toEqual({ ok: true });
    expect(await cancelTask(deps, taskUuid, 'withdrawn', 'arn:aws:iam::123456789012:user/ops')).toEqual({ ok: true });
    const cancels = (await deps.store.transitions(taskUuid)).filter((t) => t.toState === 'cancelled');
    expect(cancels.length).toBeGreaterThan(0);
    for (const t of cancels)
      expect(t.metadata).toMatchObject({ operator_action: 'cancel', actor: 'arn:aws:iam::123456789012:user/ops' });
    // The runtime login reads what the owner reads (the same functions, which it may call).
    expect(await deps.store.getTask(taskUuid)).toEqual(await owner.store.getTask(taskUuid));
    expect(await deps.store.transitions(taskUuid)).toEqual(await owner.store.transitions(taskUuid));
    expect(await deps.store.findTemplate(chain.namespace, chain.name)).toEqual(
      await owner.store.findTemplate(chain.namespace, chain.name),
    );
  });

  it('creates tasks from task requests (the ingress function): templates looked up, one batch created', async () => {
    const deps = { ...owner.deps, store: new PostgresOrchestrationStore(runtime) };
    owner.dispatched(); // what earlier tests left on the queue
    const body = JSON.stringify({ namespace: 'tests', name: 'runtime_chain', idempotency_key: 'runtime-1' });
    const records = [
      { messageId: 'r1', body },
      { messageId: 'r2', body },
    ];
    expect(await processTaskRequests(deps, records)).toEqual({ batchItemFailures: [] });
    const created = owner.bus.details().filter((d) => d.event_name === 'task.created');
    expect(created.map((d) => d.duplicate)).toEqual([false, true]);
    expect(owner.dispatched().map((m) => m.step_name)).toEqual(['a']);
  });

  it('cannot read or write a table, call an operation the runtime does not use, or change the schema', async () => {
    const attempts = {
      'read tasks': 'select * from tasker.tasks limit 1',
      'read a context': 'select context from tasker.tasks limit 1',
      'write a state': `update tasker.workflow_steps set state = 'complete'`,
      'insert an outbox row': `insert into tasker.outbox (kind, payload) values ('x', '{}')`,
      'delete the audit': 'delete from tasker.transitions',
      'register a template': `select tasker.register_template('ns', 'n', '1.0.0', null, '{}')`,
      'claim steps outside orchestration': 'select tasker.claim_ready_steps(gen_random_uuid(), null)',
      'call an internal function': `select tasker.transition_task(gen_random_uuid(), 'cancel', 'r')`,
      'create a table': 'create table tasker.mine (id int)',
      'drop an operation': 'drop function tasker.apply_step_result(jsonb, double precision)',
      'replace an operation': `create or replace function tasker.unsent_outbox(p_older_than_ms bigint, p_limit int) returns jsonb language sql as 'select null::jsonb'`,
      'alter a table': 'alter table tasker.tasks add column mine int',
    };
    const outcomes = Object.fromEntries(
      await Promise.all(Object.entries(attempts).map(async ([what, sql]) => [what, await refusal(runtime.query(sql))])),
    );
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(attempts).map((what) => [what, INSUFFICIENT_PRIVILEGE])));
  });

  it('is made once and then only has its password set; never the owner, the group role or an odd name', async () => {
    expect(await ensureRuntimeLogin(db.pool, { username: LOGIN, password: `${PASSWORD}x` })).toBe('updated');
    const { rows } = await db.pool.query(
      'select current_user as owner, pg_has_role($1, $2, $3) as member, (select rolcanlogin from pg_roles where rolname = $1) as login',
      [LOGIN, RUNTIME_ROLE, 'member'],
    );
    expect([rows[0].member, rows[0].login]).toEqual([true, true]);
    for (const username of [rows[0].owner, RUNTIME_ROLE, 'Robert"); drop table students; --']) {
      await expect(ensureRuntimeLogin(db.pool, { username, password: PASSWORD })).rejects.toBeInstanceOf(
        RuntimeLoginError,
      );
    }
  });

  it.runIf(Boolean(process.env.DATABASE_URL))('logs in over TCP and calls a runtime operation', async () => {
    const url = new URL(db.connectionString);
    url.username = LOGIN;
    url.password = PASSWORD;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      const { rows } = await client.query('select current_user as u, tasker.unsent_outbox(0, 10) as j');
      expect(rows[0].u).toBe(LOGIN);
      expect(await refusal(client.query('select count(*) from tasker.tasks'))).toBe(INSUFFICIENT_PRIVILEGE);
    } finally {
      await client.end();
    }
  });
});

describe('the migrate function', () => {
  const event = { RequestType: 'Update' } as CloudFormationCustomResourceEvent;
  const context = {} as Parameters<ReturnType<typeof createMigrateLambda>>[1];

  it('creates the login of the runtime secret, then sets its password on later deploys; without one, none', async () => {
    const name = `tasker_app_${randomBytes(4).toString('hex')}`;
    const readSecret = async () =>
      JSON.stringify({ host: 'db', port: 5432, username: name, password: PASSWORD, dbname: 'tasker' });
    const config = loadConfig({
      TASKER_DATABASE_RUNTIME_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:runtime-AbCdEf',
    });
    try {
      const handler = createMigrateLambda({ config, pool: db.pool, readSecret });
      expect((await handler(event, context)).Data.runtimeLogin).toBe('created');
      expect((await handler(event, context)).Data.runtimeLogin).toBe('updated');
      const member = await db.pool.query('select pg_has_role($1, $2, $3) as m', [name, RUNTIME_ROLE, 'member']);
      expect(member.rows[0].m).toBe(true);
      expect(
        (await createMigrateLambda({ config: loadConfig({}), pool: db.pool })(event, context)).Data.runtimeLogin,
      ).toBe('none');
    } finally {
      await db.pool.query(`drop role if exists ${name}`);
    }
  });
});

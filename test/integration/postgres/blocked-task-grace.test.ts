import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEngineSettings } from '../../../lib/adapters/postgres/engine-settings.js';
import { migrate, readMigrations } from '../../../lib/adapters/postgres/migrate.js';
import { runtimeConfig } from '../../../lib/contracts/runtime-config.js';
import { stepDispatchMessage } from '../../../lib/contracts/step-dispatch-message.js';
import { createMigrateLambda, MigrationPropertiesError } from '../../../lib/lambda/migrate-lambda.js';
import { sweep } from '../../../lib/orchestration/sweep.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { OrchestrationHarness } from '../../helpers/orchestration-harness.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/** Where the blocked task grace comes from (the deploy-time migration), and tasks blocked before the migration that added it. */

const fork = buildTemplate({ name: 'fork', steps: [{ name: 'bad', retry: { maxAttempts: 1 } }, { name: 'good' }] });

function updateEvent(properties: Record<string, unknown>): CloudFormationCustomResourceEvent {
  return {
    RequestType: 'Update',
    ServiceToken: 'arn:aws:lambda:eu-west-1:1:function:p',
    ResponseURL: 'https://example.com',
    StackId: 's',
    RequestId: 'r',
    LogicalResourceId: 'Migrations',
    PhysicalResourceId: 'tasker-schema',
    ResourceType: 'Custom::TaskerMigrations',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:1:function:p', ...properties },
    OldResourceProperties: {},
  } as CloudFormationCustomResourceEvent;
}

describe('the migration function writes the grace its resource carries', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.close());

  it('sets it from BlockedTaskGraceMs, leaves it when the property is absent, and refuses one it cannot read', async () => {
    const handler = createMigrateLambda({ config: runtimeConfig.parse({}), pool: db.pool });
    expect(await readEngineSettings(db.pool)).toEqual({ blockedTaskGraceMs: 0 });
    await handler(updateEvent({ MigrationBundle: 'a.zip', BlockedTaskGraceMs: '900000' }), {} as Context);
    expect(await readEngineSettings(db.pool)).toEqual({ blockedTaskGraceMs: 900_000 });
    await handler(updateEvent({ MigrationBundle: 'b.zip' }), {} as Context);
    expect(await readEngineSettings(db.pool)).toEqual({ blockedTaskGraceMs: 900_000 });
    const refused = await handler(updateEvent({ BlockedTaskGraceMs: '-5' }), {} as Context).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MigrationPropertiesError);
    expect((refused as MigrationPropertiesError).problems).toEqual([expect.stringContaining('BlockedTaskGraceMs')]);
    expect(await readEngineSettings(db.pool)).toEqual({ blockedTaskGraceMs: 900_000 });
  });
});

describe('a task blocked before the migration that ends blocked tasks', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(() => db.close());

  it('gets its grace counted from the migration, and the sweeper fails it (nothing else would evaluate it again)', async () => {
    const all = await readMigrations();
    const upgrade = all.findIndex((m) => m.name.endsWith('_blocked_tasks_end.sql'));
    await migrate(db.pool, all.slice(0, upgrade));
    const h = new OrchestrationHarness(db);
    await h.register(fork);
    // Created as that schema's create_task (8 arguments) was called: today's store calls today's.
    const { rows: created } = await db.pool.query(
      `select tasker.create_task(named_task_id, '{}', null, 0, 'always_unique', null, null, null) as j
         from tasker.named_tasks where name = 'fork'`,
    );
    const taskUuid = created[0].j.task_uuid as string;
    const roots = (created[0].j.outbox as { payload: unknown }[]).map((o) => stepDispatchMessage.parse(o.payload));
    await h.succeed(roots.find((m) => m.step_name === 'good')!);
    await h.fail(roots.find((m) => m.step_name === 'bad')!, { retryable: false });
    // Read straight from the table: the store's views read columns of later migrations.
    const before = await db.pool.query('select state from tasker.tasks where task_uuid = $1', [taskUuid]);
    expect(before.rows[0].state).toBe('blocked_by_failures');
    await migrate(db.pool, all);
    const { rows } = await db.pool.query(
      "select blocked_at > now() - interval '1 minute' as recent from tasker.tasks where task_uuid = $1",
      [taskUuid],
    );
    expect(rows[0].recent).toBe(true);
    await sweep(h.deps);
    expect((await h.store.getTask(taskUuid))?.state).toBe('error');
    expect(h.bus.published.map((e) => JSON.parse(e.Detail).event_name)).toEqual([
      'task.blocked_by_failures',
      'task.failed',
    ]);
  });
});

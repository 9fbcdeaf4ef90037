import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dynamicHandlers from '../../../examples/dynamic/handlers.js';
import { loadTemplateDirectoryOrThrow } from '../../../lib/adapters/templates/template-files.js';
import { startEmbeddedRuntime, type EmbeddedRuntime } from '../../../lib/local/embedded-runtime.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

/**
 * The dynamic examples (examples/dynamic, issue 15) on the embedded runtime: the real Lambdas over
 * in-process queues, the step handler capped at a reserved concurrency of 5. A decision routes an
 * order; a batch imports pages, 500 of them under the cap, one page retried from its checkpoint.
 */

const CAP = 5;
let database: TestDatabase | undefined;
let runtime: EmbeddedRuntime;

beforeAll(async () => {
  database = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
  runtime = await startEmbeddedRuntime({
    templates: await loadTemplateDirectoryOrThrow('examples/dynamic/templates'),
    handlers: dynamicHandlers,
    databaseUrl: database?.connectionString ?? null,
    transport: 'memory',
    settings: { sweepIntervalMs: 500, stepHandler: { reservedConcurrency: CAP, maxConcurrency: CAP } },
    env: {},
  });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await database?.close();
});

async function run(name: string, context: Record<string, unknown>) {
  const created = await runtime.createTask({ namespace: 'dynamic', name, context, identity_strategy: 'always_unique' });
  if (!created.ok) throw new Error(`refused: ${created.message} ${created.problems.join('; ')}`);
  return runtime.waitForTask(created.taskUuid, { timeoutMs: 60_000 });
}

const states = (task: Awaited<ReturnType<typeof run>>) => Object.fromEntries(task.steps.map((s) => [s.name, s.state]));

describe('examples/dynamic: order_routing (a decision)', () => {
  it('ships a small order standard: express and gift wrap are skipped, the notification converges on what ran', async () => {
    const task = await run('order_routing', { order: { order_id: 'o-1', total: 20 } });
    expect(task.state).toBe('complete');
    expect(states(task)).toEqual({
      route_order: 'complete',
      ship_express: 'skipped',
      ship_standard: 'complete',
      gift_wrap: 'skipped',
      notify_customer: 'complete',
    });
    expect(task.steps.find((s) => s.name === 'notify_customer')?.results).toEqual({ branches: ['ship_standard'] });
  });

  it('a large gift order activates two branches', async () => {
    const task = await run('order_routing', { order: { order_id: 'o-2', total: 250, gift: true } });
    expect(task.steps.find((s) => s.name === 'notify_customer')?.results).toEqual({
      branches: ['gift_wrap', 'ship_express'],
    });
    expect(states(task).ship_standard).toBe('skipped');
  });
});

describe('examples/dynamic: batch_import (a batch)', () => {
  it(`imports 500 pages under a step-handler cap of ${CAP}; the flaky page is retried from its checkpoint`, async () => {
    const task = await run('batch_import', { rows: 5000, page_size: 10, flaky_page: 7 });
    const pages = task.steps.filter((s) => s.name === 'import_page');
    const page7 = pages.find((p) => p.batch?.index === 7);
    // One expectation, so a failure shows the whole picture.
    expect({
      state: task.state,
      pages: pages.length,
      complete: pages.filter((p) => p.state === 'complete').length,
      page7: { attempts: page7?.attempts, results: page7?.results, lastError: page7?.lastError?.error_type },
      // Page 7's first attempt imported rows 70-74 before it failed; its retry imported only 75-79.
      summary: task.steps.find((s) => s.name === 'summarize')?.results,
      peakWithinCap: runtime.metrics().stepHandler.peakConcurrency <= CAP,
    }).toEqual({
      state: 'complete',
      pages: 500,
      complete: 500,
      page7: { attempts: 2, results: { page: 7, resumed_at: 75, imported: 5 }, lastError: undefined },
      summary: { pages: 500, imported: 4995, resumed: 1 },
      peakWithinCap: true,
    });
  }, 90_000);

  it('with nothing to import skips the worker; summarize runs with the plan only', async () => {
    const task = await run('batch_import', { rows: 0, page_size: 10 });
    expect(task.state).toBe('complete');
    expect(states(task)).toEqual({ plan_import: 'complete', import_page: 'skipped', summarize: 'complete' });
    expect(task.steps.find((s) => s.name === 'summarize')?.results).toEqual({ pages: 0, imported: 0, resumed: 0 });
  });
});

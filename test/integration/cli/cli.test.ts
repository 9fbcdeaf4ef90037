import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT, runTasker, startTaskerDev, type TaskerRun } from '../../helpers/run-tasker.js';

/**
 * The real `tasker` bin, spawned as a user runs it (`node lib/cli/tasker.mjs …` from the
 * project root), on the embedded default: PGlite and in-process queues (DATABASE_URL, AWS and
 * TASKER_* variables are removed from its environment).
 */

const ORDER_CONTEXT = JSON.stringify({
  order: {
    order_id: 'ord-1',
    customer: { email: 'ada@example.com' },
    items: [{ sku: 'BOOK-1', quantity: 2, price: 12.5 }],
  },
});
const ORDER_ARGS = [
  '--templates',
  'examples/order-workflow/templates',
  '--handlers',
  'examples/order-workflow/handlers.ts',
];
const tmp = mkdtempSync(join(tmpdir(), 'tasker-cli-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Result = TaskerRun;

/**
 * A spawned CLI gets a generous bound, not a speed test: on a loaded machine PGlite's start and a
 * whole run take many times longer than alone. The bound only keeps a hung process from hanging the suite.
 */
const SPAWN_BOUND_MS = 120_000;
/** The tests that spawn the CLI: its bound, and room to collect what it printed. */
const SPAWNED = { timeout: SPAWN_BOUND_MS + 30_000 };

/** Runs the CLI to its end (killed after `timeoutMs`) in a clean environment; `nodeArgs` go before the bin. */
function tasker(
  args: string[],
  timeoutMs = SPAWN_BOUND_MS,
  options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<Result> {
  return runTasker(args, options.env, timeoutMs, {
    baseEnv: cleanEnv(),
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
  });
}

describe.concurrent('tasker run', SPAWNED, () => {
  it('--json on the order example: exit 0 and one JSON document with the task, its steps and the domain event', async () => {
    const r = await tasker(['run', 'ecommerce/order_fulfillment', ...ORDER_ARGS, '--context', ORDER_CONTEXT, '--json']);
    console.info(`tasker run --json (cold, PGlite included): ${r.ms} ms`);
    expect(r.stderr).not.toContain('still holds the event loop');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.task).toMatchObject({
      namespace: 'ecommerce',
      name: 'order_fulfillment',
      version: '1.0.0',
      state: 'complete',
    });
    expect(report.task.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      report.steps.map((s: { name: string; state: string; attempts: number }) => [s.name, s.state, s.attempts]),
    ).toEqual([
      ['validate_order', 'complete', 1],
      ['reserve_inventory', 'complete', 1],
      ['charge_payment', 'complete', 2],
      ['ship_order', 'complete', 1],
      ['send_confirmation', 'complete', 1],
    ]);
    const charge = report.steps[2];
    expect(charge.result).toMatchObject({ payment_id: 'pay-ord-1', attempts: 2 });
    expect(charge.error).toBeNull();
    expect(charge.retries).toHaveLength(1);
    expect(charge.retries[0]).toMatchObject({
      attempt: 1,
      error_type: 'handler_error',
      message: 'payment gateway unavailable (attempt 1)',
    });
    expect(charge.retries[0].retry_in_ms === null || charge.retries[0].retry_in_ms >= 0).toBe(true);
    expect(report.domain_events).toEqual([
      {
        name: 'ecommerce.order_shipped',
        step: 'ship_order',
        outcome: 'success',
        event_id: expect.any(String),
        payload: expect.objectContaining({ tracking_number: 'TRK-POSTNL-ord-1' }),
      },
    ]);
  });

  it('a failing task exits 1 and its step error carries error_type (declined card)', async () => {
    const context = JSON.stringify({ order: { ...JSON.parse(ORDER_CONTEXT).order, payment_token: 'tok_declined' } });
    const r = await tasker(['run', 'ecommerce/order_fulfillment', ...ORDER_ARGS, '--context', context, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.task.state).toBe('error');
    expect(report.steps[2]).toMatchObject({
      name: 'charge_payment',
      state: 'error',
      error: { error_type: 'handler_error', code: 'card_declined' },
    });
    expect(report.domain_events.map((e: { name: string; outcome: string }) => [e.name, e.outcome])).toEqual([
      ['ecommerce.payment_failed', 'permanent_failure'],
    ]);
  });

  it('not on a TTY: plain progress lines, then the summary; --data-dir keeps the task for `task show`', async () => {
    const dataDir = join(tmp, 'data');
    const r = await tasker([
      'run',
      'ecommerce/order_fulfillment',
      ...ORDER_ARGS,
      '--context',
      ORDER_CONTEXT,
      '--data-dir',
      dataDir,
    ]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    for (const line of [
      'step validate_order started attempt 1',
      'step charge_payment started attempt 1',
      'step charge_payment started attempt 2',
      'event ecommerce.order_shipped from ship_order (success)',
    ]) {
      expect(lines).toContain(line);
    }
    expect(
      lines.some((l) =>
        /^step charge_payment retrying( after \d+ ms)? \(handler_error: payment gateway unavailable \(attempt 1\)\)$/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(lines.some((l) => /^step send_confirmation complete \(attempt 1, \d+ ms\)$/.test(l))).toBe(true);
    expect(r.stdout).not.toMatch(/\u001b\[/);
    const uuid = /^task ([0-9a-f-]{36}) complete$/m.exec(r.stdout)?.[1];
    expect(uuid).toBeDefined();
    expect(r.stdout).toMatch(/charge_payment\s+complete\s+2\/3/);
    expect(r.stdout).toContain('Domain events (1):');

    const show = await tasker(['task', 'show', uuid!, '--data-dir', dataDir]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`Task ${uuid} ecommerce/order_fulfillment@1.0.0: complete`);
    expect(show.stdout).toMatch(/3\s+✔ ship_order\s+complete\s+1\/3\s+← reserve_inventory, charge_payment/);
    expect(show.stdout).toContain('step charge_payment: enqueued_as_error_for_orchestration → waiting_for_retry');

    const mermaid = await tasker(['task', 'show', uuid!, '--data-dir', dataDir, '--mermaid']);
    expect(mermaid.stdout.startsWith('flowchart TD')).toBe(true);
    expect(mermaid.stdout).toContain('s1 --> s3');
    expect(mermaid.stdout).toContain('s2 --> s3');
  });

  it('a bad context: exit 2 before anything starts, every input_schema problem printed', async () => {
    const r = await tasker([
      'run',
      'ecommerce/order_fulfillment',
      ...ORDER_ARGS,
      '--context',
      '{"order":{"order_id":"","customer":{"email":"nope"},"items":[]}}',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the context does not match the input_schema of ecommerce/order_fulfillment@1.0.0');
    expect(r.stderr).toContain('/order/order_id must NOT have fewer than 1 characters');
    expect(r.stderr).toContain('/order/customer/email must match format "email"');
    expect(r.stderr).toContain('/order/items must NOT have fewer than 1 items');
  });

  it('usage errors exit 2 with a readable message: invalid JSON, unknown template, missing handlers module, missing option', async () => {
    const [json, unknown, handlers, option] = await Promise.all([
      tasker(['run', 'ecommerce/order_fulfillment', ...ORDER_ARGS, '--context', '{oops']),
      tasker(['run', 'ecommerce/nope', ...ORDER_ARGS]),
      tasker([
        'run',
        'ecommerce/order_fulfillment',
        '--templates',
        'examples/order-workflow/templates',
        '--handlers',
        'no/such/module.ts',
        '--context',
        ORDER_CONTEXT,
      ]),
      tasker(['run', 'ecommerce/order_fulfillment', '--handlers', 'examples/order-workflow/handlers.ts']),
    ]);
    expect([json.code, unknown.code, handlers.code, option.code]).toEqual([2, 2, 2, 2]);
    expect(json.stderr).toContain('--context is not valid JSON');
    expect(unknown.stderr).toContain('unknown template ecommerce/nope');
    expect(unknown.stderr).toContain('ecommerce/order_fulfillment@1.0.0');
    expect(handlers.stderr).toContain('handlers module not found');
    expect(option.stderr).toContain("required option '--templates <dir>' not specified");
  });
});

describe('tasker --help and --version', SPAWNED, () => {
  it('--help loads commander and the option definitions only: no PGlite, log-update, embedded runtime, AWS SDK, pg or pino', async () => {
    const log = join(tmp, 'help-imports.log');
    const r = await tasker(['--help'], SPAWN_BOUND_MS, {
      nodeArgs: ['--import', join(ROOT, 'test/integration/cli/record-imports.mjs')],
      env: { TASKER_IMPORT_LOG: log },
    });
    console.info(`tasker --help (spawned, tsx included): ${r.ms} ms`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: tasker [options] [command]');
    const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    expect(loaded.some((url) => url.endsWith('lib/cli/main.ts'))).toBe(true);
    const heavy = loaded.filter((url) =>
      /@electric-sql\/pglite|log-update|@aws-sdk|\/node_modules\/pg\/|\/node_modules\/pino\/|lib\/local\/embedded-runtime|lib\/lambda\/|lib\/adapters\//.test(
        url,
      ),
    );
    expect(heavy).toEqual([]);
  });

  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await tasker(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe.concurrent('tasker templates validate', SPAWNED, () => {
  it('exit 1 on the invalid fixtures, every problem with its file and path', async () => {
    const r = await tasker(['templates', 'validate', 'test/fixtures/templates/invalid']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\d+ problems in test\/fixtures\/templates\/invalid:/);
    expect(r.stderr).toContain(
      'test/fixtures/templates/invalid/cycle.yaml: steps[0].dependencies[0]: dependency cycle',
    );
    expect(r.stderr).toContain('test/fixtures/templates/invalid/bad-version.yaml: version:');
    expect(r.stderr).toContain('test/fixtures/templates/invalid/unknown-dependency.yaml: steps[');
    for (const file of [
      'empty.yaml',
      'yaml-syntax.yaml',
      'self-dependency.yaml',
      'duplicate-key/second.yaml',
      'many-problems.yaml',
    ])
      expect(r.stderr).toContain(`invalid/${file}`);
  });

  it('exit 0 on the examples, listing every template', async () => {
    const r = await tasker(['templates', 'validate', 'examples']);
    expect(r.code).toBe(0);
    for (const key of [
      'ecommerce/order_fulfillment@1.0.0',
      'patterns/linear_workflow@1.0.0',
      'patterns/diamond_workflow@1.0.0',
      'patterns/tree_workflow@1.0.0',
      'patterns/mixed_dag_workflow@1.0.0',
      'approvals/purchase_approval@1.0.0',
    ]) {
      expect(r.stdout).toContain(key);
    }
  });
});

describe.concurrent('tasker task show and migrate', SPAWNED, () => {
  it('task show without a database says how to name one (exit 2); a bad uuid is refused', async () => {
    const [none, bad] = await Promise.all([
      tasker(['task', 'show', '00000000-0000-4000-8000-000000000000']),
      tasker(['task', 'show', 'nope', '--data-dir', tmp]),
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      'tasker task show needs a database: --database-url <url>, DATABASE_URL, or --data-dir <dir>',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'nope' is not a task uuid");
  });

  it('migrate applies the migrations to a new PGlite directory', async () => {
    const first = await tasker(['migrate', '--data-dir', join(tmp, 'migrated')]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied \d+ migration\(s\):\n {2}000001_schema\.sql/);
  });
});

describe('one --data-dir, two processes', SPAWNED, () => {
  it('tasker run is refused while tasker dev holds the data directory, naming the holder; after dev stops it runs', async () => {
    const dataDir = join(tmp, 'shared');
    const args = [
      '--templates',
      'test/fixtures/cli-run/templates',
      '--handlers',
      'test/fixtures/cli-run/handlers.ts',
      '--data-dir',
      dataDir,
    ];
    const dev = await startTaskerDev(args, { startBoundMs: SPAWN_BOUND_MS });
    try {
      const refused = await tasker(['run', 'diag/ok', ...args, '--json']);
      expect(refused.code).toBe(2);
      const { error } = JSON.parse(refused.stdout);
      expect(error.code).toBe('data_dir_locked');
      expect(error.message).toContain(
        `the data directory ${dataDir} is in use by process ${dev.child.pid} (tasker.mjs dev`,
      );
      expect(await dev.stop()).toBe(0);
      expect((await tasker(['run', 'diag/ok', ...args, '--quiet'])).code).toBe(0);
    } finally {
      dev.dispose();
    }
  });
});

/** `tasker dev` on the examples until it prints its address and token. */
const startDev = (extra: string[]) =>
  startTaskerDev(
    [
      '--templates',
      'examples',
      '--handlers',
      'examples/order-workflow/handlers.ts',
      '--handlers',
      'examples/patterns/handlers.ts',
      ...extra,
    ],
    { startBoundMs: SPAWN_BOUND_MS },
  );

describe('tasker dev', SPAWNED, () => {
  it('accepts a task over HTTP, serves its state, and stops cleanly on SIGTERM', async () => {
    const dev = await startDev([]);
    const { output } = dev;
    const auth = { authorization: `Bearer ${dev.token}` };
    const post = (body: string) =>
      fetch(`${dev.url}/tasks`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
    const get = (path: string) => fetch(`${dev.url}${path}`, { headers: auth });
    try {
      expect(dev.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(output.stderr).not.toContain('WARNING');
      const created = await post(
        JSON.stringify({ namespace: 'patterns', name: 'diamond_workflow', context: { even_number: 4 } }),
      );
      expect(created.status).toBe(201);
      const { task_uuid } = (await created.json()) as { task_uuid: string };
      await expect
        .poll(
          async () => ((await (await get(`/tasks/${task_uuid}`)).json()) as { task: { state: string } }).task.state,
          { timeout: SPAWN_BOUND_MS, interval: 100 },
        )
        .toBe('complete');
      const shown = (await (await get(`/tasks/${task_uuid}`)).json()) as {
        steps: Array<{ name: string; result: unknown }>;
        transitions: unknown[];
      };
      expect(shown.steps.find((s) => s.name === 'diamond_end')?.result).toEqual({
        value: 65_536,
        from: ['diamond_branch_b', 'diamond_branch_c'],
      });
      expect(shown.transitions.length).toBeGreaterThan(10);
      const refused = await post(
        JSON.stringify({ namespace: 'patterns', name: 'diamond_workflow', context: { even_number: 3 } }),
      );
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        error: 'invalid_context',
        problems: ['/even_number must be multiple of 2'],
      });
      expect((await get('/tasks/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await post('{nope')).status).toBe(400);
      expect(
        (
          await fetch(`${dev.url}/tasks`, {
            method: 'POST',
            body: JSON.stringify({ namespace: 'patterns', name: 'diamond_workflow', context: { even_number: 4 } }),
          })
        ).status,
      ).toBe(401);
      expect(output.stdout).toContain(`[${task_uuid.slice(0, 8)}] task ${task_uuid} complete`);
      expect(await dev.stop()).toBe(0);
      expect(output.stdout).toContain('stopped');
      expect(output.stderr).not.toContain('WARNING'); // all of stderr, read after the process closed it
    } finally {
      dev.dispose();
    }
  });

  it('bound beyond loopback: warns on stderr, writes the token to the data directory (0600) and removes it at stop', async () => {
    const dataDir = join(tmp, 'dev-data');
    const dev = await startDev(['--host', '0.0.0.0', '--data-dir', dataDir]);
    try {
      // stdout and stderr are two pipes with no order between them: the token line on stdout (what startDev waits
      // for) can arrive before the warning written after it on stderr.
      await expect
        .poll(() => dev.output.stderr, { timeout: SPAWN_BOUND_MS, interval: 50 })
        .toContain('WARNING: tasker dev is listening on 0.0.0.0');
      const tokenFile = join(dataDir, 'tasker-dev-token');
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      const fromFile = readFileSync(tokenFile, 'utf8').trim();
      expect(fromFile).toBe(dev.token);
      expect((await fetch(`${dev.url}/health`, { headers: { authorization: `Bearer ${fromFile}` } })).status).toBe(200);
      expect(await dev.stop()).toBe(0);
      expect(existsSync(tokenFile)).toBe(false);
    } finally {
      dev.dispose();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeFailure } from '../../../lib/cli/cli-failure.js';
import { runCli } from '../../../lib/cli/main.js';
import { DRAIN_TIMEOUT_HELP } from '../../../lib/cli/worker-options.js';
import { DEFAULT_DRAIN_TIMEOUT_MS } from '../../../lib/container/pull-worker-process.js';
import { DataDirLockedError } from '../../../lib/local/errors.js';
import { capturedIo, ROOT } from './captured-io.js';

/** `tasker`'s usage: --version, its help, and one style for every error (a `tasker:` line and a hint, or a --json document). */

const tmp = mkdtempSync(join(tmpdir(), 'tasker-usage-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function tasker(args: string[], env: Record<string, string | undefined> = {}) {
  const io = capturedIo(false, env);
  const code = await runCli(['node', 'tasker', ...args], io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

const RUN = [
  'run',
  'ecommerce/order_fulfillment',
  '--templates',
  'examples/order-workflow/templates',
  '--handlers',
  'examples/order-workflow/handlers.ts',
];
const ORDER = JSON.stringify({
  order: {
    order_id: 'ord-1',
    customer: { email: 'ada@example.com' },
    items: [{ sku: 'BOOK-1', quantity: 2, price: 12.5 }],
  },
});

describe('tasker --version and --help', () => {
  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V'])
      expect(await tasker([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('the help of run shows --handlers as required without a default, and states the default step timeout', async () => {
    const help = await tasker(['run', '--help']);
    expect(help.code).toBe(0);
    const handlers = help.stdout.slice(help.stdout.indexOf('--handlers <module>'), help.stdout.indexOf('--data-dir'));
    expect(handlers).toContain('(repeatable)');
    expect(handlers).not.toContain('(default:');
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      "--step-timeout <seconds> the most one attempt of a step without timeout_seconds may run (default: 10, or --timeout / (2 x the step's max_attempts) when that is less",
    );
    expect((await tasker(['worker', '--help'])).stdout).not.toContain('default: []');
  });

  it("the worker's --drain-timeout help states the pull worker's default", () => {
    expect(DRAIN_TIMEOUT_HELP).toContain(`(default: ${DEFAULT_DRAIN_TIMEOUT_MS})`);
  });
});

describe('one error style', () => {
  it("commander's own errors are `tasker: …` lines with a hint, exit 2 (no `error:` prefix, no help dump)", async () => {
    expect(await tasker(['--bogus'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "tasker: unknown option '--bogus'\n  hint: tasker --help for usage\n",
    });
    expect(await tasker(['run', 'ecommerce/order_fulfillment', '--templates', 'examples'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "tasker: required option '--handlers <module>' not specified\n  hint: tasker run --help for usage\n",
    });
    const shown = await tasker(['task', 'show']);
    expect(shown.stderr).toBe("tasker: missing required argument 'uuid'\n  hint: tasker task show --help for usage\n");
  });

  it('with --json every failure is one JSON error document on stdout with a stable code, and nothing on stderr', async () => {
    const unknownOption = await tasker([...RUN, '--bogus', '--json']);
    expect(unknownOption.code).toBe(2);
    expect(JSON.parse(unknownOption.stdout)).toEqual({
      error: { code: 'unknown_option', message: "unknown option '--bogus'", hint: 'tasker run --help for usage' },
    });
    expect(unknownOption.stderr).toBe('');
    const badContext = await tasker([...RUN, '--context', '{oops', '--json']);
    expect(JSON.parse(badContext.stdout).error).toMatchObject({
      code: 'invalid_context',
      message: expect.stringContaining('--context is not valid JSON'),
    });
    const unknownTemplate = await tasker([
      'run',
      'ecommerce/nope',
      '--templates',
      'examples',
      '--handlers',
      'examples/order-workflow/handlers.ts',
      '--json',
    ]);
    expect(JSON.parse(unknownTemplate.stdout).error).toMatchObject({
      code: 'unknown_template',
      problems: expect.arrayContaining(['ecommerce/order_fulfillment@1.0.0']),
    });
    const invalid = await tasker(['templates', 'validate', 'test/fixtures/cli-run/broken-dir', '--json']);
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.stdout)).toMatchObject({
      ok: false,
      templates: ['diag/ok@1.0.0'],
      error: { code: 'invalid_templates', message: '1 problem in test/fixtures/cli-run/broken-dir' },
    });
    const noDatabase = await tasker(['task', 'show', '00000000-0000-4000-8000-000000000000', '--json']);
    expect(JSON.parse(noDatabase.stdout).error.code).toBe('no_database');
  });

  it('no stack trace unless --debug', async () => {
    const module = join(tmp, 'throws-on-import.mjs');
    writeFileSync(module, "throw new Error('the module is broken');\n");
    const plain = await tasker([...RUN, '--context', ORDER, '--handlers', module]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toBe(`tasker: cannot load handlers module ${module}: the module is broken\n`);
    const debug = await tasker([...RUN, '--context', ORDER, '--handlers', module, '--debug']);
    expect(debug.stderr).toContain(`tasker: cannot load handlers module ${module}: the module is broken\n`);
    expect(debug.stderr).toMatch(/caused by: Error: the module is broken\n\s+at .*throws-on-import\.mjs:1/);
  });
});

describe('database and port errors: typed, one line, a hint', () => {
  it('an unreachable server', async () => {
    const r = await tasker(['migrate', '--database-url', 'postgres://postgres:secret@127.0.0.1:1/tasker']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'tasker: cannot connect to the database server at 127.0.0.1:1 (ECONNREFUSED)\n  hint: check --database-url / DATABASE_URL (is PostgreSQL running there?), or leave both unset to use the embedded PGlite\n',
    });
    const json = await tasker([
      'task',
      'show',
      '00000000-0000-4000-8000-000000000000',
      '--database-url',
      'postgres://127.0.0.1:1/x',
      '--json',
    ]);
    expect(JSON.parse(json.stdout).error.code).toBe('database_unreachable');
  });

  it.runIf(process.env.DATABASE_URL)('a database that does not exist (tasker migrate)', async () => {
    const url = new URL(process.env.DATABASE_URL as string);
    const name = `tasker_missing_${randomBytes(4).toString('hex')}`;
    url.pathname = `/${name}`;
    const r = await tasker(['migrate', '--database-url', url.toString()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `tasker: database "${name}" does not exist on ${url.hostname}:${url.port || '5432'}\n  hint: create it first (createdb ${name}), or check --database-url / DATABASE_URL (is PostgreSQL running there?), or leave both unset to use the embedded PGlite\n`,
    );
  });

  it('a port in use, a data directory in use, an unexpected error', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:3710'), {
      code: 'EADDRINUSE',
      syscall: 'listen',
      address: '127.0.0.1',
      port: 3710,
    });
    expect(describeFailure(inUse)).toEqual({
      code: 'port_in_use',
      message: 'port 3710 on 127.0.0.1 is already in use',
      problems: [],
      hint: '--port 0 picks a free port; or stop what listens there',
      exitCode: 2,
    });
    const locked = new DataDirLockedError('/data', '/data/tasker.lock', {
      pid: 4242,
      command: 'tasker.mjs dev',
      since: '2030-01-01T00:00:00.000Z',
    });
    expect(describeFailure(locked)).toMatchObject({
      code: 'data_dir_locked',
      message: 'the data directory /data is in use by process 4242 (tasker.mjs dev, since 2030-01-01T00:00:00.000Z)',
      hint: expect.stringContaining('stop process 4242 first'),
    });
    expect(describeFailure(new TypeError('x is not a function'))).toMatchObject({
      code: 'internal',
      message: 'x is not a function',
      exitCode: 2,
    });
  });
});

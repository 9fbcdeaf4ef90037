import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLocalstack } from '../../helpers/localstack.js';
import { ROOT, runTasker } from '../../helpers/run-tasker.js';

/**
 * The local pull mode as the README documents it, on LocalStack: `tasker local-aws create --namespace pyw` makes the
 * queues and bus and prints the environment; `tasker dev --transport aws --pull pyw` runs the engine and every step
 * but pyw's; an outside worker (here `tasker worker`, standing in for any language) serves pyw. The task completes,
 * and its pyw step was answered by the outside worker, not by the engine (which has no handler for it).
 */

const BIN = resolve(ROOT, 'lib/cli/tasker.mjs');
const children: ChildProcess[] = [];

function start(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

async function until<T>(
  find: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

await describeLocalstack('tasker dev --pull: a namespace served by an outside worker', () => {
  const prefix = `pull-${randomUUID().slice(0, 6)}`;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const created = await runTasker(['local-aws', 'create', '--json', '--prefix', prefix, '--namespace', 'pyw']);
    expect(created.code, created.stderr).toBe(0);
    const base = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('TASKER_') && k !== 'DATABASE_URL'),
    );
    env = { ...base, ...(JSON.parse(created.stdout) as Record<string, string>) };
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await runTasker(['local-aws', 'delete', '--prefix', prefix, '--namespace', 'pyw']);
  });

  it('local-aws create prints every variable a worker needs, AWS_DEFAULT_REGION included', () => {
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([
        'TASKER_DISPATCH_QUEUE_URL',
        'TASKER_NAMESPACE_QUEUE_URLS',
        'TASKER_COMPLETION_QUEUE_URL',
        'TASKER_POISON_QUEUE_URL',
        'TASKER_DOMAIN_EVENT_DLQ_URL',
        'TASKER_EVENT_BUS_NAME',
        'AWS_REGION',
        'AWS_DEFAULT_REGION',
      ]),
    );
    expect(JSON.parse(env.TASKER_NAMESPACE_QUEUE_URLS as string)).toEqual({
      pyw: expect.stringContaining(`${prefix}-dispatch-pyw`),
    });
  });

  it('the task completes; its pyw step is answered by the outside worker', { timeout: 150_000 }, async () => {
    const dev = start(
      [
        'dev',
        '--transport',
        'aws',
        '--pull',
        'pyw',
        '--templates',
        'examples/python-worker/templates',
        '--handlers',
        'examples/python-worker/handlers.ts',
        '--port',
        '0',
        '--sweep-interval',
        '1',
      ],
      env,
    );
    start(['worker', '--namespace', 'pyw', '--handlers', 'test/fixtures/pull-mode/pyw-handlers.ts'], env);
    const banner = await until(
      () => /listening on (\S+)\ntoken: (\S+)/.exec(dev.output()) ?? undefined,
      90_000,
      `tasker dev to listen: ${dev.output()}`,
    );
    expect(dev.output()).toContain('namespace pyw: left to pull workers on');
    expect(dev.output()).not.toContain('handler_not_found');
    const [, url, token] = banner as unknown as [string, string, string];
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${url}/tasks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ namespace: 'greeting', name: 'greet_person', context: { name: ' Ada ' } }),
    });
    expect(created.status, await created.clone().text()).toBeLessThan(300);
    const { task_uuid } = (await created.json()) as { task_uuid: string };
    const task = await until(
      async () => {
        const view = (await (await fetch(`${url}/tasks/${task_uuid}`, { headers })).json()) as {
          state?: string;
          task?: { state: string };
          steps: { name: string; state: string; result: unknown }[];
        };
        const state = view.state ?? view.task?.state;
        return state === 'complete' || state === 'error' || state === 'blocked_by_failures'
          ? { ...view, state }
          : undefined;
      },
      60_000,
      'the task to finish',
    );
    expect(task.state, JSON.stringify(task)).toBe('complete');
    expect(task.steps.find((s) => s.name === 'greet')?.result).toEqual({
      greeting: 'Hello, Ada!',
      by: 'outside worker',
    });
  });

  it('--pull on the in-process queues is refused with the way out (exit 2)', { timeout: 120_000 }, async () => {
    const run = await runTasker(
      [
        'dev',
        '--transport',
        'memory',
        '--pull',
        'pyw',
        '--templates',
        'examples/python-worker/templates',
        '--handlers',
        'examples/python-worker/handlers.ts',
        '--port',
        '0',
      ],
      { DATABASE_URL: '' },
    );
    expect(run.stderr).toContain('use --transport aws');
    expect(run.code).toBe(2);
  });
});

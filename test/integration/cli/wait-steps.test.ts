import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * Wait steps through the real `tasker` bin on the embedded default (PGlite, in-process queues):
 * `tasker run` shows the step waiting and how to signal it, and the printed command completes it;
 * `tasker dev`'s API takes signals (refusing a bad payload and a second signal).
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'lib/cli/tasker.mjs');
const EXAMPLE = ['--templates', 'examples/approval/templates', '--handlers', 'examples/approval/handlers.ts'];
const CONTEXT = JSON.stringify({ item: 'standing desk', amount: 1200 });
/** A generous bound for a spawned CLI on a loaded machine; it only keeps a hung process from hanging the suite. */
const BOUND_MS = 120_000;
const SPAWNED = { timeout: BOUND_MS + 30_000 };

function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(env))
    if (key === 'DATABASE_URL' || key.startsWith('AWS_') || key.startsWith('TASKER_')) delete env[key];
  return { ...env, ...extra };
}

interface Spawned {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<number | null>;
}

const running: Spawned[] = [];
afterEach(() => {
  for (const s of running.splice(0)) s.child.kill('SIGKILL');
});

function start(args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: 'pipe' });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  const spawned = { child, output, exited };
  running.push(spawned);
  return spawned;
}

async function tasker(args: string[], env: NodeJS.ProcessEnv = {}) {
  const s = start(args, env);
  return { code: await s.exited, ...s.output };
}

/** The first match of `pattern` in the process's stdout, once it is printed. */
async function printed(s: Spawned, pattern: RegExp): Promise<RegExpExecArray> {
  await expect.poll(() => pattern.exec(s.output.stdout), { timeout: BOUND_MS, interval: 100 }).not.toBeNull();
  return pattern.exec(s.output.stdout)!;
}

describe('tasker run on a template with a wait step', SPAWNED, () => {
  it('shows the step waiting with the command that signals it; that command completes the run', async () => {
    const run = start(['run', 'approvals/purchase_approval', ...EXAMPLE, '--context', CONTEXT, '--no-progress']);
    const hint = await printed(
      run,
      /waiting for a signal: TASKER_DEV_TOKEN=(\S+) tasker step signal (\S+) manager_approval --api-url (\S+) --payload/,
    );
    const [, token, taskUuid, url] = hint;
    expect(run.output.stdout).toMatch(/step manager_approval waiting for a signal until \d{4}-\d\d-\d\dT/);
    expect(run.output.stdout).not.toMatch(/step place_order started/);

    const refused = await tasker(
      ['step', 'signal', taskUuid!, 'manager_approval', '--api-url', url!, '--payload', '{"approved": "yes"}'],
      { TASKER_DEV_TOKEN: token! },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('does not match the signal_schema');
    expect(refused.stderr).toContain('/approved must be boolean');

    const signalled = await tasker(
      [
        'step',
        'signal',
        taskUuid!,
        'manager_approval',
        '--api-url',
        url!,
        '--payload',
        '{"approved":true,"approver":"grace"}',
      ],
      { TASKER_DEV_TOKEN: token! },
    );
    expect(signalled).toMatchObject({ code: 0 });
    expect(signalled.stdout).toContain(`signalled manager_approval of task ${taskUuid}: step complete`);
    expect(await run.exited).toBe(0);
    expect(run.output.stdout).toMatch(/step manager_approval complete/);
    expect(run.output.stdout).toMatch(/step place_order complete/);
  });
});

describe("tasker dev's signal route", SPAWNED, () => {
  it('completes a waiting step with the payload; refuses a bad payload, a second signal and an unknown step', async () => {
    const dev = start(['dev', '--port', '0', ...EXAMPLE]);
    const url = (await printed(dev, /listening on (http:\/\/[\d.]+:\d+)/))[1]!;
    const token = (await printed(dev, /^token: (\S+)/m))[1]!;
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };
    const created = await call('POST', '/tasks', {
      namespace: 'approvals',
      name: 'purchase_approval',
      context: JSON.parse(CONTEXT),
    });
    expect(created.status).toBe(201);
    const taskUuid = created.body.task_uuid as string;
    const signal = (payload: unknown, step = 'manager_approval') =>
      call('POST', `/tasks/${taskUuid}/steps/${step}/signal`, { payload });

    await printed(dev, /manager_approval waiting for a signal until/);
    expect(dev.output.stdout).toContain(`signal it: TASKER_DEV_TOKEN=${token} tasker step signal ${taskUuid}`);
    const bad = await signal({ approved: true });
    expect(bad).toMatchObject({ status: 422, body: { error: 'invalid_payload' } });
    expect(bad.body.problems).toEqual(["(root) must have required property 'approver'"]);
    expect(await signal({}, 'nope')).toMatchObject({ status: 404, body: { error: 'unknown_step' } });
    expect(await call('POST', `/tasks/${taskUuid}/steps/manager_approval/signal`, { approved: true })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });

    expect(await signal({ approved: true, approver: 'grace' })).toMatchObject({
      status: 200,
      body: { step_name: 'manager_approval', step_state: 'complete' },
    });
    // The signal, served by tasker dev's API, reaches its live progress (the runtime's own signalStep).
    await printed(dev, /step manager_approval complete/);
    expect(await signal({ approved: false, approver: 'linus' })).toMatchObject({
      status: 409,
      body: { error: 'duplicate' },
    });
    await expect
      .poll(async () => (await call('GET', `/tasks/${taskUuid}`)).body.task?.state, { timeout: BOUND_MS })
      .toBe('complete');
    const report = (await call('GET', `/tasks/${taskUuid}`)).body;
    const steps = report.steps as Array<Record<string, any>>;
    expect(steps.find((s) => s.name === 'manager_approval')?.result).toEqual({ approved: true, approver: 'grace' });
    expect(steps.find((s) => s.name === 'place_order')?.result).toMatchObject({ approved_by: 'grace' });
    // The API's task detail carries the audit, where the signal's walk is recorded.
    expect(JSON.stringify(report.transitions)).toContain('signal');
    dev.child.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
  });
});

describe('a wait left waiting in a --data-dir', SPAWNED, () => {
  it('task show draws it waiting; tasker step signal --data-dir applies the signal once, straight in the database', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tasker-wait-'));
    try {
      const dir = ['--data-dir', dataDir];
      const run = await tasker([
        'run',
        'approvals/purchase_approval',
        ...EXAMPLE,
        '--context',
        CONTEXT,
        ...dir,
        '--timeout',
        '5',
        '--json',
      ]);
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout);
      expect(report.error.code).toBe('timed_out');
      const taskUuid = report.task.uuid as string;
      expect(run.stderr).toContain(`tasker step signal ${taskUuid} manager_approval --api-url`);

      const shown = await tasker(['task', 'show', taskUuid, ...dir]);
      expect(shown.stdout).toMatch(
        /⧗ manager_approval\s+waiting\s+1\/1\s+← quote_purchase\s+waiting for a signal until 20/,
      );
      const mermaid = await tasker(['task', 'show', taskUuid, ...dir, '--mermaid']);
      expect(mermaid.stdout).toContain('manager_approval ⧗ wait<br/>waiting · 1/1"]:::waiting');

      const payload = ['--payload', '{"approved":true,"approver":"grace"}'];
      const signalled = await tasker(['step', 'signal', taskUuid, 'manager_approval', ...dir, ...payload]);
      expect(signalled.code).toBe(0);
      expect(signalled.stdout).toContain('step complete, task steps_in_process');
      const again = await tasker(['step', 'signal', taskUuid, 'manager_approval', ...dir, ...payload]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already signalled');

      const after = JSON.parse((await tasker(['task', 'show', taskUuid, ...dir, '--json'])).stdout);
      const states = Object.fromEntries(after.steps.map((s: { name: string; state: string }) => [s.name, s.state]));
      expect(states).toEqual({ quote_purchase: 'complete', manager_approval: 'complete', place_order: 'enqueued' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../lib/cli/main.js';
import { capturedIo } from '../../unit/cli/captured-io.js';

/**
 * What `tasker run` reports when things go wrong, in this process (PGlite in memory, in-process
 * queues): a handler's stack, a dropped domain event, a hung step within --timeout, a broken
 * template beside the one to run, a refusal under --json, a port in use.
 */

const FIXTURE = [
  '--templates',
  'test/fixtures/cli-run/templates',
  '--handlers',
  'test/fixtures/cli-run/handlers.ts',
  '--transport',
  'memory',
];
const tmp = mkdtempSync(join(tmpdir(), 'tasker-outcomes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function tasker(args: string[]) {
  const io = capturedIo();
  const code = await runCli(['node', 'tasker', ...args], io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

describe.concurrent('tasker run: failures, told', { timeout: 150_000 }, () => {
  it("a handler's thrown error carries its first stack frames in --json and in the summary", async () => {
    const json = await tasker(['run', 'diag/throws', ...FIXTURE, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    const [explode] = report.steps;
    expect(explode.error).toMatchObject({ error_type: 'handler_error', message: 'boom from the handler' });
    expect(explode.error.stack).toMatch(
      /^Error: boom from the handler\n\s+at explode \(.*test\/fixtures\/cli-run\/handlers\.ts:\d+:\d+\)/,
    );
    expect(explode.retries[0].stack).toMatch(/^Error: boom from the handler\n\s+at explode /);
    expect(report.error).toEqual({ code: 'task_failed', message: `task ${report.task.uuid} ended error` });

    const summary = await tasker(['run', 'diag/throws', ...FIXTURE]);
    expect(summary.stdout).toMatch(
      /✖ handler_error: boom from the handler\n\s+at explode \(test\/fixtures\/cli-run\/handlers\.ts:\d+:\d+\)/,
    );
  });

  it('a domain event whose payload fails its schema is shown as dropped, with the reason', async () => {
    const summary = await tasker(['run', 'diag/bad_event', ...FIXTURE]);
    expect(summary.code).toBe(0);
    expect(summary.stdout).toContain('Domain events (0)');
    expect(summary.stdout).toContain(
      'Dropped domain events (1), not published:\n  diag.emitted from emit: schema_mismatch: payload of diag.emitted does not match its declared schema: /count must be integer',
    );
    const json = JSON.parse((await tasker(['run', 'diag/bad_event', ...FIXTURE, '--json'])).stdout);
    expect(json.dropped_domain_events).toEqual([
      {
        name: 'diag.emitted',
        step: 'emit',
        code: 'schema_mismatch',
        reason: expect.stringContaining('/count must be integer'),
        event_id: expect.any(String),
      },
    ]);
  });

  it('a hung step without timeout_seconds: every attempt fits in --timeout, and the failed run has an end and a duration', async () => {
    const r = await tasker(['run', 'diag/hang', ...FIXTURE, '--timeout', '24', '--json']);
    expect(r.stderr).not.toContain('did not reach a final state');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.task.state).toBe('error');
    expect(report.steps[0]).toMatchObject({
      state: 'error',
      attempts: 3,
      max_attempts: 3,
      error: { error_type: 'handler_timeout', code: 'step_timeout' },
    });
    // --timeout 24 and three attempts: 24 / (2 x 3) = 4 s each (a local Lambda alone would give ~28 s).
    expect(report.steps[0].error.message).toContain('within 4000 ms');
    expect(report.task.finished_at).not.toBeNull();
    expect(report.task.duration_ms).toBe(Date.parse(report.task.finished_at) - Date.parse(report.task.created_at));
    expect(report.error.code).toBe('task_failed');
  });

  it('a run that outlasts --timeout says so in the tasker style, and its report has error timed_out and no end', async () => {
    const r = await tasker(['run', 'diag/hang', ...FIXTURE, '--timeout', '1', '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(['steps_in_process', 'waiting_for_retry']).toContain(report.task.state);
    expect(report.task).toMatchObject({ finished_at: null, duration_ms: null });
    expect(report.error).toEqual({
      code: 'timed_out',
      message: `task ${report.task.uuid} did not reach a final state within 1 s (state: ${report.task.state})`,
    });
    expect(r.stderr).toBe(`tasker: ${report.error.message}\n  hint: --timeout <seconds> waits longer\n`);
  });

  it('a broken template beside the one to run is a warning; running the broken one fails with its problems', async () => {
    const dir = [
      '--templates',
      'test/fixtures/cli-run/broken-dir',
      '--handlers',
      'test/fixtures/cli-run/handlers.ts',
      '--transport',
      'memory',
    ];
    const ok = await tasker(['run', 'diag/ok', ...dir, '--quiet']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(
      'warning: 1 template file in test/fixtures/cli-run/broken-dir cannot be used (the other templates can):',
    );
    expect(ok.stderr).toContain(
      'test/fixtures/cli-run/broken-dir/broken.yaml: steps[0].dependencies[0]: step "first" depends on unknown step "nowhere" (line 8)',
    );
    const broken = await tasker(['run', 'diag/broken', ...dir]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toBe(
      'tasker: the template diag/broken has problems:\n  - test/fixtures/cli-run/broken-dir/broken.yaml: steps[0].dependencies[0]: step "first" depends on unknown step "nowhere" (line 8)\n  hint: tasker templates validate <dir> lists every problem with its file and line\n',
    );
  });

  it('a task the engine refuses prints a JSON error document under --json', async () => {
    const big = join(tmp, 'big.json');
    writeFileSync(big, JSON.stringify({ blob: 'x'.repeat(70_000) }));
    const r = await tasker(['run', 'diag/ok', ...FIXTURE, '--context', `@${big}`, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'context_too_large',
        message: expect.stringMatching(
          /^the task was refused \(context_too_large\): the task context is \d+ bytes; the limit is 65536/,
        ),
      },
    });
  });
});

describe('tasker dev on a port in use', { timeout: 150_000 }, () => {
  it('says so in one line with a hint (exit 2), no stack', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const r = await tasker(['dev', ...FIXTURE, '--port', String(port)]);
      expect(r).toEqual({
        code: 2,
        stdout: '',
        stderr: `tasker: port ${port} on 127.0.0.1 is already in use\n  hint: --port 0 picks a free port; or stop what listens there\n`,
      });
    } finally {
      server.close();
    }
  });
});

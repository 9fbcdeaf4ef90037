import { expect, it } from 'vitest';
import { describeLocalstack } from '../../helpers/localstack.js';
import { runTasker } from '../../helpers/run-tasker.js';

/**
 * `tasker worker-conformance` on LocalStack, as CI runs it: the TypeScript pull worker (`tasker worker` with the
 * conformance handler set) passes every scenario; deliberately broken workers fail the scenario that catches them,
 * and the kit exits 1.
 */

const TS_WORKER = [
  'node',
  'lib/cli/tasker.mjs',
  'worker',
  '--namespace',
  'conformance',
  '--handlers',
  'examples/conformance/handlers.ts',
];
const BROKEN = ['node', 'test/fixtures/conformance/broken-worker.mjs', 'conformance'];
const lines = (stdout: string, verdict: 'PASS' | 'FAIL') =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith(`${verdict} `))
    .map((l) => l.slice(5).replace(/ \(\d+ ms\)$/, ''));

await describeLocalstack('tasker worker-conformance', () => {
  it.concurrent('the TypeScript pull worker passes every scenario (one PASS line each, exit 0)', {
    timeout: 180_000,
  }, async () => {
    const run = await runTasker(['worker-conformance', '--namespace', 'conformance', '--', ...TS_WORKER]);
    expect(lines(run.stdout, 'FAIL'), run.stdout + run.stderr).toEqual([]);
    expect(lines(run.stdout, 'PASS')).toHaveLength(14);
    expect(run.stdout).toContain('14 passed, 0 failed');
    expect(run.code).toBe(0);
  });

  it.concurrent('a worker that deletes before sending its result fails "result sent before delete" (exit 1)', {
    timeout: 180_000,
  }, async () => {
    const run = await runTasker(
      ['worker-conformance', '--namespace', 'conformance', '--scenario', 'result sent before delete', '--', ...BROKEN],
      { BROKEN_MODE: 'delete-first' },
    );
    expect(lines(run.stdout, 'FAIL')).toEqual([expect.stringMatching(/^result sent before delete/)]);
    expect(run.stdout).toContain('the dispatch message was deleted although its result could not be sent');
    expect(run.code).toBe(1);
  });

  it.concurrent('a worker that never heartbeats fails the heartbeat scenario (exit 1)', {
    timeout: 180_000,
  }, async () => {
    const run = await runTasker(
      ['worker-conformance', '--namespace', 'conformance', '--scenario', 'heartbeat', '--', ...BROKEN],
      {
        BROKEN_MODE: 'no-heartbeat',
      },
    );
    expect(lines(run.stdout, 'PASS')).toContain(
      'result sent before delete (completion queue unavailable: message kept, no event, answered once it is back)',
    );
    expect(lines(run.stdout, 'FAIL')).toEqual([expect.stringMatching(/^heartbeat past the visibility timeout/)]);
    expect(run.stdout).toContain('the message became visible again while its handler ran');
    expect(run.code).toBe(1);
  });

  it('refuses to run without AWS_ENDPOINT_URL (it creates queues, never in a real account by accident)', async () => {
    const run = await runTasker(['worker-conformance', '--namespace', 'conformance', '--', 'true'], {
      AWS_ENDPOINT_URL: '',
      AWS_ENDPOINT_URL_SQS: '',
    });
    expect(run.stderr).toContain('AWS_ENDPOINT_URL is not set');
    expect(run.code).toBe(2);
  });

  it('reports a worker command that cannot start as failures, not a pass', { timeout: 120_000 }, async () => {
    const run = await runTasker([
      'worker-conformance',
      '--namespace',
      'conformance',
      '--scenario',
      'unknown callable',
      '--',
      'definitely-not-a-command-xyz',
    ]);
    expect(lines(run.stdout, 'FAIL').length).toBeGreaterThan(0);
    expect(run.code).toBe(1);
  });
});

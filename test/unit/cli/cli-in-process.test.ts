import { describe, expect, it } from 'vitest';
import { dagLevels, renderDagText, renderMermaid, type DagNode } from '../../../lib/cli/dag-picture.js';
import { runCli } from '../../../lib/cli/main.js';
import { parseTaskRef } from '../../../lib/cli/task-ref.js';
import { capturedIo as io } from './captured-io.js';

/** The CLI in this process with captured streams: the live view on a (fake) terminal, and cancellation. */

const ORDER = JSON.stringify({
  order: {
    order_id: 'ord-1',
    customer: { email: 'ada@example.com' },
    items: [{ sku: 'BOOK-1', quantity: 2, price: 12.5 }],
  },
});

const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

describe('tasker run in process', { timeout: 120_000 }, () => {
  it('on a terminal: a live view with a progress bar and the DAG, redrawn until every step is done', async () => {
    const cli = io(true);
    const code = await runCli(
      [
        'node',
        'tasker',
        'run',
        'ecommerce/order_fulfillment',
        '--templates',
        'examples/order-workflow/templates',
        '--handlers',
        'examples/order-workflow/handlers.ts',
        '--context',
        ORDER,
        '--transport',
        'memory',
      ],
      cli,
    );
    expect(code).toBe(0);
    const frames = cli.stdout.text.split('\u001b[?2026h').map(stripAnsi);
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.some((f) => f.includes('0/5 steps'))).toBe(true);
    const last = frames.find((f) => f.includes('5/5 steps') && f.includes('task ') && f.includes(' complete'));
    expect(last).toBeDefined();
    expect(last).toMatch(/✔ charge_payment\s+complete\s+2\/3\s+← validate_order/);
    expect(last).toContain('⚡ ecommerce.order_shipped from ship_order (success)');
    expect(stripAnsi(cli.stdout.text)).toContain('Domain events (1):');
  });

  it('stops the runtime when the signal aborts (Ctrl-C) and exits 130 without waiting for the timeout', async () => {
    const cli = io(false);
    const controller = new AbortController();
    // --timeout far beyond the test's own bound: only the abort can end the run in time (a timeout would exit 1).
    const run = runCli(
      [
        'node',
        'tasker',
        'run',
        'ecommerce/order_fulfillment',
        '--templates',
        'examples/order-workflow/templates',
        '--handlers',
        'examples/order-workflow/handlers.ts',
        '--context',
        ORDER,
        '--transport',
        'memory',
        '--timeout',
        '3600',
      ],
      cli,
      controller.signal,
    );
    await expect.poll(() => cli.stdout.text, { timeout: 60_000, interval: 20 }).toContain('started attempt 1');
    controller.abort();
    const code = await run;
    expect(code).toBe(130);
    expect(cli.stderr.text).toContain('tasker: interrupted; the task was left unfinished');
  });
});

describe('CLI pieces', () => {
  const node = (name: string, dependencies: string[], status: DagNode['status'] = 'complete'): DagNode => ({
    name,
    dependencies,
    status,
    attempts: 1,
    maxAttempts: 3,
  });
  const diamond = [node('a', []), node('b', ['a']), node('c', ['a'], 'failed'), node('d', ['b', 'c'], 'pending')];

  it('lays the DAG out by longest path', () => {
    expect(dagLevels(diamond)).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(dagLevels([node('x', []), node('y', ['x']), node('z', ['x', 'y'])])).toEqual([['x'], ['y'], ['z']]);
  });

  it('draws each level with the fan-in arrows', () => {
    const lines = renderDagText(diamond);
    expect(lines[0]).toMatch(/^ {2}1 {2}✔ a\s+complete\s+1\/3$/);
    expect(lines[2]).toMatch(/^ {5}✖ c\s+failed\s+1\/3\s+← a$/);
    expect(lines[3]).toMatch(/^ {2}3 {2}· d\s+pending\s+1\/3\s+← b, c$/);
  });

  it('writes a Mermaid flowchart with an edge per dependency and a class per status', () => {
    const chart = renderMermaid(diamond);
    expect(chart.split('\n').filter((l) => l.includes('-->'))).toEqual([
      '  s0 --> s1',
      '  s0 --> s2',
      '  s1 --> s3',
      '  s2 --> s3',
    ]);
    expect(chart).toContain('s2["c<br/>failed · 1/3"]:::failed');
  });

  it('parses task references', () => {
    expect(parseTaskRef('ecommerce/order_fulfillment@1.0.0')).toEqual({
      namespace: 'ecommerce',
      name: 'order_fulfillment',
      version: '1.0.0',
    });
    expect(parseTaskRef('a/b')).toEqual({ namespace: 'a', name: 'b', version: undefined });
    expect(() => parseTaskRef('a')).toThrow(/not a task reference/);
  });
});

import { describe, expect, it } from 'vitest';
import { fanOutScaling, type FanOutRun } from '../../bench/fan-out-scaling.js';

const run = (width: number, engineCpuMs: number, databaseCpuMs: number | null): FanOutRun => ({
  width,
  run: { steps: width + 2, engineCpuMs, databaseCpuMs },
});

describe('fanOutScaling', () => {
  it('reports PostgreSQL CPU per step of each width and the widest ÷ the narrowest', () => {
    const figures = fanOutScaling('server', [run(5000, 5002, 50020), run(250, 252, 504)]);
    expect(figures.map((f) => [f.measure, f.value])).toEqual([
      ['fan-out 1→5000→1: PostgreSQL CPU per step', 10],
      ['fan-out 1→250→1: PostgreSQL CPU per step', 2],
      ['fan-out PostgreSQL CPU per step: N=5000 ÷ N=250', 5],
    ]);
    expect(figures[2]).toMatchObject({ section: 'cpu', where: 'server', unit: '×' });
    expect(figures[2]!.note).toMatch(/2 → 10 ms per step; 1.0 = flat, 20 = grows linearly with N/);
  });

  it('compares the process CPU when PostgreSQL runs inside the process (PGlite)', () => {
    const figures = fanOutScaling('embedded', [run(250, 504, null), run(1000, 3006, null)]);
    expect(figures).toHaveLength(1);
    expect(figures[0]).toMatchObject({ measure: 'fan-out process CPU per step: N=1000 ÷ N=250', value: 1.5 });
  });

  it('gives no ratio for one width, and nothing per step for a run that completed no step', () => {
    expect(fanOutScaling('server', [run(500, 502, 1004)]).map((f) => f.measure)).toEqual([
      'fan-out 1→500→1: PostgreSQL CPU per step',
    ]);
    const none = { width: 5000, run: { steps: 0, engineCpuMs: 10, databaseCpuMs: 10 } };
    expect(fanOutScaling('server', [run(250, 252, 504), none]).map((f) => f.measure)).toEqual([
      'fan-out 1→250→1: PostgreSQL CPU per step',
    ]);
  });
});

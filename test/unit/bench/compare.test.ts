import { describe, expect, it } from 'vitest';
import { comparisons, TASKER_CORE_LINEAR_P50_MS } from '../../bench/compare.js';

const byMeasure = (figures: ReturnType<typeof comparisons>, start: string) =>
  figures.find((f) => f.measure.startsWith(start));

describe('comparisons', () => {
  it("divides our chain p50 by graphile-worker's and holds it to at most 1", () => {
    const figures = comparisons({ 'peer.tasker.chain.p50': 30, 'peer.chain.p50': 10 }, 8);
    const chain = byMeasure(figures, 'chain p50');
    expect(chain?.value).toBe(3);
    expect(chain?.goal).toEqual({ op: '<=', value: 1 });
  });

  it('derives the commit-rate ceiling from pgbench at the same concurrency and our commits per step', () => {
    const metrics = {
      'server.pgbench.1-row insert commits, 8 clients': 5000,
      'server.one-step.commits_per_step': 5,
      'server.one-step.steps_per_s': 250,
    };
    const figures = comparisons(metrics, 8);
    expect(byMeasure(figures, 'steps/s the commit rate allows')?.value).toBe(1000);
    expect(byMeasure(figures, 'one-step steps/s as a share')?.value).toBe(0.25);
    expect(comparisons(metrics, 4).some((f) => f.section === 'ceiling')).toBe(false);
  });

  it('leaves out comparisons whose measurements are missing or unusable', () => {
    expect(comparisons({}, 8)).toEqual([]);
    expect(
      comparisons({ 'peer.tasker.chain.p50': 30, 'peer.chain.p50': 0 }, 8).some((f) =>
        f.measure.startsWith('chain p50'),
      ),
    ).toBe(false);
    expect(
      comparisons({ 'peer.tasker.chain.p50': Number.NaN, 'server.linear.p50': Number.NaN, 'peer.chain.p50': 10 }, 8),
    ).toEqual([]);
  });

  it("relates tasker-core's published p50 to ours, preferring the embedded figure", () => {
    const figures = comparisons({ 'embedded.linear.p50': 25.7, 'server.linear.p50': 100 }, 8);
    const reference = figures.find((f) => f.section === 'vs tasker-core');
    expect(reference?.where).toBe('embedded');
    expect(reference?.value).toBeCloseTo(TASKER_CORE_LINEAR_P50_MS / 25.7);
  });
});

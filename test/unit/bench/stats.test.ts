import { describe, expect, it } from 'vitest';
import { quantile, round, summarize } from '../../bench/stats.js';

describe('quantile', () => {
  it('interpolates between the nearest ranks of the sorted sample', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50], 0.95)).toBeCloseTo(48);
    expect(quantile([7], 0.95)).toBe(7);
  });

  it('clamps q to 0..1 and is NaN for an empty sample', () => {
    expect(quantile([1, 2, 3], 2)).toBe(3);
    expect(quantile([1, 2, 3], -1)).toBe(1);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('summarize', () => {
  it('gives count, percentiles, mean and extremes without reordering the input', () => {
    const samples = [5, 1, 4, 2, 3];
    const s = summarize(samples);
    expect(s).toMatchObject({ n: 5, p50: 3, mean: 3, min: 1, max: 5 });
    expect(s.p95).toBeCloseTo(4.8);
    expect(samples).toEqual([5, 1, 4, 2, 3]);
  });

  it('is NaN throughout for no samples', () => {
    const s = summarize([]);
    expect(s.n).toBe(0);
    expect(s.mean).toBeNaN();
    expect(s.min).toBeNaN();
  });
});

describe('round', () => {
  it('rounds to the given decimals', () => {
    expect(round(3.14159, 2)).toBe(3.14);
    expect(round(2.5, 0)).toBe(3);
  });
});

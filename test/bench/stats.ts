/** Summary statistics of a sample of measurements (milliseconds, counts, ...). */
export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The q-quantile (0..1) of a sample, interpolating linearly between the two nearest ranks
 * (Hyndman & Fan type 7, what numpy and R use by default). NaN for an empty sample.
 */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export function summarize(samples: readonly number[]): Summary {
  const n = samples.length;
  const mean = n === 0 ? Number.NaN : samples.reduce((a, b) => a + b, 0) / n;
  return {
    n,
    p50: quantile(samples, 0.5),
    p95: quantile(samples, 0.95),
    p99: quantile(samples, 0.99),
    mean,
    min: n === 0 ? Number.NaN : Math.min(...samples),
    max: n === 0 ? Number.NaN : Math.max(...samples),
  };
}

/** Rounds to a number of significant decimals for the JSON file (keeps it readable). */
export function round(value: number, decimals = 2): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

export function roundSummary(s: Summary, decimals = 2): Summary {
  return {
    n: s.n,
    p50: round(s.p50, decimals),
    p95: round(s.p95, decimals),
    p99: round(s.p99, decimals),
    mean: round(s.mean, decimals),
    min: round(s.min, decimals),
    max: round(s.max, decimals),
  };
}

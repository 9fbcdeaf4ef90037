import type { Figure } from './report.js';

/** tasker-core's published figures (its own local cluster, Rust workers): 4-step linear p50 and per step. */
export const TASKER_CORE_LINEAR_P50_MS = 257;
export const TASKER_CORE_PER_STEP_MS = 64;

type Metrics = Readonly<Record<string, number>>;

function ratio(metrics: Metrics, numerator: string, denominator: string): number | null {
  const a = metrics[numerator];
  const b = metrics[denominator];
  return a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? null : a / b;
}

/** Figures that relate benchmarks to each other: us against graphile-worker, us against the commit ceiling, us against tasker-core. */
export function comparisons(measured: Metrics, concurrency: number): Figure[] {
  const figures: Figure[] = [];
  const metrics = withCeiling(measured, concurrency);
  const add = (figure: Figure | null) => figure && figures.push(figure);
  add(
    ratioFigure(
      metrics,
      'vs graphile-worker',
      'chain p50: tasker linear ÷ graphile 4-job chain',
      'peer.tasker.chain.p50',
      'peer.chain.p50',
      { op: '<=', value: 1 },
      'same server, same rounds; ≤ 1 means no slower',
    ),
  );
  add(
    ratioFigure(
      metrics,
      'vs graphile-worker',
      'chain p95: tasker linear ÷ graphile 4-job chain',
      'peer.tasker.chain.p95',
      'peer.chain.p95',
      undefined,
      'same server, same rounds',
    ),
  );
  add(
    ratioFigure(
      metrics,
      'vs graphile-worker',
      'throughput: tasker steps/s ÷ graphile jobs/s',
      'peer.tasker.steps_per_s',
      'peer.jobs_per_s',
      undefined,
      '> 1 means faster',
    ),
  );
  add(
    ratioFigure(
      metrics,
      'vs graphile-worker',
      'commits: tasker per step ÷ graphile per job',
      'peer.tasker.commits_per_step',
      'peer.commits_per_job',
      undefined,
      'pg_stat_database, whole runs',
    ),
  );
  add(ceilingFigure(metrics, concurrency));
  add(
    ratioFigure(
      metrics,
      'ceiling',
      'one-step steps/s as a share of that ceiling',
      'server.one-step.steps_per_s',
      'derived.ceiling_steps_per_s',
      undefined,
      '1.0 = commit-bound',
    ),
  );
  add(referenceFigure(metrics));
  return figures;
}

function ratioFigure(
  metrics: Metrics,
  section: string,
  measure: string,
  numerator: string,
  denominator: string,
  goal: Figure['goal'],
  note: string,
): Figure | null {
  const value = ratio(metrics, numerator, denominator);
  if (value === null) return null;
  return { section, measure, where: 'server', value, unit: '×', ...(goal ? { goal } : {}), note };
}

/** Adds `derived.ceiling_steps_per_s`: the steps per second the server's commit rate allows at this engine's commits per step. */
function withCeiling(metrics: Metrics, concurrency: number): Metrics {
  const value = ratio(
    metrics,
    `server.pgbench.1-row insert commits, ${concurrency} clients`,
    'server.one-step.commits_per_step',
  );
  return value === null ? metrics : { ...metrics, 'derived.ceiling_steps_per_s': value };
}

function ceilingFigure(metrics: Metrics, concurrency: number): Figure | null {
  const value = metrics['derived.ceiling_steps_per_s'];
  if (value === undefined) return null;
  return {
    section: 'ceiling',
    measure: 'steps/s the commit rate allows (insert tps ÷ commits per step)',
    where: 'server',
    value,
    unit: 'steps/s',
    note: `${concurrency} clients`,
  };
}

function referenceFigure(metrics: Metrics): Figure | null {
  const ours = metrics['embedded.linear.p50'] ?? metrics['server.linear.p50'];
  if (ours === undefined || !Number.isFinite(ours) || ours <= 0) return null;
  return {
    section: 'vs tasker-core',
    measure: `published 4-step linear p50 ${TASKER_CORE_LINEAR_P50_MS} ms (${TASKER_CORE_PER_STEP_MS} ms/step) ÷ ours`,
    where: metrics['embedded.linear.p50'] !== undefined ? 'embedded' : 'server',
    value: TASKER_CORE_LINEAR_P50_MS / ours,
    unit: '×',
    note: 'their cluster and method differ; see docs/benchmarks.md',
  };
}

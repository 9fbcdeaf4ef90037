import type { TaskTemplate } from '../../lib/domain/task-template.js';
import { emptyResult, whereOf, withDatabase, type BenchResult, type Setup, type Sizes } from './context.js';
import type { BenchEngine } from './engine.js';
import type { Figure } from './report.js';
import { round, roundSummary, summarize, type Summary } from './stats.js';
import { PATTERN_CONTEXT, patternTemplate } from './templates.js';
import { runSequential, withEngine } from './with-engine.js';

/** Sequential levels of each shape: linear a→b→c→d has 4, diamond a→(b,c)→d has 3. */
const DEPTH = { linear: 4, diamond: 3 } as const;
type Shape = keyof typeof DEPTH;

/** The target for the 4-step linear p50 on the embedded default (in-process queues). */
const LINEAR_P50_GOAL_MS = 25;

interface ShapeRun {
  readonly latency: Summary;
  readonly perLevelP50: number;
  readonly dbMsPerTask: number;
  readonly applyMsPerCall: number;
  readonly roundTripsPerTask: number;
  readonly workerMsPerTask: number;
  readonly byOperation: Record<string, { callsPerTask: number; msPerTask: number }>;
}

/**
 * Chained-step overhead: tasks run one at a time (no queueing behind other work), timed from the
 * call that creates the task to the moment its `task.completed` event is accepted by the bus.
 */
export async function chainLatency(setup: Setup, sizes: Sizes): Promise<BenchResult> {
  const result = emptyResult();
  const templates = { linear: await patternTemplate('linear'), diamond: await patternTemplate('diamond') };
  const iterations = setup.transport === 'localstack' ? sizes.localstackChainIterations : sizes.chainIterations;
  await withDatabase(setup, (db) =>
    withEngine(db, setup, Object.values(templates), sizes.chainMaxMs * 2 + 60_000, async (engine) => {
      for (const shape of ['linear', 'diamond'] as const) {
        const run = await measureShape(
          engine,
          templates[shape],
          shape,
          sizes.chainWarmup,
          iterations,
          sizes.chainMaxMs,
        );
        addShape(result, setup, shape, run, db.poolSize);
      }
    }),
  );
  return result;
}

async function measureShape(
  engine: BenchEngine,
  template: TaskTemplate,
  shape: Shape,
  warmup: number,
  iterations: number,
  maxMs: number,
): Promise<ShapeRun> {
  await runSequential(engine, template, PATTERN_CONTEXT, warmup, maxMs);
  engine.resetCounters();
  const workerBefore = engine.dispatchTally.busyMs;
  const samples = await runSequential(engine, template, PATTERN_CONTEXT, iterations, maxMs);
  const n = samples.length;
  const latency = summarize(samples);
  const byOperation = Object.fromEntries(
    [...engine.timing.byOperation].map(([op, t]) => [
      op,
      { callsPerTask: round(t.calls / n, 2), msPerTask: round(t.totalMs / n, 3) },
    ]),
  );
  return {
    latency,
    perLevelP50: latency.p50 / DEPTH[shape],
    dbMsPerTask: engine.timing.totalMs() / n,
    applyMsPerCall: meanMs(engine, 'apply_step_results'),
    roundTripsPerTask: engine.counter.roundTrips / n,
    workerMsPerTask: (engine.dispatchTally.busyMs - workerBefore) / n,
    byOperation,
  };
}

function addShape(result: BenchResult, setup: Setup, shape: Shape, run: ShapeRun, poolSize: number): void {
  const where = whereOf(setup);
  const goal =
    shape === 'linear' && setup.database === 'embedded' && setup.transport === 'memory'
      ? { op: '<=' as const, value: LINEAR_P50_GOAL_MS }
      : undefined;
  const section = 'chain latency';
  const n = `n=${run.latency.n}`;
  const figures: Figure[] = [
    {
      section,
      measure: `4-step ${shape} p50`,
      where,
      value: run.latency.p50,
      unit: 'ms',
      ...(goal ? { goal } : {}),
      note: `${n}, create → task.completed`,
    },
    { section, measure: `4-step ${shape} p95`, where, value: run.latency.p95, unit: 'ms', note: n },
    {
      section,
      measure: `${shape}: per sequential step (p50 ÷ ${DEPTH[shape]})`,
      where,
      value: run.perLevelP50,
      unit: 'ms',
    },
    {
      section,
      measure: `${shape}: apply_step_results, mean per call`,
      where,
      value: run.applyMsPerCall,
      unit: 'ms',
      note: `${round(run.roundTripsPerTask, 1)} round trips per task, pool ${poolSize}`,
    },
  ];
  result.figures.push(...figures);
  result.metrics[`${where}.${shape}.p50`] = run.latency.p50;
  result.metrics[`${where}.${shape}.p95`] = run.latency.p95;
  result.details[`${where}.${shape}`] = {
    latency_ms: roundSummary(run.latency, 2),
    per_sequential_step_p50_ms: round(run.perLevelP50, 2),
    // Round trips overlap (an outbox mark runs while the next step is received), so this sum can exceed the latency.
    db_round_trip_ms_per_task_summed: round(run.dbMsPerTask, 2),
    round_trips_per_task: round(run.roundTripsPerTask, 2),
    step_handler_use_case_ms_per_task: round(run.workerMsPerTask, 2),
    by_operation: run.byOperation,
  };
}

function meanMs(engine: BenchEngine, operation: string): number {
  const tally = engine.timing.byOperation.get(operation);
  return tally && tally.calls > 0 ? tally.totalMs / tally.calls : Number.NaN;
}

import { performance } from 'node:perf_hooks';
import type { TaskTemplate } from '../../lib/domain/task-template.js';
import { emptyResult, whereOf, withDatabase, type BenchResult, type Setup, type Sizes } from './context.js';
import type { BenchDatabase } from './databases.js';
import type { BenchEngine } from './engine.js';
import { backendCpuMs, processCpuMs } from './cpu.js';
import { fanOutScaling, type FanOutRun } from './fan-out-scaling.js';
import { difference, perUnit, settledCounters, type DatabaseCounters } from './pg-stats.js';
import { round, roundSummary, summarize, type Summary } from './stats.js';
import { fanOutTemplate, ONE_STEP } from './templates.js';
import { quiesce, withEngine } from './with-engine.js';

/** The target: one-step tasks on a local PostgreSQL server on two cores. */
const STEPS_PER_SECOND_GOAL = 1_000;

export interface LoadRun {
  readonly steps: number;
  readonly completedTasks: number;
  readonly requestedTasks: number;
  readonly elapsedMs: number;
  readonly createPhaseMs: number;
  readonly taskLatency: Summary;
  readonly roundTrips: number;
  readonly redelivered: number;
  readonly databaseWork: DatabaseCounters | null;
  /** CPU used by this process during the run (the engine; PGlite too when embedded). */
  readonly engineCpuMs: number;
  /** CPU used by the server backends of the engine's pool (null on PGlite or without /proc). */
  readonly databaseCpuMs: number | null;
}

/** Time a fan-out may take per step beyond `throughputMaxMs`: the wide ones (`--fanout 5000`) need more. */
export const FAN_OUT_MS_PER_STEP = 60;

/**
 * Throughput: (1) `oneStepTasks` one-step tasks created by `concurrency` concurrent callers while
 * the consumers drain them; (2) for each of `fanOutWidths`, one task fanning out to that many
 * parallel steps and back in, with their CPU per step compared when there are several.
 * Steps per second = completed steps ÷ (last task.completed − first create call).
 */
export async function throughput(setup: Setup, sizes: Sizes): Promise<BenchResult> {
  const result = emptyResult();
  const tasks = setup.transport === 'localstack' ? sizes.localstackOneStepTasks : sizes.oneStepTasks;
  const oneStep = await withDatabase(setup, (db) =>
    measured(db, setup, () => loadRun(db, setup, ONE_STEP, tasks, 1, sizes.throughputMaxMs)),
  );
  addRun(result, setup, 'one-step', `${tasks} one-step tasks`, oneStep);
  if (setup.transport === 'localstack') return result;
  const fanOuts: FanOutRun[] = [];
  for (const width of sizes.fanOutWidths) {
    const fanOut = fanOutTemplate(width);
    const maxMs = Math.max(sizes.throughputMaxMs, fanOut.steps.length * FAN_OUT_MS_PER_STEP);
    const run = await withDatabase(setup, (db) =>
      measured(db, setup, () => loadRun(db, setup, fanOut, 1, fanOut.steps.length, maxMs)),
    );
    addRun(result, setup, `fan-out-${width}`, `fan-out 1→${width}→1 (one task)`, run);
    fanOuts.push({ width, run });
  }
  result.figures.push(...fanOutScaling(whereOf(setup), fanOuts));
  return result;
}

/** On the server, what the database did during the run (every backend's commits and row writes). */
export async function measured(db: BenchDatabase, setup: Setup, run: () => Promise<LoadRun>): Promise<LoadRun> {
  if (setup.database !== 'server') return run();
  const before = await settledCounters(db.connectionString);
  const outcome = await run();
  return { ...outcome, databaseWork: difference(await settledCounters(db.connectionString), before) };
}

export async function loadRun(
  db: BenchDatabase,
  setup: Setup,
  template: TaskTemplate,
  tasks: number,
  stepsPerTask: number,
  maxMs: number,
): Promise<LoadRun> {
  return withEngine(db, setup, [template], maxMs + 30_000, async (engine) => {
    const deadline = performance.now() + maxMs;
    const cpuBefore = processCpuMs();
    const started = performance.now();
    const created = await createConcurrently(engine, template, tasks, setup.concurrency, deadline);
    const createPhaseMs = performance.now() - started;
    const outcomes = await Promise.allSettled(
      created.map((c) => engine.watch.completion(c.taskUuid, Math.max(1, deadline - performance.now()))),
    );
    const done = created.flatMap((c, i) =>
      outcomes[i]!.status === 'fulfilled' ? [{ ...c, at: (outcomes[i] as PromiseFulfilledResult<number>).value }] : [],
    );
    const elapsedMs = Math.max(...done.map((d) => d.at), started) - started;
    await quiesce(engine);
    const databaseCpuMs = db.kind === 'server' ? await backendCpuMs(db.connectionString) : null;
    return {
      engineCpuMs: processCpuMs() - cpuBefore,
      databaseCpuMs,
      steps: done.length * stepsPerTask,
      completedTasks: done.length,
      requestedTasks: tasks,
      elapsedMs,
      createPhaseMs,
      taskLatency: summarize(done.map((d) => d.at - d.startedAt)),
      roundTrips: engine.counter.roundTrips,
      redelivered: engine.dispatchTally.redelivered + engine.completionTally.redelivered,
      databaseWork: null,
    };
  });
}

interface Created {
  readonly taskUuid: string;
  readonly startedAt: number;
}

/** `concurrency` callers create tasks until `count` exist (or the deadline passes). */
async function createConcurrently(
  engine: BenchEngine,
  template: TaskTemplate,
  count: number,
  concurrency: number,
  deadline: number,
): Promise<Created[]> {
  const created: Created[] = [];
  let next = 0;
  const caller = async () => {
    while (next < count && performance.now() < deadline) {
      next += 1;
      const startedAt = performance.now();
      created.push({ taskUuid: await engine.createTask(template, {}), startedAt });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, caller));
  return created;
}

export function addRun(result: BenchResult, setup: Setup, key: string, label: string, run: LoadRun): void {
  const where = whereOf(setup);
  const stepsPerSecond = run.elapsedMs > 0 ? (run.steps / run.elapsedMs) * 1000 : Number.NaN;
  const goal =
    key === 'one-step' && setup.database === 'server' && setup.transport === 'memory'
      ? { goal: { op: '>=' as const, value: STEPS_PER_SECOND_GOAL } }
      : {};
  const incomplete =
    run.completedTasks < run.requestedTasks
      ? `ONLY ${run.completedTasks}/${run.requestedTasks} tasks finished in time; `
      : '';
  const note = `${incomplete}${run.steps} steps in ${round(run.elapsedMs / 1000, 2)} s; task p50 ${round(run.taskLatency.p50, 1)} ms`;
  result.figures.push({
    section: 'throughput',
    measure: `${label}: steps/s`,
    where,
    value: stepsPerSecond,
    unit: 'steps/s',
    ...goal,
    note,
  });
  result.figures.push({
    section: 'database work',
    measure: `${label}: round trips per step`,
    where,
    value: run.roundTrips / run.steps,
    unit: '',
    goal: { op: '<=', value: 6 },
    note: 'includes creating the task',
  });
  if (run.databaseWork) addDatabaseWork(result, where, key, label, run);
  addCpu(result, where, label, run);
  result.metrics[`${where}.${key}.steps_per_s`] = stepsPerSecond;
  result.details[`${where}.${key}`] = detailsOf(run, stepsPerSecond);
}

function addDatabaseWork(result: BenchResult, where: string, key: string, label: string, run: LoadRun): void {
  const per = perUnit(run.databaseWork!, run.steps);
  result.metrics[`${where}.${key}.commits_per_step`] = per.commits;
  result.figures.push({
    section: 'database work',
    measure: `${label}: commits per step`,
    where,
    value: per.commits,
    unit: '',
    note: `pg_stat_database; rows ins/upd/del per step ${per.inserted}/${per.updated}/${per.deleted}`,
  });
}

/** CPU per step, and the steps per second two cores could give at that cost if nothing else ran. */
function addCpu(result: BenchResult, where: string, label: string, run: LoadRun): void {
  const engine = run.engineCpuMs / run.steps;
  const database = run.databaseCpuMs === null ? null : run.databaseCpuMs / run.steps;
  const total = engine + (database ?? 0);
  const split =
    database === null
      ? 'engine process (PGlite inside it when embedded)'
      : `engine ${round(engine, 2)} + PostgreSQL ${round(database, 2)}`;
  result.figures.push({
    section: 'cpu',
    measure: `${label}: CPU per step`,
    where,
    value: total,
    unit: 'ms',
    note: `${split}; 2 cores → at most ${Math.round(2000 / total)} steps/s`,
  });
}

function detailsOf(run: LoadRun, stepsPerSecond: number): Record<string, unknown> {
  return {
    requested_tasks: run.requestedTasks,
    completed_tasks: run.completedTasks,
    steps: run.steps,
    elapsed_ms: round(run.elapsedMs, 1),
    create_phase_ms: round(run.createPhaseMs, 1),
    steps_per_second: round(stepsPerSecond, 1),
    task_latency_under_load_ms: roundSummary(run.taskLatency, 1),
    round_trips: run.roundTrips,
    round_trips_per_step: round(run.roundTrips / run.steps, 2),
    redelivered_records: run.redelivered,
    engine_cpu_ms: round(run.engineCpuMs, 1),
    database_cpu_ms: run.databaseCpuMs === null ? null : round(run.databaseCpuMs, 1),
    database_work: run.databaseWork,
    database_work_per_step: run.databaseWork ? perUnit(run.databaseWork, run.steps) : null,
  };
}

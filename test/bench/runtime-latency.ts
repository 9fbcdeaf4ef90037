import { performance } from 'node:perf_hooks';
import type { TaskTemplate } from '../../lib/domain/task-template.js';
import { emptyResult, whereOf, type BenchResult, type Setup, type Sizes } from './context.js';
import { scratchServerDatabase, type BenchDatabase } from './databases.js';
import { benchLogger } from './engine.js';
import { round, roundSummary, summarize, type Summary } from './stats.js';
import { BENCH_HANDLERS, ONE_STEP, PATTERN_CONTEXT, patternTemplate } from './templates.js';

type Runtime = Awaited<ReturnType<typeof import('../../lib/local/embedded-runtime.js')['startEmbeddedRuntime']>>;

/**
 * The same chains and one-step tasks through `startEmbeddedRuntime` (lib/local): what a user
 * runs locally. The real middy Lambda handlers, driven by the local SQS event-source runners with
 * the deployed settings (dispatch batch 1, reserved concurrency 10; completion batches of 10, 5
 * at a time), the in-process transport, and the runtime's progress observer (it reads the task
 * after each completion batch). Latency: create → `waitForTask` resolves.
 */
export async function runtimeLatency(setup: Setup, sizes: Sizes): Promise<BenchResult> {
  const result = emptyResult();
  let start: typeof import('../../lib/local/embedded-runtime.js')['startEmbeddedRuntime'];
  try {
    ({ startEmbeddedRuntime: start } = await import('../../lib/local/embedded-runtime.js'));
  } catch (error) {
    result.details.skipped = `lib/local/embedded-runtime.ts does not load: ${(error as Error).message}`;
    return result;
  }
  const templates = { linear: await patternTemplate('linear'), diamond: await patternTemplate('diamond') };
  const server: BenchDatabase | null =
    setup.database === 'server'
      ? await scratchServerDatabase(setup.serverUrl!, 'tasker_bench_rt', { migrate: false })
      : null;
  try {
    const runtime = await start({
      handlers: BENCH_HANDLERS,
      templates: [templates.linear, templates.diamond, ONE_STEP],
      databaseUrl: server?.connectionString ?? null,
      transport: 'memory',
      logger: benchLogger(),
      env: {},
    });
    try {
      for (const shape of ['linear', 'diamond'] as const)
        addChain(result, setup, shape, await chain(runtime, templates[shape], sizes));
      addThroughput(
        result,
        setup,
        await oneStepLoad(runtime, sizes.oneStepTasks, setup.concurrency, sizes.throughputMaxMs),
      );
      result.details.runtime_metrics = withoutLongLists(runtime.metrics());
    } finally {
      await runtime.stop();
    }
  } finally {
    await server?.close();
  }
  return result;
}

async function runOne(runtime: Runtime, template: TaskTemplate): Promise<number> {
  const started = performance.now();
  const created = await runtime.createTask({
    namespace: template.namespace,
    name: template.name,
    version: template.version,
    context: { ...PATTERN_CONTEXT },
    identity_strategy: 'always_unique',
  });
  if (!created.ok) throw new Error(`task not created: ${created.message}`);
  const task = await runtime.waitForTask(created.taskUuid, { timeoutMs: 15_000 });
  if (task.state !== 'complete') throw new Error(`task ${created.taskUuid} ended ${task.state}`);
  return performance.now() - started;
}

async function chain(runtime: Runtime, template: TaskTemplate, sizes: Sizes): Promise<Summary> {
  const until = performance.now() + sizes.chainMaxMs;
  for (let i = 0; i < sizes.chainWarmup; i++) await runOne(runtime, template);
  const samples: number[] = [];
  for (let i = 0; i < sizes.chainIterations && performance.now() < until; i++)
    samples.push(await runOne(runtime, template));
  return summarize(samples);
}

function addChain(result: BenchResult, setup: Setup, shape: 'linear' | 'diamond', latency: Summary): void {
  const where = whereOf(setup);
  const section = 'startEmbeddedRuntime';
  result.figures.push(
    {
      section,
      measure: `4-step ${shape} p50`,
      where,
      value: latency.p50,
      unit: 'ms',
      note: `n=${latency.n}, create → waitForTask`,
    },
    { section, measure: `4-step ${shape} p95`, where, value: latency.p95, unit: 'ms', note: `n=${latency.n}` },
  );
  result.metrics[`runtime.${where}.${shape}.p50`] = latency.p50;
  result.details[`${where}.${shape}`] = roundSummary(latency, 2);
}

interface Load {
  readonly tasks: number;
  readonly completed: number;
  readonly elapsedMs: number;
}

/** One-step tasks created by `concurrency` callers; completion seen through the runtime's `task_finished` progress events. */
async function oneStepLoad(runtime: Runtime, tasks: number, concurrency: number, maxMs: number): Promise<Load> {
  const finished = new Map<string, number>();
  const unsubscribe = runtime.onProgress((e) => {
    if (e.type === 'task_finished' && e.state === 'complete') finished.set(e.taskUuid, performance.now());
  });
  try {
    const started = performance.now();
    const deadline = started + maxMs;
    const uuids = await createConcurrently(runtime, tasks, concurrency, deadline);
    while (uuids.some((u) => !finished.has(u)) && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const ends = uuids.flatMap((u) => (finished.has(u) ? [finished.get(u)!] : []));
    return { tasks, completed: ends.length, elapsedMs: Math.max(started, ...ends) - started };
  } finally {
    unsubscribe();
  }
}

async function createConcurrently(
  runtime: Runtime,
  count: number,
  concurrency: number,
  deadline: number,
): Promise<string[]> {
  const uuids: string[] = [];
  let next = 0;
  const caller = async () => {
    while (next < count && performance.now() < deadline) {
      next += 1;
      const created = await runtime.createTask({
        namespace: ONE_STEP.namespace,
        name: ONE_STEP.name,
        version: ONE_STEP.version,
        context: {},
        identity_strategy: 'always_unique',
      });
      if (created.ok) uuids.push(created.taskUuid);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, caller));
  return uuids;
}

function addThroughput(result: BenchResult, setup: Setup, load: Load): void {
  const where = whereOf(setup);
  const perSecond = load.elapsedMs > 0 ? (load.completed / load.elapsedMs) * 1000 : Number.NaN;
  const incomplete = load.completed < load.tasks ? `ONLY ${load.completed}/${load.tasks} finished in time; ` : '';
  result.figures.push({
    section: 'startEmbeddedRuntime',
    measure: `${load.tasks} one-step tasks: steps/s`,
    where,
    value: perSecond,
    unit: 'steps/s',
    note: `${incomplete}${round(load.elapsedMs / 1000, 2)} s, deployed concurrency settings`,
  });
  result.metrics[`runtime.${where}.one-step.steps_per_s`] = perSecond;
  result.details[`${where}.one-step`] = { ...load, steps_per_second: round(perSecond, 1) };
}

/** The runners' metrics keep every batch size; the JSON file gets their count and mean instead. */
function withoutLongLists(metrics: unknown): unknown {
  return JSON.parse(
    JSON.stringify(metrics, (_key, value: unknown) =>
      Array.isArray(value) && value.length > 20 && value.every((v) => typeof v === 'number')
        ? { count: value.length, mean: round(value.reduce((a: number, b: number) => a + b, 0) / value.length, 2) }
        : value,
    ),
  );
}

import { performance } from 'node:perf_hooks';
import {
  Logger,
  makeWorkerUtils,
  run,
  runMigrations,
  type Job,
  type Runner,
  type TaskList,
  type WorkerUtils,
} from 'graphile-worker';
import { graphileProductionLogger } from './graphile-logger.js';
import { emptyResult, withDatabase, type BenchResult, type Setup, type Sizes } from './context.js';
import { scratchServerDatabase, type BenchDatabase } from './databases.js';
import { backendCpuMs, processCpuMs } from './cpu.js';
import { difference, perUnit, settledCounters, type DatabaseCounters } from './pg-stats.js';
import { round, roundSummary, summarize, type Summary } from './stats.js';
import { ONE_STEP, PATTERN_CONTEXT, patternTemplate } from './templates.js';
import { loadRun, measured, type LoadRun } from './throughput.js';
import { runSequential, withEngine } from './with-engine.js';

const CHAIN_LENGTH = 4;
/** Chains run per side before switching to the other, so both see the same machine (others share it). */
const BLOCK = 10;
/** Throughput runs alternate: tasker, graphile-worker, tasker, graphile-worker, each with half the jobs. */
const ROUNDS = 2;
/**
 * Before anything is measured each side runs WARMUP_ROUNDS times as many tasks (jobs) as the throughput rounds, and
 * WARMUP_CHAINS chains, so both are compared warm (V8's optimised code) whatever ran before in the process: alone,
 * `--only peer` measured our side cold, and in a full run graphile-worker's side colder than ours, which the sections
 * before had warmed. One round was not enough: V8 was still optimising the engine's functions in the second and third
 * rounds of 2,000 one-step tasks (300 and 104 optimisations by `--trace-opt`, against 586 in the first and 18 in the
 * fourth), and their compiling is CPU of this process, so the engine's node CPU per step went 0.98 → 0.76 → 0.56 →
 * 0.42 ms round by round. Each round still starts its own pool and database, so what a new connection costs (PL/pgSQL
 * compiling the engine's functions) stays in the figures.
 */
const WARMUP_ROUNDS = 4;
const WARMUP_CHAINS = 50;
const silent = new Logger(() => () => undefined);

/** Completion times of jobs, by a key the job's payload gives; waits are bounded. */
class Completions {
  private readonly at = new Map<string, number>();
  private readonly waiters = new Map<string, () => void>();
  failures = 0;

  note(key: string | null, error: unknown): void {
    if (error) this.failures += 1;
    if (key === null || error) return;
    this.at.set(key, performance.now());
    this.waiters.get(key)?.();
  }

  async wait(key: string, timeoutMs: number): Promise<number> {
    if (!this.at.has(key)) await this.until(key, timeoutMs);
    return this.at.get(key)!;
  }

  private until(key: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`graphile-worker job ${key} did not complete within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.set(key, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/**
 * The peer, side by side: graphile-worker 0.16 on the same PostgreSQL server (its own database),
 * with the engine's concurrency. Chains: ours (4-step linear task) and theirs (4 jobs, each job's
 * task adding the next: graphile-worker's way to chain), one at a time, interleaved in blocks of
 * ten so both meet the same background load; theirs is timed from adding the first job to the 4th
 * job's `job:complete` (emitted after its completion is committed). Throughput: one-step tasks and
 * no-op jobs added by `concurrency` concurrent callers, alternating rounds.
 */
export async function graphilePeer(setup: Setup, sizes: Sizes): Promise<BenchResult> {
  const result = emptyResult();
  await warmUp(setup, sizes);
  const chains = await interleavedChains(setup, sizes);
  const { ours, theirs } = await alternatingThroughput(setup, sizes);
  addChains(result, chains);
  addThroughput(result, ours, theirs, setup.concurrency);
  return result;
}

/** WARMUP_ROUNDS times as many one-step tasks and no-op jobs as the throughput rounds run, unmeasured, each round on its own database. */
async function warmUp(setup: Setup, sizes: Sizes): Promise<void> {
  for (let r = 0; r < WARMUP_ROUNDS; r++) {
    await withDatabase(setup, (db) => loadRun(db, setup, ONE_STEP, sizes.peerJobs, 1, sizes.throughputMaxMs));
    await onGraphileDatabase(setup, (db) => graphileJobs(db, setup.concurrency, sizes.peerJobs, sizes.throughputMaxMs));
  }
}

// ---- chains

async function interleavedChains(setup: Setup, sizes: Sizes): Promise<{ ours: Summary; theirs: Summary }> {
  const linear = await patternTemplate('linear');
  const samples = { ours: [] as number[], theirs: [] as number[] };
  await withDatabase(setup, (taskerDb) =>
    withEngine(taskerDb, setup, [linear], sizes.chainMaxMs * 2 + 60_000, (engine) =>
      onGraphileDatabase(setup, (graphileDb) =>
        withRunner(graphileDb, setup.concurrency, chainTasks(), new Completions(), async (utils, completions) => {
          const oursOnce = (count: number) => runSequential(engine, linear, PATTERN_CONTEXT, count, sizes.chainMaxMs);
          const theirsOnce = (count: number, from: number) => graphileChains(utils, completions, from, count);
          const warmup = Math.max(sizes.chainWarmup, WARMUP_CHAINS);
          await oursOnce(warmup);
          await theirsOnce(warmup, -warmup);
          await alternate(sizes, oursOnce, theirsOnce, samples);
        }),
      ),
    ),
  );
  return { ours: summarize(samples.ours), theirs: summarize(samples.theirs) };
}

async function alternate(
  sizes: Sizes,
  ours: (n: number) => Promise<number[]>,
  theirs: (n: number, from: number) => Promise<number[]>,
  samples: { ours: number[]; theirs: number[] },
): Promise<void> {
  const until = performance.now() + sizes.chainMaxMs * 2;
  while (samples.theirs.length < sizes.peerChainIterations && performance.now() < until) {
    const n = Math.min(BLOCK, sizes.peerChainIterations - samples.theirs.length);
    samples.ours.push(...(await ours(n)));
    samples.theirs.push(...(await theirs(n, samples.theirs.length)));
  }
}

function chainTasks(): TaskList {
  return {
    chain: async (payload, helpers) => {
      const { run: r, index } = payload as { run: number; index: number };
      if (index < CHAIN_LENGTH) await helpers.addJob('chain', { run: r, index: index + 1 });
    },
  };
}

async function graphileChains(
  utils: WorkerUtils,
  completions: Completions,
  from: number,
  count: number,
): Promise<number[]> {
  const samples: number[] = [];
  for (let r = from; r < from + count; r++) {
    const started = performance.now();
    await utils.addJob('chain', { run: r, index: 1 });
    samples.push((await completions.wait(`chain-${r}`, 15_000)) - started);
  }
  return samples;
}

function addChains(result: BenchResult, chains: { ours: Summary; theirs: Summary }): void {
  const section = 'vs graphile-worker';
  const n = `n=${chains.theirs.n} each, interleaved in blocks of ${BLOCK}`;
  result.figures.push(
    {
      section,
      measure: 'graphile-worker 4-job chain p50',
      where: 'server',
      value: chains.theirs.p50,
      unit: 'ms',
      note: `${n}; add first → 4th job:complete`,
    },
    { section, measure: 'graphile-worker 4-job chain p95', where: 'server', value: chains.theirs.p95, unit: 'ms' },
    {
      section,
      measure: 'tasker 4-step linear p50, same rounds',
      where: 'server',
      value: chains.ours.p50,
      unit: 'ms',
      note: 'create → task.completed',
    },
    { section, measure: 'tasker 4-step linear p95, same rounds', where: 'server', value: chains.ours.p95, unit: 'ms' },
  );
  Object.assign(result.metrics, {
    'peer.chain.p50': chains.theirs.p50,
    'peer.chain.p95': chains.theirs.p95,
    'peer.tasker.chain.p50': chains.ours.p50,
    'peer.tasker.chain.p95': chains.ours.p95,
  });
  result.details.chains_ms = { graphile_worker: roundSummary(chains.theirs, 2), tasker: roundSummary(chains.ours, 2) };
}

// ---- throughput

interface JobsRun {
  completed: number;
  elapsedMs: number;
  failures: number;
  work: DatabaseCounters;
  /** This process (graphile-worker runs in it) and the server backends of its pools. */
  processCpuMs: number;
  databaseCpuMs: number | null;
}

async function alternatingThroughput(setup: Setup, sizes: Sizes): Promise<{ ours: LoadRun[]; theirs: JobsRun[] }> {
  const half = Math.max(1, Math.floor(sizes.peerJobs / ROUNDS));
  const ours: LoadRun[] = [];
  const theirs: JobsRun[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(
      await withDatabase(setup, (db) =>
        measured(db, setup, () => loadRun(db, setup, ONE_STEP, half, 1, sizes.throughputMaxMs)),
      ),
    );
    theirs.push(
      await onGraphileDatabase(setup, (db) => graphileJobs(db, setup.concurrency, half, sizes.throughputMaxMs)),
    );
  }
  return { ours, theirs };
}

function addThroughput(result: BenchResult, ours: LoadRun[], theirs: JobsRun[], concurrency: number): void {
  const section = 'vs graphile-worker';
  const sum = <T>(runs: T[], f: (r: T) => number) => runs.reduce((a, r) => a + f(r), 0);
  const oursPerSecond = (sum(ours, (r) => r.steps) / sum(ours, (r) => r.elapsedMs)) * 1000;
  const theirsPerSecond = (sum(theirs, (r) => r.completed) / sum(theirs, (r) => r.elapsedMs)) * 1000;
  const jobs = sum(theirs, (r) => r.completed);
  const failures = sum(theirs, (r) => r.failures);
  const theirWork = perUnit(theirs.map((r) => r.work).reduce(addCounters), jobs);
  const ourWork = ours.every((r) => r.databaseWork)
    ? perUnit(
        ours.map((r) => r.databaseWork!).reduce(addCounters),
        sum(ours, (r) => r.steps),
      )
    : null;
  const rounds = `${ROUNDS} alternating rounds after a warm-up, concurrency ${concurrency}`;
  result.figures.push(
    {
      section,
      measure: `graphile-worker ${jobs} no-op jobs: jobs/s`,
      where: 'server',
      value: theirsPerSecond,
      unit: 'jobs/s',
      note: `${rounds}${failures ? `, ${failures} FAILED` : ''}`,
    },
    {
      section,
      measure: `tasker ${sum(ours, (r) => r.steps)} one-step tasks, same rounds: steps/s`,
      where: 'server',
      value: oursPerSecond,
      unit: 'steps/s',
      note: rounds,
    },
    {
      section,
      measure: 'graphile-worker: commits per job',
      where: 'server',
      value: theirWork.commits,
      unit: '',
      note: `pg_stat_database; rows ins/upd/del per job ${theirWork.inserted}/${theirWork.updated}/${theirWork.deleted}`,
    },
  );
  addCpu(result, ours, theirs);
  Object.assign(result.metrics, {
    'peer.jobs_per_s': theirsPerSecond,
    'peer.tasker.steps_per_s': oursPerSecond,
    'peer.commits_per_job': theirWork.commits,
  });
  if (ourWork) result.metrics['peer.tasker.commits_per_step'] = ourWork.commits;
  result.details.throughput = {
    rounds: ROUNDS,
    graphile_worker: { jobs, failures, jobs_per_second: round(theirsPerSecond, 1), per_job: theirWork },
    tasker: { steps_per_second: round(oursPerSecond, 1), per_step: ourWork },
  };
}

/** CPU per step and per job in the same rounds: this process plus the server backends, when /proc can be read. */
function addCpu(result: BenchResult, ours: LoadRun[], theirs: JobsRun[]): void {
  const sum = (values: Array<number | null>) =>
    values.some((v) => v === null) ? null : (values as number[]).reduce((a, b) => a + b, 0);
  const ourDb = sum(ours.map((r) => r.databaseCpuMs));
  const theirDb = sum(theirs.map((r) => r.databaseCpuMs));
  if (ourDb === null || theirDb === null) return;
  const steps = ours.reduce((a, r) => a + r.steps, 0);
  const jobs = theirs.reduce((a, r) => a + r.completed, 0);
  const ourNode = ours.reduce((a, r) => a + r.engineCpuMs, 0);
  const theirNode = theirs.reduce((a, r) => a + r.processCpuMs, 0);
  const section = 'vs graphile-worker';
  result.figures.push(
    {
      section,
      measure: 'graphile-worker: CPU per job',
      where: 'server',
      value: (theirNode + theirDb) / jobs,
      unit: 'ms',
      note: `node ${round(theirNode / jobs, 2)} + PostgreSQL ${round(theirDb / jobs, 2)}`,
    },
    {
      section,
      measure: 'tasker: CPU per step, same rounds',
      where: 'server',
      value: (ourNode + ourDb) / steps,
      unit: 'ms',
      note: `node ${round(ourNode / steps, 2)} + PostgreSQL ${round(ourDb / steps, 2)}`,
    },
  );
}

function addCounters(a: DatabaseCounters, b: DatabaseCounters): DatabaseCounters {
  return {
    commits: a.commits + b.commits,
    rollbacks: a.rollbacks + b.rollbacks,
    inserted: a.inserted + b.inserted,
    updated: a.updated + b.updated,
    deleted: a.deleted + b.deleted,
  };
}

async function graphileJobs(db: BenchDatabase, concurrency: number, jobs: number, maxMs: number): Promise<JobsRun> {
  const before = await settledCounters(db.connectionString);
  const completions = new Completions();
  const cpuBefore = processCpuMs();
  const timing = await withRunner(db, concurrency, { noop: async () => undefined }, completions, async (utils) => {
    const deadline = performance.now() + maxMs;
    const started = performance.now();
    await addConcurrently(utils, jobs, concurrency, deadline);
    const ends = await Promise.allSettled(
      Array.from({ length: jobs }, (_, n) => completions.wait(`noop-${n}`, Math.max(1, deadline - performance.now()))),
    );
    const done = ends.flatMap((e) => (e.status === 'fulfilled' ? [e.value] : []));
    const databaseCpuMs = await backendCpuMs(db.connectionString);
    return {
      completed: done.length,
      elapsedMs: Math.max(started, ...done) - started,
      databaseCpuMs,
      processCpuMs: processCpuMs() - cpuBefore,
    };
  });
  return {
    ...timing,
    failures: completions.failures,
    work: difference(await settledCounters(db.connectionString), before),
  };
}

async function addConcurrently(
  utils: WorkerUtils,
  count: number,
  concurrency: number,
  deadline: number,
): Promise<void> {
  let next = 0;
  const caller = async () => {
    while (next < count && performance.now() < deadline) {
      const n = next;
      next += 1;
      await utils.addJob('noop', { n });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, caller));
}

// ---- graphile-worker plumbing

async function onGraphileDatabase<T>(setup: Setup, body: (db: BenchDatabase) => Promise<T>): Promise<T> {
  const db = await scratchServerDatabase(setup.serverUrl!, 'tasker_peer', {
    migrate: false,
    poolSize: setup.concurrency,
  });
  try {
    await runMigrations({ connectionString: db.connectionString, logger: silent });
    return await body(db);
  } finally {
    await db.close();
  }
}

async function withRunner<T>(
  db: BenchDatabase,
  concurrency: number,
  taskList: TaskList,
  completions: Completions,
  body: (utils: WorkerUtils, completions: Completions) => Promise<T>,
): Promise<T> {
  // Our pool, not one graphile-worker makes: it is quiet (databases.ts) and ended before the scratch database is
  // dropped with FORCE, whose termination of a connection left idle in graphile-worker's own pool crashed the process
  // with an unhandled 'error' event (seen twice in about fifteen full runs).
  const pool = db.newPool(concurrency + 2);
  // Logs as graphile-worker writes them in production (a line per job), into /dev/null as the engine's are.
  const logger = graphileProductionLogger();
  try {
    const runner: Runner = await run({
      pgPool: pool,
      concurrency,
      noHandleSignals: true,
      pollInterval: 1_000,
      taskList,
      logger,
    });
    runner.events.on('job:complete', ({ job, error }: { job: Job; error: unknown }) =>
      completions.note(keyOf(job), error),
    );
    const utils = await makeWorkerUtils({ pgPool: pool, logger });
    try {
      return await body(utils, completions);
    } finally {
      await utils.release();
      await runner.stop();
    }
  } finally {
    await pool.end();
  }
}

function keyOf(job: Job): string | null {
  const payload = job.payload as { run?: number; index?: number; n?: number };
  if (job.task_identifier === 'chain') return payload.index === CHAIN_LENGTH ? `chain-${payload.run}` : null;
  return job.task_identifier === 'noop' ? `noop-${payload.n}` : null;
}

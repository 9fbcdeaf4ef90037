import { embeddedDatabase, scratchServerDatabase, type BenchDatabase, type DatabaseKind } from './databases.js';
import type { Figure } from './report.js';
import type { TransportKind } from './transport.js';

/** What a benchmark hands back: table rows, raw details for the JSON file, and named numbers others compare with. */
export interface BenchResult {
  readonly figures: Figure[];
  readonly details: Record<string, unknown>;
  readonly metrics: Record<string, number>;
}

export const emptyResult = (): BenchResult => ({ figures: [], details: {}, metrics: {} });

/** How much each benchmark does; `--quick` shrinks every one of them. */
export interface Sizes {
  readonly chainWarmup: number;
  readonly chainIterations: number;
  readonly chainMaxMs: number;
  readonly oneStepTasks: number;
  /** Widths of the 1→N→1 fan-out task, smallest first: one run each, compared side by side when several. */
  readonly fanOutWidths: readonly number[];
  /** Instances of the 1→N→1 batch task (`--only batch`), run beside the static fan-out of the first width. */
  readonly batchWidth: number;
  readonly throughputMaxMs: number;
  readonly dbWorkTasks: number;
  readonly pgbenchSeconds: number;
  readonly peerChainIterations: number;
  readonly peerJobs: number;
  readonly coldStartRuns: number;
  /** LocalStack's SQS is a Python process: fewer messages through it. */
  readonly localstackChainIterations: number;
  readonly localstackOneStepTasks: number;
  /** The SQL loop (`--only sqlloop`): one-step tasks per round (linear: a quarter as many), rounds per side. */
  readonly sqlLoopTasks: number;
  readonly sqlLoopRounds: number;
}

export const FULL_SIZES: Sizes = {
  chainWarmup: 10,
  chainIterations: 200,
  chainMaxMs: 40_000,
  oneStepTasks: 2_000,
  fanOutWidths: [500],
  batchWidth: 1_000,
  throughputMaxMs: 120_000,
  dbWorkTasks: 20,
  pgbenchSeconds: 6,
  peerChainIterations: 200,
  peerJobs: 2_000,
  coldStartRuns: 5,
  localstackChainIterations: 40,
  localstackOneStepTasks: 300,
  sqlLoopTasks: 400,
  sqlLoopRounds: 6,
};

export const QUICK_SIZES: Sizes = {
  chainWarmup: 3,
  chainIterations: 25,
  chainMaxMs: 8_000,
  oneStepTasks: 200,
  fanOutWidths: [100],
  batchWidth: 100,
  throughputMaxMs: 20_000,
  dbWorkTasks: 4,
  pgbenchSeconds: 2,
  peerChainIterations: 25,
  peerJobs: 200,
  coldStartRuns: 2,
  localstackChainIterations: 8,
  localstackOneStepTasks: 40,
  sqlLoopTasks: 40,
  sqlLoopRounds: 2,
};

/** Where a run goes: a database (fresh per benchmark) and the queues between the functions. */
export interface Setup {
  readonly database: DatabaseKind;
  readonly transport: TransportKind;
  /** Connections of the engine's pool on the server; also task creators and graphile-worker's concurrency. */
  readonly concurrency: number;
  readonly serverUrl: string | null;
}

/** `embedded`, `server`, `server+localstack`. */
export function whereOf(setup: Setup): string {
  return setup.transport === 'memory' ? setup.database : `${setup.database}+localstack`;
}

export function openDatabase(setup: Setup): Promise<BenchDatabase> {
  if (setup.database === 'embedded') return embeddedDatabase();
  if (!setup.serverUrl) throw new Error('no server URL');
  return scratchServerDatabase(setup.serverUrl, 'tasker_bench', { poolSize: setup.concurrency });
}

/** Runs `body` on a fresh database and always drops it. */
export async function withDatabase<T>(setup: Setup, body: (db: BenchDatabase) => Promise<T>): Promise<T> {
  const db = await openDatabase(setup);
  try {
    return await body(db);
  } finally {
    await db.close();
  }
}

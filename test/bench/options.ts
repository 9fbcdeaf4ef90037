import { parseArgs } from 'node:util';
import { FULL_SIZES, QUICK_SIZES, type Sizes } from './context.js';
import type { DatabaseKind } from './databases.js';
import type { TransportKind } from './transport.js';

export const BENCHMARKS = [
  'chain',
  'runtime',
  'dbwork',
  'throughput',
  'batch',
  'pgbench',
  'peer',
  'coldstart',
  'sqlloop',
] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

export interface BenchOptions {
  readonly only: readonly BenchmarkName[];
  readonly quick: boolean;
  readonly sizes: Sizes;
  readonly databases: readonly DatabaseKind[];
  /** Transports asked for; `localstack` is also used when AWS_ENDPOINT_URL is set and answers, unless excluded. */
  readonly transports: readonly TransportKind[] | null;
  readonly concurrency: number;
  readonly outDir: string;
  /** The SQL loop's second side: a database migrated only up to this migration number (`--against`). */
  readonly against: number | null;
  readonly help: boolean;
}

export const USAGE = `npm run bench -- [options]

  --only LIST         benchmarks to run, comma-separated (default: all):
                      ${BENCHMARKS.join(', ')}
  --quick             smoke-sized run (about a minute)
  --db LIST           embedded,server (default: both; server when one answers on loopback)
  --transport LIST    memory,localstack (default: memory, plus localstack when AWS_ENDPOINT_URL answers)
  --concurrency N     engine pool size on the server, concurrent task creators, graphile-worker concurrency (default 8)
  --tasks N           one-step tasks in the throughput run (default 2000, quick 200)
  --fanout LIST       parallel steps of the fan-out task, one run per width, comma-separated
                      (default 500, quick 100); several, e.g. 250,5000, also report the ratio of
                      their CPU per step
  --iterations N      tasks per chain-latency shape (default 200, quick 25)
  --out DIR           where results-<timestamp>.json goes (default .bench)
  --against N         sqlloop: also run the loop on a database migrated only up to migration N,
                      alternating rounds, and report the ratio (e.g. --only sqlloop --against 26)

Environment: BENCH_DATABASE_URL or DATABASE_URL (default ${'postgres://postgres@127.0.0.1:5432/postgres'}),
AWS_ENDPOINT_URL (LocalStack), BENCH_LOG_LEVEL (engine logs, written to /dev/null; default info).`;

/** Thrown for flags that make no sense; the message says which. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const values = parseFlags(argv);
  const base = values.quick ? QUICK_SIZES : FULL_SIZES;
  const sizes: Sizes = {
    ...base,
    oneStepTasks: positive('tasks', values.tasks) ?? base.oneStepTasks,
    fanOutWidths: positiveList('fanout', values.fanout) ?? base.fanOutWidths,
    chainIterations: positive('iterations', values.iterations) ?? base.chainIterations,
  };
  return {
    only: list('only', values.only, BENCHMARKS) ?? BENCHMARKS,
    quick: values.quick ?? false,
    sizes,
    databases: list('db', values.db, ['embedded', 'server'] as const) ?? ['embedded', 'server'],
    transports: list('transport', values.transport, ['memory', 'localstack'] as const),
    concurrency: positive('concurrency', values.concurrency) ?? 8,
    outDir: values.out ?? '.bench',
    against: positive('against', values.against) ?? null,
    help: values.help ?? false,
  };
}

function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        only: { type: 'string' },
        quick: { type: 'boolean', default: false },
        db: { type: 'string' },
        transport: { type: 'string' },
        concurrency: { type: 'string' },
        tasks: { type: 'string' },
        fanout: { type: 'string' },
        iterations: { type: 'string' },
        out: { type: 'string' },
        against: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
}

function positive(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new BenchUsageError(`--${name} must be a whole number from 1 to 100000, got '${raw}'`);
  return n;
}

/** Whole numbers, smallest first, each once: `--fanout 5000,250` runs 250 then 5000. */
function positiveList(name: string, raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new BenchUsageError(`--${name} takes whole numbers, comma-separated; got '${raw}'`);
  return [...new Set(items.map((item) => positive(name, item)!))].sort((a, b) => a - b);
}

function list<T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T[] | null {
  if (raw === undefined) return null;
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = items.filter((s) => !allowed.includes(s as T));
  if (unknown.length > 0 || items.length === 0)
    throw new BenchUsageError(`--${name} takes ${allowed.join(', ')}; got '${raw}'`);
  return items as T[];
}

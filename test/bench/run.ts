import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { chainLatency } from './chain-latency.js';
import { coldStart } from './cold-start.js';
import { comparisons } from './compare.js';
import type { BenchResult, Setup } from './context.js';
import { findServer, redact } from './databases.js';
import { databaseWork } from './db-work.js';
import { graphilePeer } from './graphile-peer.js';
import { BenchUsageError, parseOptions, USAGE, type BenchmarkName, type BenchOptions } from './options.js';
import { pgbenchCeiling } from './pgbench.js';
import { renderTable, resultsDocument, tallyTargets, writeResults, type Figure } from './report.js';
import { runtimeLatency } from './runtime-latency.js';
import { throughput } from './throughput.js';
import { batchThroughput } from './batch-throughput.js';
import { sqlLoop } from './sql-loop.js';
import { findLocalstack } from './transport.js';

/** Where the runs go, found once: the server (if it answers on loopback) and LocalStack (if configured and healthy). */
interface Environment {
  readonly serverUrl: string | null;
  readonly setups: Setup[];
  readonly skipped: string[];
}

async function discover(options: BenchOptions): Promise<Environment> {
  const skipped: string[] = [];
  const server = options.databases.includes('server') ? await findServer() : { skipped: 'not asked for (--db)' };
  if ('skipped' in server) skipped.push(`server PostgreSQL: ${server.skipped}`);
  const serverUrl = 'url' in server ? server.url : null;
  const setups: Setup[] = [];
  const base = { concurrency: options.concurrency, serverUrl };
  if (options.transports === null || options.transports.includes('memory')) {
    if (options.databases.includes('embedded')) setups.push({ ...base, database: 'embedded', transport: 'memory' });
    if (serverUrl) setups.push({ ...base, database: 'server', transport: 'memory' });
  }
  if (options.transports === null || options.transports.includes('localstack')) {
    const localstack = await findLocalstack();
    if ('skipped' in localstack) skipped.push(`LocalStack: ${localstack.skipped}`);
    else setups.push({ ...base, database: serverUrl ? 'server' : 'embedded', transport: 'localstack' });
  }
  return { serverUrl, setups, skipped };
}

type Job = { name: BenchmarkName; label: string; run: () => Promise<BenchResult> };

function jobsOf(options: BenchOptions, env: Environment): Job[] {
  const { sizes, concurrency } = options;
  const perSetup = (
    name: BenchmarkName,
    label: string,
    body: (s: Setup) => Promise<BenchResult>,
    setups = env.setups,
  ): Job[] =>
    setups.map((s) => ({
      name,
      label: `${label} on ${s.database}${s.transport === 'memory' ? '' : `+${s.transport}`}`,
      run: () => body(s),
    }));
  const memorySetups = env.setups.filter((s) => s.transport === 'memory');
  const server = env.serverUrl;
  const serverSetup = memorySetups.find((s) => s.database === 'server');
  const jobs: Job[] = [
    ...perSetup('chain', 'chain latency', (s) => chainLatency(s, sizes)),
    ...perSetup('runtime', 'chain latency through startEmbeddedRuntime', (s) => runtimeLatency(s, sizes), memorySetups),
    ...perSetup('dbwork', 'database work per step', (s) => databaseWork(s, sizes), memorySetups),
    ...perSetup('throughput', 'throughput', (s) => throughput(s, sizes)),
    ...perSetup('batch', 'batch 1→N→1 beside the static fan-out', (s) => batchThroughput(s, sizes), memorySetups),
    ...(server
      ? [
          {
            name: 'pgbench' as const,
            label: 'pgbench commit rate',
            run: () => pgbenchCeiling(server, concurrency, sizes),
          },
        ]
      : []),
    ...(serverSetup
      ? [
          {
            name: 'peer' as const,
            label: 'graphile-worker peer, interleaved with tasker',
            run: () => graphilePeer(serverSetup, sizes),
          },
        ]
      : []),
    { name: 'coldstart', label: 'cold start', run: () => coldStart(sizes, options.outDir) },
    ...(server
      ? [
          {
            name: 'sqlloop' as const,
            label: 'SQL loop on the server',
            run: () => sqlLoop(server, sizes, options.against),
          },
        ]
      : []),
  ];
  return jobs.filter((j) => options.only.includes(j.name));
}

/** Runs one benchmark; a failure becomes a row saying so, and the others still run. */
async function runJob(job: Job): Promise<BenchResult> {
  const started = performance.now();
  process.stderr.write(`▶ ${job.label} ...`);
  try {
    const result = await job.run();
    process.stderr.write(
      ` ${((performance.now() - started) / 1000).toFixed(1)} s${result.details.skipped ? ` (skipped: ${String(result.details.skipped)})` : ''}\n`,
    );
    return result;
  } catch (error) {
    process.stderr.write(` FAILED: ${(error as Error).message}\n`);
    const figure: Figure = {
      section: job.name,
      measure: job.label,
      where: '-',
      value: null,
      unit: '',
      note: `FAILED: ${(error as Error).message.slice(0, 120)}`,
    };
    return { figures: [figure], details: { error: (error as Error).stack ?? String(error) }, metrics: {} };
  }
}

function machine(): Record<string, unknown> {
  const cpuList = cpus();
  return {
    cpus: cpuList.length,
    cpu_model: cpuList[0]?.model ?? 'unknown',
    memory_gb: Math.round(totalmem() / 1e9),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    load_average_at_start: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const startedAt = new Date();
  const started = performance.now();
  const host = machine();
  const env = await discover(options);
  for (const reason of env.skipped) process.stderr.write(`· skipped ${reason}\n`);
  const results: Array<{ job: Job; result: BenchResult }> = [];
  for (const job of jobsOf(options, env)) results.push({ job, result: await runJob(job) });
  const metrics = Object.assign({}, ...results.map((r) => r.result.metrics)) as Record<string, number>;
  const figures = [...results.flatMap((r) => r.result.figures), ...comparisons(metrics, options.concurrency)];
  const run = {
    started_at: startedAt.toISOString(),
    duration_s: Math.round((performance.now() - started) / 100) / 10,
    commit: gitCommit(),
    machine: { ...host, load_average_at_end: loadavg().map((l) => Math.round(l * 100) / 100) },
    options: { ...options, only: [...options.only] },
    server: env.serverUrl ? redact(env.serverUrl) : null,
    setups: env.setups.map((s) => `${s.database}+${s.transport}`),
    skipped: env.skipped,
    path: 'in-process consumers (receive → processDispatchBatch / processCompletionBatch → delete) over the transport; see docs/benchmarks.md',
  };
  const details = Object.fromEntries(results.map((r) => [r.job.label, r.result.details]));
  const file = await writeResults(options.outDir, startedAt, resultsDocument(run, figures, details));
  const tally = tallyTargets(figures);
  console.log(`\n${renderTable(figures)}\n`);
  console.log(
    `targets: ${tally.passed} PASS, ${tally.missed} MISS · ${host.cpus} CPUs, load ${String(host.load_average_at_start)} at start · ${run.duration_s} s · ${file}`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof BenchUsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  },
);

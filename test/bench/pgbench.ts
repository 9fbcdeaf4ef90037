import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { emptyResult, type BenchResult, type Sizes } from './context.js';
import { scratchServerDatabase } from './databases.js';

const run = promisify(execFile);

/** A transaction that only commits one inserted row: the machine's commit rate, the ceiling of anything durable. */
const INSERT_SCRIPT = 'insert into commit_probe (v) values (1);\n';

/** `tps = 1234.567890 (without initial connection time)` → 1234.57. */
export function parseTps(output: string): number | null {
  const match = /tps = ([\d.]+) \(without initial connection time\)/.exec(output) ?? /tps = ([\d.]+)/.exec(output);
  return match ? Number(match[1]) : null;
}

async function pgbenchInstalled(): Promise<string | null> {
  try {
    const { stdout } = await run('pgbench', ['--version'], { timeout: 5_000 });
    return stdout.trim();
  } catch {
    return null;
  }
}

/**
 * The PostgreSQL server's commit rate on this machine, as the ceiling for steps per second:
 * pgbench's TPC-B-like run without branch/teller updates (-N) with 2 clients, and a one-row-insert
 * transaction with 2 and with `concurrency` clients (the engine's pool size).
 */
export async function pgbenchCeiling(serverUrl: string, concurrency: number, sizes: Sizes): Promise<BenchResult> {
  const result = emptyResult();
  const version = await pgbenchInstalled();
  if (!version) {
    result.details.skipped = 'pgbench is not installed (apt-get install postgresql-client)';
    return result;
  }
  const db = await scratchServerDatabase(serverUrl, 'tasker_pgbench', { migrate: false });
  const dir = await mkdtemp(join(tmpdir(), 'tasker-pgbench-'));
  try {
    await run('pgbench', ['-i', '-s', '1', '-q', db.connectionString], { timeout: 60_000 });
    await prepareInsertProbe(db.connectionString);
    const script = join(dir, 'insert.sql');
    await writeFile(script, INSERT_SCRIPT);
    const seconds = String(sizes.pgbenchSeconds);
    const runs: Array<[string, string[]]> = [
      ['pgbench -N -c 2 -j 2', ['-N', '-c', '2', '-j', '2', '-T', seconds]],
      ['1-row insert commits, 2 clients', ['-n', '-f', script, '-c', '2', '-j', '2', '-T', seconds]],
      [
        `1-row insert commits, ${concurrency} clients`,
        ['-n', '-f', script, '-c', String(concurrency), '-j', '2', '-T', seconds],
      ],
    ];
    const settings = await serverSettings(db.connectionString);
    for (const [label, args] of runs) {
      const { stdout } = await run('pgbench', [...args, db.connectionString], {
        timeout: (sizes.pgbenchSeconds + 30) * 1000,
      });
      const tps = parseTps(stdout);
      result.figures.push({
        section: 'ceiling',
        measure: `${label}: tps`,
        where: 'server',
        value: tps,
        unit: 'tx/s',
        note: `${sizes.pgbenchSeconds} s; ${settings}`,
      });
      result.metrics[`server.pgbench.${label}`] = tps ?? Number.NaN;
    }
    result.details.pgbench = { version, settings, seconds: sizes.pgbenchSeconds };
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
    await db.close();
  }
}

async function prepareInsertProbe(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      'create table commit_probe (id bigint generated always as identity primary key, v int not null)',
    );
  } finally {
    await client.end();
  }
}

async function serverSettings(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; setting: string }>(
      "select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'wal_sync_method') order by name",
    );
    return rows.map((r) => `${r.name}=${r.setting}`).join(' ');
  } finally {
    await client.end();
  }
}

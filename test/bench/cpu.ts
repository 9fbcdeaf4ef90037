import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import pg from 'pg';

/** CPU time this process has used (user + system), in milliseconds; includes PGlite when it runs in process. */
export function processCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of a process from /proc/<pid>/stat, in milliseconds; null when unreadable (not Linux, not local). */
async function procCpuMs(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks()) * 1000;
  } catch {
    return null;
  }
}

/**
 * CPU time used so far by the server backends connected to this database (the engine's pool),
 * read from /proc: the server runs on this machine (loopback only). Null when /proc is unreadable.
 */
export async function backendCpuMs(connectionString: string): Promise<number | null> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    const times = await Promise.all(rows.map((r) => procCpuMs(r.pid)));
    return times.some((t) => t === null) || times.length === 0 ? null : (times as number[]).reduce((a, b) => a + b, 0);
  } finally {
    await client.end();
  }
}

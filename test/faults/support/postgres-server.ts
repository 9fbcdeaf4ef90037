import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** A Debian PostgreSQL cluster (pg_ctlcluster) serving the DATABASE_URL server. */
export interface Cluster {
  readonly version: string;
  readonly name: string;
  readonly port: number;
}

export type RestartCapability =
  | { readonly ok: true; readonly cluster: Cluster }
  | { readonly ok: false; readonly why: string };

/**
 * Whether this machine can restart the DATABASE_URL server: the URL is set, we are root, and
 * pg_lsclusters lists a cluster on its port that pg_ctlcluster can restart.
 */
export function restartCapability(): RestartCapability {
  const url = process.env.DATABASE_URL;
  if (!url) return { ok: false, why: 'DATABASE_URL is not set (the restart needs a real PostgreSQL server)' };
  if (process.getuid?.() !== 0) return { ok: false, why: 'not root: pg_ctlcluster cannot restart the server' };
  const port = Number(new URL(url).port || 5432);
  const listed = command('pg_lsclusters', ['--no-header']);
  if (listed === null) return { ok: false, why: 'pg_lsclusters is not available' };
  const cluster = listed
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((cols) => Number(cols[2]) === port);
  if (!cluster) return { ok: false, why: `no cluster listed by pg_lsclusters serves port ${port}` };
  if (command('sh', ['-c', 'command -v pg_ctlcluster']) === null)
    return { ok: false, why: 'pg_ctlcluster is not on the PATH' };
  return { ok: true, cluster: { version: cluster[0] as string, name: cluster[1] as string, port } };
}

function command(file: string, args: string[]): string | null {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** Restarts the cluster (fast shutdown: every session is ended, in-flight transactions roll back). */
export async function restartCluster(cluster: Cluster): Promise<void> {
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', '-m', 'fast', cluster.version, cluster.name, 'restart']);
}

/** Starts the cluster if it does not answer, and waits until it accepts connections (at most `timeoutMs`). */
export async function ensureClusterUp(cluster: Cluster, timeoutMs = 30_000): Promise<void> {
  if (!(await accepting()))
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.version, cluster.name, 'start']).catch(
      () => undefined,
    );
  const until = Date.now() + timeoutMs;
  while (!(await accepting())) {
    if (Date.now() > until)
      throw new Error(
        `PostgreSQL ${cluster.version}/${cluster.name} is not accepting connections after ${timeoutMs} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The DATABASE_URL server answers a query. */
async function accepting(): Promise<boolean> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

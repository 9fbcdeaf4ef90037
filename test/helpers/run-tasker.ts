import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The real `tasker` bin run to its end as a user runs it (`node lib/cli/tasker.mjs …` from the project root). */

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(ROOT, 'lib/cli/tasker.mjs');

/** This process's environment without what points the CLI elsewhere (DATABASE_URL, AWS_*, TASKER_*), colours off. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(env))
    if (key === 'DATABASE_URL' || key.startsWith('AWS_') || key.startsWith('TASKER_')) delete env[key];
  return env;
}

export interface TaskerRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** How long it ran (reported, never asserted). */
  readonly ms: number;
}

/**
 * Runs `tasker <args>` with `env` over `options.baseEnv` (default this process's), killed after `timeoutMs` (a bound
 * against hangs, not a speed test); `options.nodeArgs` go before the bin.
 */
export function runTasker(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 150_000,
  options: { readonly nodeArgs?: readonly string[]; readonly baseEnv?: NodeJS.ProcessEnv } = {},
): Promise<TaskerRun> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
      cwd: ROOT,
      env: { ...(options.baseEnv ?? process.env), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

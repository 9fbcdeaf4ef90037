import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The real `tasker` bin run to its end as a user runs it (`node lib/cli/tasker.mjs …` from the project root). */

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(ROOT, 'lib/cli/tasker.mjs');

export interface TaskerRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tasker <args>` with `env` (over this process's), killed after `timeoutMs` (a bound against hangs, not a speed test). */
export function runTasker(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 150_000,
): Promise<TaskerRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
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
      resolvePromise({ code, stdout, stderr });
    });
  });
}

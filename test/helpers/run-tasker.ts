import { spawn, type ChildProcess } from 'node:child_process';
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

/** A running `tasker dev`: what it printed so far, its address and token. */
export interface TaskerDev {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  readonly url: string;
  readonly token: string;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and no more waiting (for a `finally`). */
  dispose(): void;
}

/**
 * `tasker dev --port 0 <args>` (clean environment) until it prints its address and token, at most `startBoundMs`; it is
 * killed after `killAfterMs` whatever happens (bounds against hangs, not speed tests).
 */
export async function startTaskerDev(
  args: readonly string[],
  bounds: { readonly startBoundMs: number; readonly killAfterMs?: number },
): Promise<TaskerDev> {
  const child = spawn(process.execPath, [BIN, 'dev', '--port', '0', ...args], {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  const kill = setTimeout(() => child.kill('SIGKILL'), bounds.killAfterMs ?? bounds.startBoundMs);
  const started = Date.now();
  while (!/^token: (\S+)/m.test(output.stdout)) {
    if (Date.now() - started > bounds.startBoundMs) {
      clearTimeout(kill);
      child.kill('SIGKILL');
      throw new Error(`tasker dev did not start:\n${output.stdout}\n${output.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output,
    url: /listening on (http:\/\/[\d.]+:\d+)/.exec(output.stdout)![1]!.replace('0.0.0.0', '127.0.0.1'),
    token: /^token: (\S+)/m.exec(output.stdout)![1]!,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
    dispose() {
      clearTimeout(kill);
      child.kill('SIGKILL');
    },
  };
}

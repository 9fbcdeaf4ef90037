import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** `tasker worker` child processes, spawned as a user runs the bin, and every one of them killed at the end. */

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(ROOT, 'lib/cli/tasker.mjs');

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WorkerChild {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly exited: Promise<WorkerExit>;
  stdout(): string;
  stderr(): string;
  running(): boolean;
  /** Resolves once stdout matches `pattern`; rejects after `timeoutMs` or when the process exits first. */
  waitForStdout(pattern: RegExp, timeoutMs: number): Promise<void>;
}

export class WorkerProcesses {
  private readonly children: WorkerChild[] = [];

  /** `node lib/cli/tasker.mjs worker <args>` from the project root, with exactly `env`. */
  spawnWorker(args: readonly string[], env: NodeJS.ProcessEnv): WorkerChild {
    const child = spawn(process.execPath, [BIN, 'worker', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let done = false;
    const exited = new Promise<WorkerExit>((resolvePromise) =>
      child.on('close', (code, signal) => {
        done = true;
        resolvePromise({ code, signal });
      }),
    );
    if (child.pid === undefined) throw new Error('tasker worker did not start');
    const handle: WorkerChild = {
      pid: child.pid,
      child,
      exited,
      stdout: () => stdout,
      stderr: () => stderr,
      running: () => !done,
      waitForStdout: (pattern, timeoutMs) =>
        waitFor(
          () => pattern.test(stdout),
          () => done,
          timeoutMs,
          `tasker worker output ${pattern}`,
          () => `stdout: ${stdout}\nstderr: ${stderr.slice(-2_000)}`,
        ),
    };
    this.children.push(handle);
    return handle;
  }

  /**
   * Stops every child still running: SIGTERM first (a draining worker gives back what its last poll
   * received; a killed one leaves it invisible for the visibility timeout), SIGKILL after `graceMs`.
   */
  async stopAll(graceMs = 5_000): Promise<void> {
    const alive = this.children.splice(0).filter((c) => c.running());
    for (const c of alive) c.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const c of alive.filter((c) => c.running())) c.child.kill('SIGKILL');
    }, graceMs);
    await Promise.all(alive.map((c) => c.exited));
    clearTimeout(timer);
  }
}

async function waitFor(
  ok: () => boolean,
  gaveUp: () => boolean,
  timeoutMs: number,
  what: string,
  details: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (gaveUp()) throw new Error(`${what}: the process exited first\n${details()}`);
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms\n${details()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

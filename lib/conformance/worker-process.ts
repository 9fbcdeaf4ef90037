import { spawn, type ChildProcess } from 'node:child_process';
import { ENV } from '../contracts/runtime-config.js';

/** The worker under test: the command the user gave, started with the kit's environment over their own. */
export interface WorkerUnderTest {
  readonly pid: number | undefined;
  /** The exit code (or the signal's name) once it exited. */
  readonly exited: Promise<number | string>;
  running(): boolean;
  /** The last lines it wrote (stdout and stderr), for a failure report. */
  output(): string;
  signal(name: NodeJS.Signals): void;
}

const KEPT_OUTPUT_CHARS = 8_000;

export function startWorker(
  command: readonly string[],
  kitEnv: Record<string, string>,
  env: Record<string, string | undefined>,
  onOutput?: (chunk: string) => void,
): WorkerUnderTest {
  const [file, ...args] = command;
  if (file === undefined) throw new Error('no worker command given');
  const child: ChildProcess = spawn(file, args, {
    env: { ...withoutTasker(env), ...kitEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let done = false;
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    onOutput?.(text);
    output = (output + text).slice(-KEPT_OUTPUT_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    child.on('error', (error) => {
      done = true;
      output += `\n${error.message}`;
      resolve('spawn-error');
    });
    child.on('close', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    pid: child.pid,
    exited,
    running: () => !done,
    output: () => output,
    signal: (name) => {
      if (!done) child.kill(name);
    },
  };
}

/** The caller's TASKER_* settings would point the worker elsewhere: the kit gives it exactly its own. */
function withoutTasker(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const names = new Set<string>(Object.values(ENV));
  return Object.fromEntries(Object.entries(env).filter(([name]) => !names.has(name)));
}

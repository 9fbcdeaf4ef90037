/** Where a command writes and what it knows of its surroundings; injected so commands run in tests too. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream;
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

export function out(io: CliIo, line = ''): void {
  io.stdout.write(`${line}\n`);
}

export function err(io: CliIo, line = ''): void {
  io.stderr.write(`${line}\n`);
}

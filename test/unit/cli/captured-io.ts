import { Writable } from 'node:stream';
import { resolve } from 'node:path';
import type { CliIo } from '../../../lib/cli/cli-io.js';

/** The project root: the CLI's cwd in tests, as a user runs it from a checkout. */
export const ROOT = resolve(import.meta.dirname, '../../..');

/** A stream that keeps what is written; a (fake) terminal when `isTTY`. */
export class Capture extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  readonly columns = 120;
  readonly rows = 40;
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** The CLI's io with captured streams, no environment, run from the project root. */
export function capturedIo(
  tty = false,
  env: Record<string, string | undefined> = {},
): CliIo & { stdout: Capture; stderr: Capture } {
  return { stdout: new Capture(tty), stderr: new Capture(false), env, cwd: ROOT };
}

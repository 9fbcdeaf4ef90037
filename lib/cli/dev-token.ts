import { randomBytes } from 'node:crypto';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliUsageError } from './errors.js';

/** Set it to choose `tasker dev`'s token (a script that starts the server and calls it); otherwise each run makes one. */
export const DEV_TOKEN_ENV = 'TASKER_DEV_TOKEN';

/** With `--data-dir`, the run's token is also written here, readable by the user alone (mode 0600). */
export const DEV_TOKEN_FILE = 'tasker-dev-token';

const MIN_TOKEN_LENGTH = 16;

/**
 * The token this run of `tasker dev` requires: `TASKER_DEV_TOKEN` when set (at least 16 characters), otherwise 32
 * random bytes, base64url.
 *
 * @example
 * ```ts
 * const token = devToken(io.env); // e.g. 'kXj3…' — clients send 'Authorization: Bearer kXj3…'
 * ```
 */
export function devToken(env: Record<string, string | undefined>): string {
  const chosen = env[DEV_TOKEN_ENV];
  if (chosen === undefined || chosen === '') return randomBytes(32).toString('base64url');
  if (chosen.length < MIN_TOKEN_LENGTH || /\s/.test(chosen))
    throw new CliUsageError(
      `${DEV_TOKEN_ENV} must be at least ${MIN_TOKEN_LENGTH} characters with no spaces (or unset, for a random token per run)`,
    );
  return chosen;
}

/** Writes the token to `<dataDir>/tasker-dev-token` with mode 0600 (also when the file was there with other permissions); returns the file's path. */
export async function writeDevToken(dataDir: string, token: string): Promise<string> {
  const file = join(dataDir, DEV_TOKEN_FILE);
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

/** Removes the token file when the server stops: a token file then always belongs to a running server. */
export async function removeDevToken(file: string): Promise<void> {
  await rm(file, { force: true });
}

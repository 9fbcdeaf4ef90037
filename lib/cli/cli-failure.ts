import { errorMessage } from '../domain/error-message.js';
import { DataDirLockedError } from '../local/errors.js';
import { err, out, type CliIo } from './cli-io.js';
import { CliError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { systemError } from './system-error.js';

/** A failed command as the user sees it: a stable code, one line, the problems and what to do. */
export interface CliFailure {
  readonly code: string;
  readonly message: string;
  readonly problems: readonly string[];
  readonly hint?: string;
  readonly exitCode: ExitCode;
}

/**
 * Any error a command ended with, as a CliFailure: a CliError as it is; the errors of the layers
 * below (a locked data directory, a port in use, a bad environment) by their type or code; anything
 * else is `internal`. Database errors are named where the database is opened (database-errors.ts).
 * Only lib/local/errors.ts is imported; the rest is recognised by name and code, so this stays light.
 */
export function describeFailure(error: unknown): CliFailure {
  if (error instanceof CliError)
    return {
      code: error.code,
      message: error.message,
      problems: error.problems,
      ...(error.hint ? { hint: error.hint } : {}),
      exitCode: error.exitCode,
    };
  if (error instanceof DataDirLockedError) return lockedFailure(error);
  return byName(error) ?? listenFailure(error) ?? internal(error);
}

function lockedFailure(error: DataDirLockedError): CliFailure {
  const { pid } = error.holder;
  const hint = `PGlite is single-process: stop process ${pid} first, or use another --data-dir (if ${pid} is not a tasker process, delete ${error.lockFile})`;
  return usage('data_dir_locked', error.message, { hint });
}

function byName(error: unknown): CliFailure | undefined {
  const name = error instanceof Error ? error.name : '';
  const problems = (error as { problems?: unknown } | null)?.problems;
  const list = Array.isArray(problems) ? problems.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))) : [];
  if (name === 'ConfigurationError')
    return usage('invalid_configuration', 'invalid configuration in the environment', { problems: list });
  if (name === 'LambdaSettingsError' || name === 'TemplateSettingsError')
    return usage('invalid_settings', errorMessage(error), {
      hint: 'check --stack-template (the JSON `cdk synth` writes to cdk.out/)',
    });
  if (name === 'TemplateValidationError')
    return usage('invalid_templates', 'the task templates have problems', { problems: list });
  return undefined;
}

/** A listen error (`tasker dev --port`): the port is taken or needs privileges. */
function listenFailure(error: unknown): CliFailure | undefined {
  const found = systemError(error);
  if (found?.syscall !== 'listen') return undefined;
  const port = found.port ?? '?';
  if (found.code === 'EADDRINUSE')
    return usage('port_in_use', `port ${port} on ${found.address ?? 'this host'} is already in use`, {
      hint: '--port 0 picks a free port; or stop what listens there',
    });
  if (found.code === 'EACCES')
    return usage('port_not_permitted', `not permitted to listen on port ${port}`, {
      hint: 'ports below 1024 need privileges: use --port 3710, or --port 0 for any free port',
    });
  return undefined;
}

function internal(error: unknown): CliFailure {
  return usage('internal', errorMessage(error), { hint: 'unexpected: run again with --debug for the stack trace' });
}

function usage(code: string, message: string, more: { problems?: readonly string[]; hint?: string } = {}): CliFailure {
  return {
    code,
    message,
    problems: more.problems ?? [],
    ...(more.hint ? { hint: more.hint } : {}),
    exitCode: EXIT.usage,
  };
}

/**
 * Prints a failure: `tasker: <message>`, the problems and `hint: …` on stderr; or with `json` one
 * `{ "error": { code, message, problems?, hint? } }` document on stdout. With `debug`, the error's
 * stack (and its causes') on stderr.
 */
export function printFailure(
  io: CliIo,
  failure: CliFailure,
  options: { json: boolean; debug: boolean; error?: unknown },
): void {
  if (options.json) out(io, JSON.stringify({ error: failureJson(failure) }, null, 2));
  else {
    err(io, `tasker: ${failure.message}`);
    for (const problem of failure.problems) err(io, `  - ${problem}`);
    if (failure.hint) err(io, `  hint: ${failure.hint}`);
  }
  if (options.debug && options.error !== undefined) err(io, stackOf(options.error));
}

/** The `error` object of the --json failure document. */
export function failureJson(
  failure: Pick<CliFailure, 'code' | 'message' | 'problems' | 'hint'>,
): Record<string, unknown> {
  return {
    code: failure.code,
    message: failure.message,
    ...(failure.problems.length > 0 ? { problems: failure.problems } : {}),
    ...(failure.hint ? { hint: failure.hint } : {}),
  };
}

function stackOf(error: unknown, depth = 0): string {
  const own = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  const cause =
    error instanceof Error && error.cause !== undefined && depth < 4
      ? `\ncaused by: ${stackOf(error.cause, depth + 1)}`
      : '';
  return `${own}${cause}`;
}

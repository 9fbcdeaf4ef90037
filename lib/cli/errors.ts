import { EXIT, type ExitCode } from './exit-codes.js';

/** The errors of the `tasker` CLI, in one place. */

/**
 * A problem the user must fix before the command can run; printed without a stack trace, each
 * problem on its own line, and the process exits with `exitCode`.
 *
 * @example
 * ```ts
 * throw new CliUsageError('the templates in ./templates have problems:', ['a.yaml: name: Required']);
 * ```
 */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
    readonly exitCode: ExitCode = EXIT.usage,
  ) {
    super(message);
  }
}

/** A request `tasker dev`'s server answers with an error status and a JSON body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

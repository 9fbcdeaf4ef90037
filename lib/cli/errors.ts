import { EXIT, type ExitCode } from './exit-codes.js';

/** The errors of the `tasker` CLI, in one place. */

/** What a CliError may carry besides its code and message. */
export interface CliErrorDetails {
  /** One line each, printed under the message (template problems, schema problems, ...). */
  readonly problems?: readonly string[];
  /** What to do about it, printed as `hint: …`. */
  readonly hint?: string;
  /** Default EXIT.usage: the command could not do what was asked. */
  readonly exitCode?: ExitCode;
  readonly cause?: unknown;
}

/**
 * A failure the CLI explains: a stable `code` (the `error.code` of the `--json` error object), a
 * one-line message, optional problems and a hint. Printed without a stack trace (unless `--debug`).
 *
 * @example
 * ```ts
 * throw new CliError('unknown_template', 'unknown template ecommerce/nope', { problems: known, hint: 'tasker templates validate <dir> lists them' });
 * ```
 */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  readonly problems: readonly string[];
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(
    readonly code: string,
    message: string,
    details: CliErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.problems = details.problems ?? [];
    this.hint = details.hint;
    this.exitCode = details.exitCode ?? EXIT.usage;
  }
}

/**
 * A problem the user must fix before the command can run (code `usage`); printed without a stack
 * trace, each problem on its own line, and the process exits with `exitCode`.
 *
 * @example
 * ```ts
 * throw new CliUsageError('the templates in ./templates have problems:', ['a.yaml: name: Required']);
 * ```
 */
export class CliUsageError extends CliError {
  override readonly name = 'CliUsageError';
  constructor(message: string, problems: readonly string[] = [], exitCode: ExitCode = EXIT.usage) {
    super('usage', message, { problems, exitCode });
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

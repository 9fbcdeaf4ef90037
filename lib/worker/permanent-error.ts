export interface PermanentErrorOptions {
  /** A short machine-readable cause, reported as the result's `code`. */
  readonly code?: string;
  readonly cause?: unknown;
}

/** Thrown by a handler when retrying the same input can never succeed (bad input, business refusal). */
export class PermanentError extends Error {
  override readonly name: string = 'PermanentError';
  readonly code: string | undefined;

  constructor(message: string, options: PermanentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }
}

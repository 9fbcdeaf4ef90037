export interface RetryableErrorOptions {
  /** How long to wait before the next attempt (a 429's Retry-After); the backoff schedule otherwise. */
  readonly retryAfterMs?: number;
  /** A short machine-readable cause, reported as the result's `code`. */
  readonly code?: string;
  readonly cause?: unknown;
}

/** Thrown by a handler when a later attempt may succeed (a dependency is down, rate limited, ...). */
export class RetryableError extends Error {
  override readonly name: string = 'RetryableError';
  readonly retryAfterMs: number | undefined;
  readonly code: string | undefined;

  constructor(message: string, options: RetryableErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
    this.code = options.code;
  }
}

import type { DeadlineBound } from './step-deadline.js';

// The worker's error classes, in one place: those a handler throws to say how its failure is
// treated, and those the worker itself raises.

export interface PermanentErrorOptions {
  /** A short machine-readable cause, reported as the result's `code`. */
  readonly code?: string;
  readonly cause?: unknown;
}

/**
 * Thrown by a handler when retrying the same input can never succeed (bad input, business refusal).
 *
 * @example
 * ```ts
 * if (card.declined) throw new PermanentError('card declined', { code: 'card_declined' });
 * ```
 */
export class PermanentError extends Error {
  override readonly name: string = 'PermanentError';
  readonly code: string | undefined;

  constructor(message: string, options: PermanentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }
}

export interface RetryableErrorOptions {
  /** How long to wait before the next attempt (a 429's Retry-After); the backoff schedule otherwise. */
  readonly retryAfterMs?: number;
  /** A short machine-readable cause, reported as the result's `code`. */
  readonly code?: string;
  readonly cause?: unknown;
}

/**
 * Thrown by a handler when a later attempt may succeed (a dependency is down, rate limited, ...).
 *
 * @example
 * ```ts
 * if (response.status === 429) throw new RetryableError('rate limited', { retryAfterMs: 1_500, code: 'rate_limited' });
 * ```
 */
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

/** The reason a handler's AbortSignal is aborted with when its deadline passes. */
export class HandlerTimeoutError extends Error {
  override readonly name = 'HandlerTimeoutError';

  constructor(
    readonly budgetMs: number,
    readonly bound: DeadlineBound,
  ) {
    super(`handler did not finish within ${budgetMs} ms (deadline set by ${bound.replaceAll('_', ' ')})`);
  }
}

/** A handler map entry that is not a function: a programming error, refused when the registry is built. */
export class HandlerRegistrationError extends Error {
  override readonly name = 'HandlerRegistrationError';
}

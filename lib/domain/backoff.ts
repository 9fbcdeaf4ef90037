/** A step's retry settings, as declared in its template (`retry`). */
export interface RetryPolicy {
  readonly retryable: boolean;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retryable: true,
  maxAttempts: 3,
  backoffBaseMs: 1000,
  maxBackoffMs: 30_000,
};

export interface BackoffInput {
  /** The attempt that just failed, counting from 1. */
  readonly attempt: number;
  readonly backoffBaseMs: number;
  readonly maxBackoffMs: number;
  /** A delay the handler asked for (for example a 429's Retry-After). */
  readonly retryAfterMs?: number | null;
  /** A number in [0, 1) from an injected random source. */
  readonly random: number;
}

/**
 * Exponential backoff with "equal jitter": half the exponential delay is fixed, half is random,
 * so retries spread out but never come sooner than half the schedule. A handler's retry-after is
 * honoured up to the maximum. SQL function tasker.compute_backoff_ms is the same formula.
 */
export function computeBackoffMs(input: BackoffInput): number {
  if (input.retryAfterMs != null && input.retryAfterMs >= 0) {
    return Math.min(Math.floor(input.retryAfterMs), input.maxBackoffMs);
  }
  const exponent = Math.max(0, input.attempt - 1);
  const ceiling = Math.min(input.maxBackoffMs, input.backoffBaseMs * 2 ** exponent);
  const half = ceiling / 2;
  return Math.floor(half + input.random * half);
}

/** Whether a failed attempt may be tried again. */
export function hasAttemptsLeft(attempts: number, maxAttempts: number): boolean {
  return attempts < maxAttempts;
}
